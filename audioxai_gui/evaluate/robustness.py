"""Corruptions by name, with the levels the comparison sweeps, and explanation stability.

Each corruption changes the raw clip (before the model's level normalisation: a gain of -40 dB is then only
partly undone, as with a quiet microphone). Noise is seeded per clip, so two runs give the same numbers.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import scipy.signal
import scipy.stats

Corrupt = Callable[[np.ndarray, int, float, np.random.Generator], np.ndarray]


def _power(samples: np.ndarray) -> float:
    return float(np.mean(samples.astype(np.float64) ** 2))


def _at_snr(samples: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    noise_power = _power(noise)
    if noise_power == 0:
        return samples
    scale = np.sqrt(_power(samples) / noise_power / 10 ** (snr_db / 10))
    return (samples + scale * noise).astype(np.float32)


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """Noise with power falling 3 dB per octave (1/f), by shaping white noise's spectrum."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    frequencies = np.arange(spectrum.size, dtype=np.float64)
    frequencies[0] = 1.0
    return np.fft.irfft(spectrum / np.sqrt(frequencies), n)


def white_noise(samples, sample_rate, snr_db, rng):
    return _at_snr(samples, rng.standard_normal(samples.size), snr_db)


def pink(samples, sample_rate, snr_db, rng):
    return _at_snr(samples, pink_noise(samples.size, rng), snr_db)


def gain(samples, sample_rate, db, rng):
    return (samples * 10 ** (db / 20)).astype(np.float32)


def _filtered(samples, sample_rate, sos):
    return scipy.signal.sosfiltfilt(sos, samples).astype(np.float32)


def telephone(samples, sample_rate, level, rng):
    """The 300-3400 Hz telephone band (the upper edge clipped below Nyquist)."""
    high = min(3400.0, 0.45 * sample_rate)
    band = scipy.signal.butter(4, [300, high], "bandpass", fs=sample_rate, output="sos")
    return _filtered(samples, sample_rate, band)


def low_pass(samples, sample_rate, cutoff_hz, rng):
    if cutoff_hz >= sample_rate / 2:
        return samples
    return _filtered(samples, sample_rate, scipy.signal.butter(6, cutoff_hz, "lowpass", fs=sample_rate, output="sos"))


def time_shift(samples, sample_rate, seconds, rng):
    """Delay (positive) or advance (negative) the clip within its own length, filling with silence (a clip shorter
    than the shift becomes silence)."""
    shift = round(seconds * sample_rate)
    shifted = np.zeros_like(samples)
    if abs(shift) >= samples.size:
        return shifted
    if shift >= 0:
        shifted[shift:] = samples[: samples.size - shift]
    else:
        shifted[:shift] = samples[-shift:]
    return shifted


def _resample(samples, ratio: float) -> np.ndarray:
    fraction = Fraction(ratio).limit_denominator(100)
    return scipy.signal.resample_poly(samples, fraction.numerator, fraction.denominator).astype(np.float32)


def speed(samples, sample_rate, percent, rng):
    """Play faster (positive) or slower: duration and pitch change together."""
    return _resample(samples, 1 / (1 + percent / 100))


def pitch(samples, sample_rate, semitones, rng):
    """Shift the pitch by ``semitones`` keeping the duration (librosa's phase vocoder).

    A clip shorter than the vocoder's 2048-sample frame (a quick digit at 8 kHz) is zero-padded by librosa,
    which warns each time; the result is sound, so the warning is kept out of the ``compare`` output."""
    import librosa

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="n_fft=.* is too large for input signal", category=UserWarning)
        shifted = librosa.effects.pitch_shift(samples.astype(np.float32), sr=sample_rate, n_steps=semitones)
    return shifted.astype(np.float32)


@dataclass(frozen=True)
class Corruption:
    apply: Corrupt
    levels: tuple[float, ...]
    unit: str
    describe: str


CORRUPTIONS: dict[str, Corruption] = {
    "white-noise": Corruption(white_noise, (30, 20, 10, 5, 0), "dB SNR", "white noise at a signal-to-noise ratio"),
    "pink-noise": Corruption(pink, (30, 20, 10, 5, 0), "dB SNR", "pink (1/f) noise at a signal-to-noise ratio"),
    "gain": Corruption(gain, (-40, -30, -20, -10, 0), "dB", "the clip made quieter"),
    "telephone": Corruption(telephone, (1,), "", "the 300-3400 Hz telephone band"),
    "low-pass": Corruption(low_pass, (1000, 2000, 3000), "Hz", "a low-pass filter at a cut-off"),
    "time-shift": Corruption(time_shift, (-0.2, -0.1, 0.1, 0.2), "s", "the clip moved in time"),
    "speed": Corruption(speed, (-10, 10), "%", "played slower or faster"),
    "pitch": Corruption(pitch, (-2, 2), "semitones", "pitch shifted, duration kept"),
}

# Explanation stability: relevance before and after this much white noise.
STABILITY_SNR_DB = 30.0


def level_label(name: str, level: float) -> str:
    unit = CORRUPTIONS[name].unit
    return f"{name} {level:g} {unit}".strip() if unit else name


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation of two maps of one shape (NaN when either is constant)."""
    a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"maps differ in size: {a.size} vs {b.size}")
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(scipy.stats.spearmanr(a, b).statistic)
