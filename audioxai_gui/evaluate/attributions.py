"""Relevance maps by name: every LRP composite and occlusion (zennit), gradient x input and integrated gradients
(batched input gradients of the model's inference copy: one backward pass for all the path's points).

Each attribution takes a subject, its input tensor (1, 1, ...) and the target class and returns the relevance
of the input without batch and channel axes: (samples,) for a waveform model, (bands, frames) for a spectrogram
model. ``region_shape`` is the size of one removable region of that input (occlusion slides a window of it).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from ..explain.composites import COMPOSITES, make_composite
from ..explain.zennit_import import import_zennit
from .subject import Subject

_attribution = import_zennit().attribution
INTEGRATED_GRADIENT_STEPS = 16

Attribution = Callable[[Subject, torch.Tensor, int, tuple[int, ...]], np.ndarray]


def _one_hot(subject: Subject, target: int):
    eye = torch.eye(len(subject.card.classes), device=subject.model.device)
    return lambda output: output * eye[target]


def _run(attributor, subject: Subject, inputs: torch.Tensor, target: int) -> np.ndarray:
    with attributor:
        _, relevance = attributor(inputs.to(subject.model.device), _one_hot(subject, target))
    return relevance[0, 0].detach().cpu().numpy().astype(np.float64)


def _lrp(name: str) -> Attribution:
    def attribute(subject, inputs, target, region_shape):
        composite = make_composite(name, subject.kind)
        return _run(_attribution.Gradient(subject.model.module, composite), subject, inputs, target)

    attribute.__doc__ = f"LRP with the {name} composite."
    return attribute


def _input_gradients(subject: Subject, inputs: torch.Tensor, target: int) -> torch.Tensor:
    """Gradient of the target logit for each input of a batch, on the model's inference copy (the same function,
    so the same gradient, in one batched backward pass)."""
    inputs = inputs.detach().to(subject.model.device).requires_grad_(True)
    (gradient,) = torch.autograd.grad(subject.fast(inputs)[:, target].sum(), inputs)
    return gradient.detach()


def gradient_x_input(subject, inputs, target, region_shape) -> np.ndarray:
    """Plain gradient times input (equals LRP-0 on a ReLU network without biases)."""
    inputs = inputs.to(subject.model.device)
    return (_input_gradients(subject, inputs, target) * inputs)[0, 0].cpu().numpy().astype(np.float64)


def integrated_gradients(subject, inputs, target, region_shape) -> np.ndarray:
    """Integrated gradients from silence (the input scale's silence value) to the input: the mean gradient at
    INTEGRATED_GRADIENT_STEPS points of the straight path (the last one the input itself), times input - baseline."""
    inputs = inputs[:1].to(subject.model.device)
    baseline = torch.full_like(inputs, subject.silence_value())
    alphas = torch.linspace(1 / INTEGRATED_GRADIENT_STEPS, 1, INTEGRATED_GRADIENT_STEPS, device=inputs.device)
    path = baseline + alphas.reshape(-1, *[1] * (inputs.dim() - 1)) * (inputs - baseline)
    gradient = _input_gradients(subject, path, target).mean(dim=0, keepdim=True)
    return (gradient * (inputs - baseline))[0, 0].cpu().numpy().astype(np.float64)


def occlusion(subject, inputs, target, region_shape) -> np.ndarray:
    """Drop of the target logit when one region (set to silence) is hidden, spread over the region."""
    silence = subject.silence_value()
    attributor = _attribution.Occlusion(
        subject.model.module,
        occlusion_fn=lambda x, mask: torch.where(mask, torch.full_like(x, silence), x),
        window=tuple(region_shape),
        stride=tuple(region_shape),
    )
    occluded = _run(attributor, subject, inputs, target)
    full = float(subject.logits(inputs)[0, target])
    return (full - occluded) / float(np.prod(region_shape))


ATTRIBUTIONS: dict[str, Attribution] = {
    **{name: _lrp(name) for name in COMPOSITES},
    "GradientXInput": gradient_x_input,
    "IntegratedGradients": integrated_gradients,
    "Occlusion": occlusion,
}


def attribute(name: str, subject: Subject, inputs: torch.Tensor, target: int, region_shape) -> np.ndarray:
    try:
        method = ATTRIBUTIONS[name]
    except KeyError:
        raise ValueError(f"unknown attribution {name!r}; choose one of {', '.join(ATTRIBUTIONS)}") from None
    return method(subject, inputs, target, tuple(region_shape))
