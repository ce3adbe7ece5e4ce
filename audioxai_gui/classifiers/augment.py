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
import scipy.signal
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


def _rows(batch: np.ndarray, probability: float, rng: np.random.Generator) -> np.ndarray:
    """The rows an augmentation applied with ``probability`` touches in this batch."""
    return np.flatnonzero(rng.random(len(batch)) < probability)


def speech_power(batch: np.ndarray, sample_rate: int, floor_db: float = -30.0) -> np.ndarray:
    """Mean power of each row's loud part: the 10 ms frames within ``floor_db`` of its loudest frame.

    A short word in a silent 1 s window would otherwise count the silence, and "10 dB SNR" would mean
    a much noisier word the shorter it is. Returns shape (batch, 1).
    """
    frame = max(sample_rate // 100, 1)
    n_frames = max(batch.shape[1] // frame, 1)
    frames = batch[:, : n_frames * frame].reshape(len(batch), n_frames, frame)
    power = (frames.astype(np.float64) ** 2).mean(axis=2)
    loud = power >= power.max(axis=1, keepdims=True) * 10 ** (floor_db / 10)
    return ((power * loud).sum(axis=1) / np.maximum(loud.sum(axis=1), 1))[:, None]


def coloured_noise(shape: tuple[int, int], exponent: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise whose power falls as 1/f**exponent per row (0 white, 1 pink, 2 brown), unit power."""
    spectrum = np.fft.rfft(rng.standard_normal(shape), axis=1)
    bins = np.maximum(np.arange(spectrum.shape[1]), 1.0)
    noise = np.fft.irfft(spectrum * bins[None, :] ** (-np.asarray(exponent)[:, None] / 2), n=shape[1], axis=1)
    return (noise / np.sqrt(np.maximum((noise**2).mean(axis=1, keepdims=True), 1e-20))).astype(np.float32)


def add_noise_at_snr(batch: np.ndarray, snr_db: np.ndarray, exponent: np.ndarray, sample_rate: int, rng) -> np.ndarray:
    """``batch`` plus coloured noise at ``snr_db`` (per row) relative to each row's speech power."""
    noise = coloured_noise(batch.shape, exponent, rng)
    scale = np.sqrt(speech_power(batch, sample_rate) / 10 ** (np.asarray(snr_db, dtype=np.float64)[:, None] / 10))
    return (batch + noise * scale).astype(np.float32)


@dataclass
class ColouredNoise:
    """White or pink noise at a random SNR relative to the loud part of the window (the speech)."""

    probability: float = 0.6
    snr_db: tuple[float, float] = (0.0, 30.0)
    sample_rate: int = 8000

    def __call__(self, batch, rng):
        rows = _rows(batch, self.probability, rng)
        if rows.size:
            snr = rng.uniform(*self.snr_db, size=rows.size)
            batch[rows] = add_noise_at_snr(batch[rows], snr, rng.integers(0, 2, size=rows.size), self.sample_rate, rng)
        return batch

    def describe(self) -> str:
        return f"white/pink noise (p={self.probability}) at speech SNR {list(self.snr_db)} dB"


@dataclass
class SpeedPerturb:
    """Play each window faster or slower by a random factor (pitch, formants and duration change together,
    as in Kaldi's speed perturbation), resampled about the window's energy centre so the sound stays in it."""

    probability: float = 0.8
    factor: tuple[float, float] = (0.85, 1.15)

    def __call__(self, batch, rng):
        rows = _rows(batch, self.probability, rng)
        n = batch.shape[1]
        positions = np.arange(n, dtype=np.float64)
        for row, factor in zip(rows, rng.uniform(*self.factor, size=rows.size), strict=True):
            energy = batch[row].astype(np.float64) ** 2
            centre = float((energy * positions).sum() / max(energy.sum(), 1e-20))
            batch[row] = np.interp(centre + (positions - centre) * factor, positions, batch[row], left=0.0, right=0.0)
        return batch

    def describe(self) -> str:
        return f"speed perturbation (p={self.probability}, factor {list(self.factor)})"


def warp_frequencies(batch: np.ndarray, factors: np.ndarray, n_fft: int = 256, hop: int = 64) -> np.ndarray:
    """Move every frequency of each row by its factor without changing its duration (a phase-vocoder
    transposition): harmonics and formants move together, like a shorter or longer vocal tract."""
    n = batch.shape[1]
    window = torch.hann_window(n_fft, dtype=torch.float32)
    stft = torch.stft(
        torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32)), n_fft, hop, window=window, return_complex=True
    )
    n_bins = stft.shape[1]
    bins = torch.arange(n_bins, dtype=torch.float32)
    source = bins[None, :] / torch.from_numpy(np.asarray(factors, dtype=np.float32))[:, None]  # (rows, bins)
    low = source.floor().long().clamp(max=n_bins - 1)
    high = (low + 1).clamp(max=n_bins - 1)
    frac = (source - low).unsqueeze(-1)
    inside = (source <= n_bins - 1).unsqueeze(-1)
    magnitude = stft.abs()

    def at(index):
        return torch.gather(magnitude, 1, index.unsqueeze(-1).expand(-1, -1, magnitude.shape[2]))

    warped = (at(low) * (1 - frac) + at(high) * frac) * inside
    # Phase: each source bin's instantaneous frequency, scaled by the factor and integrated over frames.
    phase = stft.angle()
    expected = 2 * torch.pi * bins * hop / n_fft
    advance = torch.diff(phase, dim=2) - expected[None, :, None]
    advance = expected[None, :, None] + torch.remainder(advance + torch.pi, 2 * torch.pi) - torch.pi
    nearest = source.round().long().clamp(max=n_bins - 1)
    start = torch.gather(phase[:, :, :1], 1, nearest.unsqueeze(-1))
    steps = torch.gather(advance, 1, nearest.unsqueeze(-1).expand(-1, -1, advance.shape[2]))
    factor = torch.from_numpy(np.asarray(factors, dtype=np.float32))[:, None, None]
    new_phase = torch.cat([start, start + torch.cumsum(steps * factor, dim=2)], dim=2)
    out = torch.istft(torch.polar(warped, new_phase), n_fft, hop, window=window, length=n)
    return out.numpy().astype(np.float32)


@dataclass
class FrequencyWarp:
    """Pitch and formants shifted together by a random factor with the duration kept (vocal-tract-length
    and pitch perturbation): a higher or lower voice saying the same word at the same pace."""

    probability: float = 0.6
    factor: tuple[float, float] = (0.84, 1.19)  # about ±3 semitones

    def __call__(self, batch, rng):
        rows = _rows(batch, self.probability, rng)
        if rows.size:
            batch[rows] = warp_frequencies(batch[rows], np.exp(rng.uniform(*np.log(self.factor), size=rows.size)))
        return batch

    def describe(self) -> str:
        return f"pitch+formant warp (p={self.probability}, factor {list(self.factor)})"


@dataclass
class PitchShift:
    """Pitch shifted with the duration kept by a long-window phase vocoder (librosa's ``pitch_shift``, the way
    everyday pitch-shifting tools do it): besides the new pitch, its 2048-sample frames smear onsets and blur
    harmonics, artefacts ``FrequencyWarp``'s short frames do not make and a raw-waveform model must learn to ignore."""

    probability: float = 0.25
    semitones: tuple[float, float] = (-3.0, 3.0)
    sample_rate: int = 8000

    def __call__(self, batch, rng):
        import librosa

        rows = _rows(batch, self.probability, rng)
        for row, steps in zip(rows, rng.uniform(*self.semitones, size=rows.size), strict=True):
            batch[row] = librosa.effects.pitch_shift(batch[row], sr=self.sample_rate, n_steps=float(steps))
        return batch

    def describe(self) -> str:
        return f"phase-vocoder pitch shift (p={self.probability}, {list(self.semitones)} semitones)"


@dataclass
class BandLimit:
    """A random band-pass (a telephone line passes 300-3400 Hz; small microphones and speakers cut similarly)."""

    probability: float = 0.3
    low_hz: tuple[float, float] = (150.0, 450.0)
    high_hz: tuple[float, float] = (2600.0, 3800.0)
    sample_rate: int = 8000

    def __call__(self, batch, rng):
        for row in _rows(batch, self.probability, rng):
            batch[row] = band_pass(batch[row], rng.uniform(*self.low_hz), rng.uniform(*self.high_hz), self.sample_rate)
        return batch

    def describe(self) -> str:
        return f"band-pass (p={self.probability}, low edge {list(self.low_hz)} Hz, high edge {list(self.high_hz)} Hz)"


def band_pass(samples: np.ndarray, low_hz: float, high_hz: float, sample_rate: int, order: int = 4) -> np.ndarray:
    """A causal Butterworth band-pass along the last axis (order 4: 300-3400 Hz cuts 100 Hz and 3.8 kHz by ~40 dB)."""
    sos = scipy.signal.butter(
        order, [low_hz, min(high_hz, 0.49 * sample_rate)], "bandpass", fs=sample_rate, output="sos"
    )
    return scipy.signal.sosfilt(sos, samples, axis=-1).astype(np.float32)


@dataclass
class Reverb:
    """A synthetic room: the direct sound plus exponentially decaying noise (reverberation time RT60 and
    direct-to-reverberant ratio drawn at random), convolved by FFT."""

    probability: float = 0.3
    rt60_s: tuple[float, float] = (0.15, 0.8)
    drr_db: tuple[float, float] = (-3.0, 12.0)
    sample_rate: int = 8000

    def __call__(self, batch, rng):
        rows = _rows(batch, self.probability, rng)
        if not rows.size:
            return batch
        n = batch.shape[1]
        length = int(self.rt60_s[1] * self.sample_rate)
        t = np.arange(1, length + 1)[None, :] / self.sample_rate
        rt60 = rng.uniform(*self.rt60_s, size=(rows.size, 1))
        tail = rng.standard_normal((rows.size, length)) * np.exp(-6.9 * t / rt60)
        drr = 10 ** (rng.uniform(*self.drr_db, size=(rows.size, 1)) / 10)
        tail *= np.sqrt(1 / (drr * (tail**2).sum(axis=1, keepdims=True)))
        response = np.concatenate([np.ones((rows.size, 1)), tail], axis=1)
        size = 1 << int(np.ceil(np.log2(n + length)))
        wet = np.fft.irfft(np.fft.rfft(batch[rows], size, axis=1) * np.fft.rfft(response, size, axis=1), size, axis=1)
        batch[rows] = wet[:, :n].astype(np.float32)
        return batch

    def describe(self) -> str:
        return f"synthetic room reverb (p={self.probability}, RT60 {list(self.rt60_s)} s, DRR {list(self.drr_db)} dB)"


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
