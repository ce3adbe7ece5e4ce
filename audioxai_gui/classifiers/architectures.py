"""Registered architectures, built from a model card's ``architecture`` and ``architecture_params``.

Rules every architecture follows so that zennit's LRP is exact: activations and pools are modules
(never functional calls), modules are registered in forward order, there is no softmax inside the
model, and BatchNorm only directly follows a convolution (SequentialMergeBatchNorm folds it in).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

ARCHITECTURES: dict[str, Callable[..., nn.Module]] = {}


def register_architecture(name: str):
    """Class decorator: make an architecture buildable by name from a model card."""

    def wrap(cls):
        ARCHITECTURES[name] = cls
        return cls

    return wrap


def build_model(name: str, params: dict) -> nn.Module:
    try:
        cls = ARCHITECTURES[name]
    except KeyError:
        raise KeyError(f"unknown architecture {name!r}; registered: {', '.join(sorted(ARCHITECTURES))}") from None
    return cls(**params)


def _conv_block(dim: int, c_in: int, c_out: int, kernel: int, pool: int) -> list[nn.Module]:
    conv, norm, pool_cls = (
        (nn.Conv1d, nn.BatchNorm1d, nn.MaxPool1d) if dim == 1 else (nn.Conv2d, nn.BatchNorm2d, nn.MaxPool2d)
    )
    layers = [conv(c_in, c_out, kernel, padding=kernel // 2), norm(c_out), nn.ReLU()]
    if pool > 1:
        layers.append(pool_cls(pool))
    return layers


class _ConvClassifier(nn.Module):
    """Conv blocks -> global average pool -> small dense head (instead of a 16M-parameter dense layer)."""

    def __init__(self, dim: int, channels, kernels, pools, hidden: int, n_classes: int, dropout: float):
        super().__init__()
        layers: list[nn.Module] = []
        c_in = 1
        for c_out, kernel, pool in zip(channels, kernels, pools, strict=True):
            layers += _conv_block(dim, c_in, c_out, kernel, pool)
            c_in = c_out
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool1d(1) if dim == 1 else nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(c_in, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.flatten(self.pool(self.features(x))))


@register_architecture("audionet1d")
class AudioNet1D(_ConvClassifier):
    """Raw-waveform CNN in the AudioNet lineage (Becker et al. 2018): kernel-3 convolutions with max-pooling.

    Input (batch, 1, n_samples), e.g. 1 s at 8 kHz. ``kernels`` defaults to 3 for every block; a wider first
    kernel gives the first layer some frequency selectivity at higher sample rates.
    """

    input_kind = "waveform"

    def __init__(
        self,
        n_classes: int = 10,
        channels=(16, 32, 32, 64, 64, 128),
        pools=(3, 2, 2, 2, 2, 2),
        hidden: int = 64,
        dropout: float = 0.2,
        kernels=None,
    ):
        super().__init__(1, channels, kernels or [3] * len(channels), pools, hidden, n_classes, dropout)


@register_architecture("alexnet2d")
class AlexNet2D(_ConvClassifier):
    """Spectrogram CNN in the AlexNet lineage: a wide first kernel, then 3x3 convolutions with max-pooling.

    Input (batch, 1, n_bands, n_frames).
    """

    input_kind = "spectrogram"

    def __init__(
        self,
        n_classes: int = 10,
        channels=(16, 32, 64, 64, 128),
        kernels=(5, 3, 3, 3, 3),
        pools=(2, 2, 2, 2, 1),
        hidden: int = 64,
        dropout: float = 0.2,
    ):
        super().__init__(2, channels, kernels, pools, hidden, n_classes, dropout)
