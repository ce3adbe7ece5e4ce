"""How a batch of waveform windows becomes a model's input, keyed by the card's ``input_kind``.

Training and explanation both call ``model_input``, so a model always sees exactly what it was trained on.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..features import model_input_from_db, spectrogram_db
from .card import ModelCard


def _waveform_input(card: ModelCard, windows: torch.Tensor) -> torch.Tensor:
    return windows.unsqueeze(1)


def _spectrogram_input(card: ModelCard, windows: torch.Tensor) -> torch.Tensor:
    return model_input_from_db(spectrogram_db(windows, card.features), card.features).unsqueeze(1)


INPUT_BUILDERS: dict[str, Callable[[ModelCard, torch.Tensor], torch.Tensor]] = {
    "waveform": _waveform_input,
    "spectrogram": _spectrogram_input,
}


def normalise_level(card: ModelCard, windows: torch.Tensor) -> torch.Tensor:
    """Scale each window to the card's peak level, with the gain capped so near-silence stays quiet."""
    if card.peak_level is None:
        return windows
    peak = windows.abs().amax(dim=-1, keepdim=True)
    max_gain = 10 ** (card.max_gain_db / 20)
    gain = torch.where(peak > 0, card.peak_level / peak.clamp_min(1e-12), torch.ones_like(peak))
    return windows * gain.clamp_max(max_gain)


def model_input(card: ModelCard, windows: torch.Tensor) -> torch.Tensor:
    """(batch, input_length) waveform windows at the card's rate -> the model's input tensor."""
    return INPUT_BUILDERS[card.input_kind](card, normalise_level(card, windows))
