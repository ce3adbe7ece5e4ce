"""The open clip: source audio for display and playback, copies at each model's rate, display spectrograms.

Qt-free and built off the GUI thread. Display spectrograms come from ``spectrogram_db`` (the one
spectrogram function), computed in chunks so an hour of audio never needs one giant STFT buffer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..audio.io import Audio, load_audio
from .lod import ColumnPyramid, PeakPyramid, signed_absmax

CHUNK_FRAMES = 8192
"""Spectrogram frames per chunk: bounds the complex STFT buffer to a few MB whatever the file length."""


def display_spectrogram(samples: np.ndarray, grid, cancelled: Callable[[], bool] = lambda: False) -> np.ndarray:
    """(n_bands, n_frames) dB on ``grid``, identical to ``spectrogram_db(samples, grid)`` but chunked.

    A centred STFT zero-pads n_fft // 2 on each side; padding once and running uncentred chunks that
    overlap by n_fft - hop gives the very same frames.
    """
    from ..features import spectrogram_db

    framing = grid.framing
    n_frames = framing.n_frames(len(samples))
    if n_frames <= CHUNK_FRAMES:
        return spectrogram_db(samples, grid)
    half = framing.n_fft // 2 if framing.center else 0
    padded = np.pad(np.asarray(samples, dtype=np.float32), (half, half))
    uncentred = replace(grid, framing=replace(framing, center=False))
    out = np.empty((grid.n_bands, n_frames), dtype=np.float32)
    hop = framing.hop_length
    for first in range(0, n_frames, CHUNK_FRAMES):
        if cancelled():
            raise InterruptedError("display spectrogram cancelled")
        last = min(n_frames, first + CHUNK_FRAMES)
        chunk = padded[first * hop : (last - 1) * hop + framing.n_fft]
        out[:, first:last] = spectrogram_db(chunk, uncentred)
    return out


@dataclass
class GridImage:
    """A display spectrogram and its level-of-detail pyramid."""

    grid: object  # FeatureSpec
    db: np.ndarray
    pyramid: ColumnPyramid
    db_range: tuple[float, float]  # fixed display levels for the whole clip: the floor up to the loudest cell


@dataclass
class Clip:
    """One opened file, ready to display and explain."""

    audio: Audio
    by_rate: dict[int, np.ndarray]
    peaks: PeakPyramid
    images: dict[object, GridImage] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def path(self) -> Path | None:
        return self.audio.path

    @property
    def duration(self) -> float:
        return self.audio.duration

    def samples_at(self, rate: int) -> np.ndarray:
        return self.by_rate[rate]

    def image(self, grid, cancelled: Callable[[], bool] = lambda: False) -> GridImage:
        """The display spectrogram on ``grid`` (computed once per grid; call from a worker thread)."""
        with self._lock:
            if grid not in self.images:
                db = display_spectrogram(self.samples_at(grid.sample_rate), grid, cancelled)
                floor = -grid.top_db
                db_range = (floor, max(float(db.max()), floor + 1.0))
                self.images[grid] = GridImage(grid, db, ColumnPyramid(db, np.max), db_range)
            return self.images[grid]


def open_clip(path: str | Path, rates: set[int], grids=(), cancelled: Callable[[], bool] = lambda: False) -> Clip:
    """Decode ``path`` once at its own rate (display, playback) and resample it for each other model rate."""
    audio = load_audio(path)
    by_rate = {rate: audio.resampled(rate).samples for rate in rates | {audio.sample_rate}}
    clip = Clip(audio, by_rate, PeakPyramid(audio.samples))
    for grid in grids:
        clip.image(grid, cancelled)
    return clip


@dataclass
class ExplanationDisplay:
    """An explanation with what drawing it needs, prepared off the GUI thread."""

    explanation: object  # Explanation
    background: GridImage  # the display spectrogram on the explanation's grid
    tf_pyramid: ColumnPyramid
    samples_pyramid: PeakPyramid | None  # per-sample relevance, waveform models only


def prepare_display(explanation, clip: Clip, cancelled: Callable[[], bool] = lambda: False) -> ExplanationDisplay:
    samples = explanation.relevance if explanation.relevance.ndim == 1 else None
    return ExplanationDisplay(
        explanation,
        clip.image(explanation.grid, cancelled),
        ColumnPyramid(explanation.tf_relevance, signed_absmax),
        PeakPyramid(samples) if samples is not None else None,
    )
