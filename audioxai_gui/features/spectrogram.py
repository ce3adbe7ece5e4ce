"""The one spectrogram function: it feeds the spectrogram model and every spectrogram display.

``spectrogram_db`` returns level in dB re full scale (1.0), floored at ``-top_db``. The model sees
the same values rescaled to [0, ~1] by ``model_input_from_db`` (silence -> 0, so input-proportional
LRP rules put no relevance on silence).

Tensors (the model's input) go through ``torch.stft``; numpy arrays (every display) through the same STFT in
numpy, so an opened file's spectrogram is drawn before torch has loaded (tests hold the two to 1e-3 dB).
torch is imported on first use only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .framing import Framing

NUMPY_PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}
"""Framing.pad_mode follows torch.stft; numpy names some modes differently."""

FEATURE_KINDS = ("stft_db", "mel_db")


@dataclass(frozen=True)
class FeatureSpec:
    """What the spectrogram is: framing plus level scaling (and mel bands for ``mel_db``)."""

    sample_rate: int = 8000
    framing: Framing = field(default_factory=Framing)
    kind: str = "stft_db"
    top_db: float = 80.0
    amin: float = 1e-5
    n_mels: int = 64
    fmin: float = 0.0
    fmax: float | None = None

    def __post_init__(self):
        if self.kind not in FEATURE_KINDS:
            raise ValueError(f"unknown feature kind {self.kind!r}; known: {', '.join(FEATURE_KINDS)}")

    @property
    def n_bands(self) -> int:
        return self.n_mels if self.kind == "mel_db" else self.framing.n_bins

    def band_frequencies(self) -> np.ndarray:
        """Centre frequency (Hz) of each row of the spectrogram."""
        if self.kind == "mel_db":
            import librosa  # imported lazily: it costs about a second at start-up

            return librosa.mel_frequencies(self.n_mels + 2, fmin=self.fmin, fmax=self._fmax)[1:-1]
        return self.framing.bin_frequencies(self.sample_rate)

    @property
    def _fmax(self) -> float:
        return self.fmax if self.fmax is not None else self.sample_rate / 2

    def mel_filterbank(self) -> np.ndarray:
        """(n_mels, n_bins) mel weights; used by the spectrogram and by the relevance projection."""
        return _mel_fb(self.sample_rate, self.framing.n_fft, self.n_mels, self.fmin, self._fmax)

    def to_dict(self) -> dict:
        return {
            "sample_rate": self.sample_rate,
            "framing": self.framing.to_dict(),
            "kind": self.kind,
            "top_db": self.top_db,
            "amin": self.amin,
            "n_mels": self.n_mels,
            "fmin": self.fmin,
            "fmax": self.fmax,
        }

    @classmethod
    def from_dict(cls, data: dict) -> FeatureSpec:
        data = dict(data)
        data["framing"] = Framing.from_dict(data.get("framing", {}))
        return cls(**data)


@lru_cache(maxsize=8)
def _mel_fb(sr: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    import librosa

    fb = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, norm=None)
    fb.setflags(write=False)
    return fb


def stft(samples, framing: Framing):
    """Complex STFT (..., n_bins, n_frames) of a real tensor (..., n_samples)."""
    import torch

    window = torch.as_tensor(framing.window_array(), dtype=samples.dtype, device=samples.device)
    shape = samples.shape
    flat = samples.reshape(-1, shape[-1])
    spec = torch.stft(
        flat,
        n_fft=framing.n_fft,
        hop_length=framing.hop_length,
        win_length=framing.n_fft,
        window=window,
        center=framing.center,
        pad_mode=framing.pad_mode,
        return_complex=True,
    )
    return spec.reshape(*shape[:-1], *spec.shape[-2:])


def istft(spectrum, framing: Framing, length: int):
    """Inverse of ``stft`` with the same framing: (..., n_bins, n_frames) -> (..., length) real samples."""
    import torch

    window = torch.as_tensor(framing.window_array(), dtype=spectrum.real.dtype, device=spectrum.device)
    shape = spectrum.shape
    flat = spectrum.reshape(-1, *shape[-2:])
    samples = torch.istft(
        flat,
        n_fft=framing.n_fft,
        hop_length=framing.hop_length,
        win_length=framing.n_fft,
        window=window,
        center=framing.center,
        length=length,
    )
    return samples.reshape(*shape[:-2], length)


def numpy_stft(samples: np.ndarray, framing: Framing) -> np.ndarray:
    """``stft`` in numpy, float32 in, complex64 out: (..., n_bins, n_frames), frames as torch.stft cuts them.
    scipy's FFT keeps float32 (numpy's computes in float64): an hour at 8 kHz takes 0.26 s instead of 2.6 s."""
    import scipy.fft  # here, not at the top: the window's first paint does not wait for it (0.3 s)

    samples = np.ascontiguousarray(samples, dtype=np.float32)
    if framing.center:
        pad = framing.n_fft // 2
        mode = NUMPY_PAD_MODES[framing.pad_mode]
        samples = np.pad(samples, [(0, 0)] * (samples.ndim - 1) + [(pad, pad)], mode=mode)
    frames = sliding_window_view(samples, framing.n_fft, axis=-1)[..., :: framing.hop_length, :]
    window = framing.window_array().astype(np.float32)
    return scipy.fft.rfft(frames * window, axis=-1).swapaxes(-1, -2)


def spectrogram_db(samples, spec: FeatureSpec):
    """Level in dB (re 1.0 full scale, floored at -top_db): (..., n_bands, n_frames).

    Accepts a numpy array or a torch tensor of shape (..., n_samples) and returns the same type.
    """
    if isinstance(samples, np.ndarray) or not hasattr(samples, "detach"):
        spectrum = numpy_stft(samples, spec.framing)
        power = np.square(spectrum.real) + np.square(spectrum.imag)
        if spec.kind == "mel_db":
            power = np.matmul(spec.mel_filterbank().astype(np.float32), power)
        return np.maximum(10.0 * np.log10(np.maximum(power, spec.amin**2)), -spec.top_db).astype(np.float32)
    import torch

    power = stft(samples, spec.framing).abs().square()
    if spec.kind == "mel_db":
        fb = torch.tensor(spec.mel_filterbank(), dtype=power.dtype, device=power.device)
        power = torch.matmul(fb, power)
    db = 10.0 * torch.log10(torch.clamp(power, min=spec.amin**2))
    return torch.clamp(db, min=-spec.top_db)


def model_input_from_db(db, spec: FeatureSpec):
    """Rescale dB to the spectrogram model's input range: -top_db -> 0, 0 dB -> 1."""
    return (db + spec.top_db) / spec.top_db
