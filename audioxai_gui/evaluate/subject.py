"""One model as the measures see it: the clip in the model's window, level-normalised once, batched forward.

Perturbations act on the level-normalised window (or on the input built from it) and the model input is built
from it *without* normalising again: removing the loudest part of a clip must not turn up the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch

from ..classifiers import LoadedModel
from ..classifiers.inference import frozen_copy, inference_copy
from ..classifiers.inputs import INPUT_BUILDERS, normalise_level
from ..features import FeatureSpec, model_input_from_db

FORWARD_BATCH = 32  # measured: larger batches are no faster per clip on a CPU core


@dataclass
class Subject:
    """A loaded model plus the few facts every measure needs about its input."""

    model: LoadedModel

    @property
    def card(self):
        return self.model.card

    @property
    def kind(self) -> str:
        return self.model.card.input_kind

    @property
    def name(self) -> str:
        return self.model.card.name

    @property
    def features(self) -> FeatureSpec:
        return self.model.card.features

    def offset(self, samples: np.ndarray) -> int:
        """Where the clip starts in the model window (samples). A short clip is centred on the frame hop like the
        engine places it; a long clip gives its loudest window (negative offset), where an event most likely is."""
        length, hop = self.card.input_length, self.features.framing.hop_length
        n_samples = len(samples)
        if n_samples <= length:
            return (length - n_samples) // 2 // hop * hop
        energy = np.concatenate([[0.0], np.cumsum(np.asarray(samples, dtype=np.float64) ** 2)])
        starts = np.arange(0, n_samples - length + 1, hop)
        return -int(starts[np.argmax(energy[starts + length] - energy[starts])])

    def window(self, samples: np.ndarray) -> np.ndarray:
        """The clip as one model window (see ``offset``), level-normalised by the card's rule: float32,
        ``input_length`` samples."""
        samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        length, offset = self.card.input_length, self.offset(samples)
        window = np.zeros(length, dtype=np.float32)
        if samples.size <= length:
            window[offset : offset + samples.size] = samples
        else:  # the loudest window may start at 0: offset 0 means "from the clip's start" here
            window[:] = samples[-offset : -offset + length]
        return normalise_level(self.card, torch.from_numpy(window)[None])[0].numpy()

    def inputs(self, windows: np.ndarray | torch.Tensor) -> torch.Tensor:
        """(batch, input_length) normalised windows -> the model's input tensor, not normalised again."""
        windows = torch.as_tensor(np.asarray(windows, dtype=np.float32)).reshape(-1, self.card.input_length)
        return INPUT_BUILDERS[self.kind](self.card, windows)

    def silence_value(self) -> float:
        """The value of silence on the model's input scale (0 for a waveform, the dB floor for a spectrogram)."""
        if self.kind == "waveform":
            return 0.0
        return float(model_input_from_db(-self.features.top_db, self.features))

    @cached_property
    def fast(self) -> torch.nn.Module:
        """The model's inference copy (classifiers/inference.py), checked against it on two noise windows."""
        noise = np.random.default_rng(0).standard_normal((2, self.card.input_length)) * 0.1
        return inference_copy(self.model.module, self.inputs(noise).to(self.model.device))

    @cached_property
    def frozen(self) -> torch.nn.Module:
        """The inference copy optimised for forwards without gradients (classifiers/inference.frozen_copy)."""
        noise = np.random.default_rng(1).standard_normal((2, self.card.input_length)) * 0.1
        return frozen_copy(self.fast, self.inputs(noise).to(self.model.device))

    def logits(self, inputs: torch.Tensor) -> np.ndarray:
        """Logits (batch, classes) of model inputs, in batches without gradients (on the frozen inference copy)."""
        chunks = []
        with torch.no_grad():
            for start in range(0, len(inputs), FORWARD_BATCH):
                batch = inputs[start : start + FORWARD_BATCH].to(self.model.device)
                chunks.append(self.frozen(batch).float().cpu().numpy())
        return np.concatenate(chunks).astype(np.float64)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)
