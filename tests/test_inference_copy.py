"""The inference copy computes the same logits and input gradients as the model it was made from."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from audioxai_gui.classifiers import build_model
from audioxai_gui.classifiers.inference import frozen_copy, inference_copy


def _trained_looking(architecture: str) -> nn.Module:
    """Random weights and BatchNorm statistics far from the identity, so folding them is really tested."""
    torch.manual_seed(0)
    model = build_model(architecture, {"n_classes": 10})
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
    return model.eval()


@pytest.mark.parametrize(("architecture", "shape"), [("audionet1d", (3, 1, 4000)), ("alexnet2d", (3, 1, 64, 50))])
def test_inference_copy_has_the_models_logits_and_input_gradients(architecture, shape):
    model = _trained_looking(architecture)
    inputs = torch.randn(*shape, generator=torch.Generator().manual_seed(1))
    fast = inference_copy(model, inputs[:2])
    assert not any(isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d) for m in fast.modules())  # the fast path
    with torch.no_grad():
        np.testing.assert_allclose(fast(inputs).numpy(), model(inputs).numpy(), rtol=1e-4, atol=1e-4)
    gradients = []
    for module in (model, fast):
        x = inputs.clone().requires_grad_(True)
        module(x)[:, 3].sum().backward()
        gradients.append(x.grad.numpy())
    np.testing.assert_allclose(gradients[1], gradients[0], rtol=1e-3, atol=1e-5)
    assert model.training is False and any(isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d) for m in model.modules())


class _MeanOverTime(nn.Module):
    """A custom layer that assumes the 1-D layout (batch, channels, time): the copy must not reshape it."""

    def forward(self, x):
        return x.mean(dim=2)


def test_a_model_the_copy_cannot_convert_keeps_its_layout_and_its_logits():
    model = nn.Sequential(nn.Conv1d(1, 4, 3, padding=1), nn.BatchNorm1d(4), nn.ReLU(), _MeanOverTime(), nn.Linear(4, 2))
    model.eval()
    inputs = torch.randn(2, 1, 100)
    fast = inference_copy(model, inputs)
    with torch.no_grad():
        np.testing.assert_allclose(fast(inputs).numpy(), model(inputs).numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("architecture", "shape"), [("audionet1d", (1, 4000)), ("alexnet2d", (1, 64, 50))])
def test_frozen_copy_has_the_models_logits_at_any_batch_size(architecture, shape):
    model = _trained_looking(architecture)
    generator = torch.Generator().manual_seed(2)
    frozen = frozen_copy(inference_copy(model, torch.randn(2, *shape, generator=generator)), torch.randn(2, *shape))
    assert isinstance(frozen, torch.jit.ScriptModule)  # the optimised path, not the fallback
    with torch.no_grad():
        for batch in (1, 7, 40):
            inputs = torch.randn(batch, *shape, generator=generator)
            np.testing.assert_allclose(frozen(inputs).numpy(), model(inputs).numpy(), rtol=1e-4, atol=1e-4)


class _BranchesOnBatchSize(nn.Module):
    """Python control flow a trace freezes at the traced batch size: the frozen copy must notice and keep it."""

    def forward(self, x):
        return x * 2 if x.shape[0] > 1 else x


def test_frozen_copy_keeps_a_module_its_trace_cannot_reproduce():
    module = _BranchesOnBatchSize()
    assert frozen_copy(module, torch.randn(2, 1, 10)) is module
