"""The scrolling last N seconds at the display grid's rate: samples and spectrogram, updated incrementally.

Qt-free. Recomputing the spectrogram of 30 s every 40 ms would cost about 90 ms a tick, so the history
only ever moves by whole hops and recomputes the few columns whose frames reach the newest samples.
Column k is centred on history sample k * hop, as in ``spectrogram_db`` of the whole history, which is
what the panes' time axes assume.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np


class ScrollingHistory:
    """The newest ``seconds`` of a stream resampled to ``grid.sample_rate``, with its dB spectrogram on ``grid``."""

    def __init__(self, grid, capture_rate: int, seconds: float):
        import soxr

        framing = grid.framing
        self.grid = grid
        self.rate = grid.sample_rate
        self.hop = framing.hop_length
        self.n_columns = max(1, round(seconds * self.rate / self.hop))
        self.samples = np.zeros(self.n_columns * self.hop, dtype=np.float32)
        self.db = np.full((grid.n_bands, self.n_columns), -grid.top_db, dtype=np.float32)
        self.end_samples = 0  # display-rate samples shifted in since the start: the history's clock
        self._half_frame = framing.n_fft // 2 if framing.center else 0
        self._uncentred = replace(grid, framing=replace(framing, center=False))
        self._pending = np.zeros(0, dtype=np.float32)
        self._resampler = None if capture_rate == self.rate else soxr.ResampleStream(capture_rate, self.rate, 1)

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate

    @property
    def start_seconds(self) -> float:
        """Stream time of history sample 0 (negative until the stream has filled the history)."""
        return (self.end_samples - len(self.samples)) / self.rate

    def push(self, captured: np.ndarray) -> None:
        """Append samples at the capture rate; whole hops enter the history, the rest waits for the next push."""
        new = np.asarray(captured, dtype=np.float32)
        if self._resampler is not None:
            new = self._resampler.resample_chunk(new).astype(np.float32, copy=False)
        pending = np.concatenate([self._pending, new]) if len(self._pending) else new
        n_hops = len(pending) // self.hop
        self._pending = pending[n_hops * self.hop :].copy()
        if n_hops:
            self._shift_in(pending[: n_hops * self.hop], n_hops)

    def _shift_in(self, block: np.ndarray, n_hops: int) -> None:
        n = len(self.samples)
        if len(block) >= n:
            self.samples[:] = block[-n:]
        else:
            self.samples[: -len(block)] = self.samples[len(block) :]
            self.samples[-len(block) :] = block
        self.end_samples += len(block)
        shifted = min(n_hops, self.n_columns)
        if shifted < self.n_columns:
            self.db[:, :-shifted] = self.db[:, shifted:]
        # Columns whose frames reached past the old end were computed against zeros: redo them too.
        self._recompute_tail(min(self.n_columns, shifted + math.ceil(self._half_frame / self.hop) + 1))

    def _recompute_tail(self, n_recomputed: int) -> None:
        first = self.n_columns - n_recomputed
        start = first * self.hop - self._half_frame
        frames = np.zeros((n_recomputed - 1) * self.hop + self.grid.framing.n_fft, dtype=np.float32)
        low, high = max(start, 0), min(len(self.samples), start + len(frames))
        frames[low - start : high - start] = self.samples[low:high]
        from ...features import spectrogram_db

        self.db[:, first:] = spectrogram_db(frames, self._uncentred)[:, :n_recomputed]
