"""A copy of a trained model for fast batched forward passes: the same function computed with fewer, faster kernels.

- BatchNorm is folded into the convolution before it (one kernel instead of two);
- max-pooling runs before the ReLU that precedes it (they commute, both being monotone; the ReLU then touches a
  quarter of the values);
- convolutions run in the channels-last layout, 1-D ones as 2-D convolutions of height 1: PyTorch's CPU kernels
  for channels-last 2-D convolution and pooling are 2-3x faster for these small networks (measured in
  benchmarks/RESULTS.md).

``frozen_copy`` goes one step further for forward passes without gradients on the CPU (the data-set comparison's
hundreds of perturbed inputs per clip): the copy traced, frozen and optimised for inference, so its convolutions
run on oneDNN with pre-packed weights and the layout is kept between layers.

The copy is for inference and input gradients (gradient x input, integrated gradients); LRP runs on the original,
whose BatchNorm and ReLU layers its rules address. A module that cannot be converted is kept as it is, so any
registered architecture gets a correct copy, if not always a faster one.
"""

from __future__ import annotations

import copy
import warnings

import torch
from torch import nn

_CONV_NORM = ((nn.Conv1d, nn.BatchNorm1d), (nn.Conv2d, nn.BatchNorm2d))
_MAX_POOLS = (nn.MaxPool1d, nn.MaxPool2d)


def _pair(value, first=1):
    return (first, value[0] if isinstance(value, tuple) else value)


def _as_2d(module: nn.Module) -> nn.Module | None:
    """A 1-D layer as the equivalent 2-D layer over (channels, 1, length); None when there is no equivalent."""
    if isinstance(module, nn.Conv1d):
        if isinstance(module.padding, str) or module.padding_mode != "zeros":
            return None
        conv = nn.Conv2d(
            module.in_channels,
            module.out_channels,
            _pair(module.kernel_size),
            stride=_pair(module.stride),
            padding=_pair(module.padding, 0),
            dilation=_pair(module.dilation),
            groups=module.groups,
            bias=module.bias is not None,
        )
        conv.weight = nn.Parameter(module.weight.detach()[:, :, None, :].clone())
        if module.bias is not None:
            conv.bias = nn.Parameter(module.bias.detach().clone())
        return conv
    if isinstance(module, nn.MaxPool1d):
        if module.return_indices:
            return None
        return nn.MaxPool2d(
            _pair(module.kernel_size),
            stride=_pair(module.stride),
            padding=_pair(module.padding, 0),
            dilation=_pair(module.dilation),
            ceil_mode=module.ceil_mode,
        )
    if isinstance(module, nn.AdaptiveAvgPool1d):
        return nn.AdaptiveAvgPool2d(_pair(module.output_size))
    if isinstance(module, nn.ReLU | nn.Dropout | nn.Flatten | nn.Linear | nn.Identity):
        return module
    return None


def _fused_sequence(layers: list[nn.Module]) -> list[nn.Module]:
    """Conv + BatchNorm pairs folded, ReLU + max-pool pairs swapped."""
    fused: list[nn.Module] = []
    for layer in layers:
        previous = fused[-1] if fused else None
        if any(isinstance(previous, conv) and type(layer) is norm for conv, norm in _CONV_NORM):
            fused[-1] = torch.nn.utils.fusion.fuse_conv_bn_eval(previous, layer)
        elif isinstance(layer, _MAX_POOLS) and isinstance(previous, nn.ReLU):
            fused[-1:] = [layer, nn.ReLU()]
        else:
            fused.append(layer)
    return fused


def _fuse(module: nn.Module) -> nn.Module:
    for name, child in module.named_children():
        setattr(module, name, _fuse(child))
    if isinstance(module, nn.Sequential):
        return nn.Sequential(*_fused_sequence(list(module)))
    return module


def _convert_to_2d(module: nn.Module) -> bool:
    """Replace every 1-D layer under ``module`` by its 2-D twin, in place; False when some layer has none."""
    for name, child in module.named_children():
        if list(child.children()):
            if not _convert_to_2d(child):
                return False
            continue
        twin = _as_2d(child)
        if twin is None:
            return False
        setattr(module, name, twin)
    return True


class _ChannelsLast(nn.Module):
    """Runs ``inner`` on channels-last input; 1-D input (batch, channels, length) is viewed as height 1."""

    def __init__(self, inner: nn.Module, one_dimensional: bool):
        super().__init__()
        self.inner, self.one_dimensional = inner, one_dimensional

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.one_dimensional:
            x = x.unsqueeze(2)
        return self.inner(x.contiguous(memory_format=torch.channels_last))


def _candidates(plain: nn.Module):
    """Faster copies of the eval-mode ``plain``, fastest first."""
    fused = _fuse(copy.deepcopy(plain))
    layers = list(fused.modules())
    if any(isinstance(layer, nn.Conv1d) for layer in layers):
        converted = copy.deepcopy(fused)
        if _convert_to_2d(converted):
            yield _ChannelsLast(converted.to(memory_format=torch.channels_last), one_dimensional=True)
    elif any(isinstance(layer, nn.Conv2d) for layer in layers):
        yield _ChannelsLast(copy.deepcopy(fused).to(memory_format=torch.channels_last), one_dimensional=False)
    yield fused


def inference_copy(module: nn.Module, example: torch.Tensor, tolerance: float = 1e-4) -> nn.Module:
    """The fastest copy of ``module`` (in eval mode) whose output on ``example`` matches the plain copy's to
    ``tolerance`` (relative to the largest output); the plain copy when none does. See the module doc."""
    plain = copy.deepcopy(module).eval()
    with torch.no_grad():
        expected = plain(example)
        scale = max(float(expected.abs().max()), 1.0)
        for candidate in _candidates(plain):
            candidate.eval()
            try:
                if float((candidate(example) - expected).abs().max()) <= tolerance * scale:
                    return candidate
            except RuntimeError:  # a custom forward that assumed the 1-D layout
                continue
    return plain


def frozen_copy(module: nn.Module, example: torch.Tensor, tolerance: float = 1e-4) -> nn.Module:
    """``module`` traced, frozen and optimised for CPU inference: forwards 1.4-1.6x faster than the eager
    inference copy for the shipped models, no gradients (benchmarks/RESULTS.md). ``module`` itself when
    ``example`` is not on the CPU, when tracing fails, or when the optimised copy's output differs from
    ``module``'s on ``example`` or on its first row (so a batch size other than the traced one is checked too).

    torch.jit is deprecated in favour of torch.compile, which here compiles for ~37 s per process and batch
    shape, more than a whole clip set's forwards take; tracing and optimising takes ~0.1 s."""
    if example.device.type != "cpu" or not hasattr(torch.jit, "optimize_for_inference"):
        return module
    module = module.eval()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            frozen = torch.jit.optimize_for_inference(torch.jit.trace(module, example, check_trace=False).eval())
            for probe in (example, example[:1]):
                expected = module(probe)
                scale = max(float(expected.abs().max()), 1.0)
                if float((frozen(probe) - expected).abs().max()) > tolerance * scale:
                    return module
        except (RuntimeError, TypeError, ValueError):  # a forward tracing cannot follow
            return module
    return frozen
