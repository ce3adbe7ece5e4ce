"""Training augmentations, each a small object that says what it does (for the model card) and does it.

Two stages: waveform augmentations change a batch of windows (batch, n_samples) as numpy arrays before
the model's input is built; input augmentations (SpecAugment-style masks) change the model's input tensor
(batch, 1, bands, frames) after it. ``random_window`` cuts the training window out of a clip (the time shift).
All randomness comes from the generator passed in, so training with a fixed seed is repeatable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import torch

# Samples quieter than this count as digital silence (ESC-10 pads short recordings with exact zeros).
SILENCE_LEVEL = 1e-4


class WaveformAugmentation(Protocol):
    def __call__(self, batch: np.ndarray, rng: np.random.Generator) -> np.ndarray: ...

    def describe(self) -> str: ...


class InputAugmentation(Protocol):
    def __call__(self, inputs: torch.Tensor, rng: np.random.Generator) -> torch.Tensor: ...

    def describe(self) -> str: ...


def place_in_window(samples: np.ndarray, length: int, offset: int | None) -> np.ndarray:
    """Put a clip into a zero window of ``length`` at ``offset`` (None: centred); longer clips are cropped."""
    window = np.zeros(length, dtype=np.float32)
    if len(samples) >= length:
        start = (len(samples) - length) // 2 if offset is None else offset % (len(samples) - length + 1)
        window[:] = samples[start : start + length]
        return window
    start = (length - len(samples)) // 2 if offset is None else offset % (length - len(samples) + 1)
    window[start : start + len(samples)] = samples
    return window


def active_span(samples: np.ndarray) -> np.ndarray:
    """The clip without leading and trailing digital silence (all of it when it is silent throughout)."""
    loud = np.flatnonzero(np.abs(samples) > SILENCE_LEVEL)
    return samples[loud[0] : loud[-1] + 1] if loud.size else samples


def random_window(samples: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    """A training window at a random time shift: a random crop of a longer clip's recorded part, or a short
    clip at a random place in a silent window, so a model learns neither where a sound starts nor padding."""
    return place_in_window(active_span(samples), length, int(rng.integers(0, 1 << 30)))


def _peaks(batch: np.ndarray) -> np.ndarray:
    return np.maximum(np.abs(batch).max(axis=1, keepdims=True), 1e-6)


@dataclass
class RandomGain:
    """Scale each window to a random peak level; quiet windows teach the model that silence stays quiet
    (model_input normalises the level with its gain capped, so only levels below the cap matter)."""

    db: tuple[float, float] = (-40.0, 0.0)

    def __call__(self, batch, rng):
        gain = 10 ** (rng.uniform(*self.db, size=(len(batch), 1)) / 20)
        return (batch * gain / _peaks(batch)).astype(np.float32)

    def describe(self) -> str:
        return f"gain to a peak of {list(self.db)} dB"


def _add_at_snr(batch, rows, other, snr_db, rng) -> None:
    """Add ``other`` to ``batch[rows]`` at a random signal-to-other ratio in dB (power, per window)."""
    power = (batch[rows] ** 2).mean(axis=1, keepdims=True)
    other_power = np.maximum((other**2).mean(axis=1, keepdims=True), 1e-12)
    snr = 10 ** (rng.uniform(*snr_db, size=(len(other), 1)) / 10)
    batch[rows] += other * np.sqrt(power / (other_power * snr))


@dataclass
class WhiteNoise:
    """Additive white noise at a random signal-to-noise ratio."""

    probability: float = 0.5
    snr_db: tuple[float, float] = (10.0, 40.0)

    def __call__(self, batch, rng):
        rows = np.flatnonzero(rng.random(len(batch)) < self.probability)
        if rows.size:
            _add_at_snr(
                batch, rows, rng.standard_normal((rows.size, batch.shape[1])).astype(np.float32), self.snr_db, rng
            )
        return batch

    def describe(self) -> str:
        return f"white noise (p={self.probability}) at SNR {list(self.snr_db)} dB"


@dataclass
class MixBackground:
    """Mix a random stretch of another training clip in at a low level, so a model learns to ignore what
    plays underneath an event (ESC-10's recordings all carry some background of their own)."""

    clips: Sequence[np.ndarray] = field(repr=False)
    probability: float = 0.5
    snr_db: tuple[float, float] = (10.0, 25.0)

    def __call__(self, batch, rng):
        rows = np.flatnonzero(rng.random(len(batch)) < self.probability)
        if rows.size and len(self.clips):
            picks = rng.integers(0, len(self.clips), size=rows.size)
            other = np.stack([random_window(self.clips[i], batch.shape[1], rng) for i in picks])
            _add_at_snr(batch, rows, other, self.snr_db, rng)
        return batch

    def describe(self) -> str:
        return f"another training clip mixed in (p={self.probability}) at SNR {list(self.snr_db)} dB"


@dataclass
class RandomFilter:
    """A random smooth equaliser: gains drawn at a few log-spaced frequencies, interpolated over the
    spectrum and applied by FFT, like a different microphone, room or distance."""

    probability: float = 0.5
    max_db: float = 12.0
    n_points: int = 6

    def __call__(self, batch, rng):
        rows = np.flatnonzero(rng.random(len(batch)) < self.probability)
        if not rows.size:
            return batch
        n = batch.shape[1]
        spectrum = np.fft.rfft(batch[rows], axis=1)
        position = np.log1p(np.arange(spectrum.shape[1]))
        anchors = np.linspace(0.0, position[-1], self.n_points)
        gains_db = rng.uniform(-self.max_db, self.max_db, size=(rows.size, self.n_points))
        curve = np.stack([np.interp(position, anchors, g) for g in gains_db])
        batch[rows] = np.fft.irfft(spectrum * 10 ** (curve / 20), n=n, axis=1).astype(np.float32)
        return batch

    def describe(self) -> str:
        return f"random smooth filter (p={self.probability}, ±{self.max_db} dB at {self.n_points} frequencies)"


@dataclass
class SpecAugmentMasks:
    """SpecAugment-style masks: bands and frame ranges of the model's spectrogram input set to silence
    (0 in the model's input scale), so the model cannot rely on any one band or moment."""

    freq_masks: int = 2
    max_bands: int = 8
    time_masks: int = 2
    max_frames: int = 10

    def __call__(self, inputs, rng):
        inputs = inputs.clone()
        batch, _, n_bands, n_frames = inputs.shape
        for axis, count, widest, size in (
            (2, self.freq_masks, self.max_bands, n_bands),
            (3, self.time_masks, self.max_frames, n_frames),
        ):
            for _ in range(count):
                widths = rng.integers(0, min(widest, size) + 1, size=batch)
                starts = rng.integers(0, size - widths + 1)
                for row, (start, width) in enumerate(zip(starts, widths, strict=True)):
                    inputs.narrow(0, row, 1).narrow(axis, int(start), int(width)).zero_()
        return inputs

    def describe(self) -> str:
        return (
            f"SpecAugment masks ({self.freq_masks} × up to {self.max_bands} bands, "
            f"{self.time_masks} × up to {self.max_frames} frames)"
        )


@dataclass
class Augmentations:
    """The whole pipeline: waveform augmentations in order, then input augmentations in order."""

    waveform: list = field(default_factory=list)
    model_input: list = field(default_factory=list)

    def windows(self, clips: Sequence[np.ndarray], length: int, rng: np.random.Generator) -> np.ndarray:
        """Training windows for a batch of clips: random time shift, then the waveform augmentations."""
        batch = np.stack([random_window(c, length, rng) for c in clips])
        for step in self.waveform:
            batch = step(batch, rng)
        return np.clip(batch, -1.0, 1.0).astype(np.float32)

    def inputs(self, inputs: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
        for step in self.model_input:
            inputs = step(inputs, rng)
        return inputs

    def describe(self) -> str:
        return ", ".join(["random time shift of the window"] + [s.describe() for s in self.waveform + self.model_input])
