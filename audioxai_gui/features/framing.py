"""Framing: the one description of how a signal is cut into STFT frames.

The spectrogram model's input, the displayed spectrogram and the time-frequency projection of the
waveform model's relevance all use the same Framing, so every map lives on one grid.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np


@dataclass(frozen=True)
class Framing:
    """STFT framing parameters (librosa / torch.stft conventions).

    ``pad_mode="constant"`` pads with zeros when ``center`` is set: silence stays silence, which
    keeps LRP relevance and the projection free of mirrored content at the clip edges.
    """

    n_fft: int = 256
    hop_length: int = 64
    win_length: int | None = None
    window: str = "hann"
    center: bool = True
    pad_mode: str = "constant"

    def __post_init__(self):
        if self.n_fft < 2 or self.hop_length < 1:
            raise ValueError(f"invalid framing: n_fft={self.n_fft}, hop_length={self.hop_length}")
        if self.effective_win_length > self.n_fft:
            raise ValueError(f"win_length {self.win_length} exceeds n_fft {self.n_fft}")

    @property
    def effective_win_length(self) -> int:
        return self.win_length or self.n_fft

    @property
    def n_bins(self) -> int:
        return self.n_fft // 2 + 1

    def window_array(self) -> np.ndarray:
        """The analysis window, zero-padded (centred) to n_fft, as float64."""
        return _window(self.window, self.effective_win_length, self.n_fft).copy()

    def n_frames(self, n_samples: int) -> int:
        padded = n_samples + 2 * (self.n_fft // 2) if self.center else n_samples
        if padded < self.n_fft:
            return 0
        return 1 + (padded - self.n_fft) // self.hop_length

    def frame_times(self, n_frames: int, sample_rate: float) -> np.ndarray:
        """Centre time (s) of each frame."""
        offset = 0 if self.center else self.n_fft // 2
        return (np.arange(n_frames) * self.hop_length + offset) / float(sample_rate)

    def bin_frequencies(self, sample_rate: float) -> np.ndarray:
        return np.fft.rfftfreq(self.n_fft, d=1.0 / sample_rate)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Framing:
        return cls(**data)


def _cosine_window(a0: float):
    """Periodic (DFT-even) generalised cosine window, as scipy.signal.get_window(..., fftbins=True) makes."""
    return lambda n: a0 - (1 - a0) * np.cos(2 * np.pi * np.arange(n) / n)


# The usual windows without importing scipy.signal (0.8 s at start-up); any other name goes to scipy.
COMMON_WINDOWS = {"hann": _cosine_window(0.5), "hamming": _cosine_window(0.54)}


@lru_cache(maxsize=32)
def _window(name: str, win_length: int, n_fft: int) -> np.ndarray:
    if name in COMMON_WINDOWS:
        win = COMMON_WINDOWS[name](win_length)
    else:
        import scipy.signal

        win = scipy.signal.get_window(name, win_length, fftbins=True).astype(np.float64)
    left = (n_fft - win_length) // 2
    padded = np.zeros(n_fft)
    padded[left : left + win_length] = win
    padded.setflags(write=False)
    return padded
