"""Single-producer / single-consumer float32 ring buffer between the audio callback and the analysis.

The PortAudio callback thread must never wait on the GUI or on a model, so ``write`` only copies into
preallocated memory. Positions are monotonically increasing totals (samples ever written / consumed),
never wrapped indices: that makes "how much is new" and "how much was lost" plain subtractions.

The copy itself runs outside any lock. A tiny lock guards only the bookkeeping (a few integer
operations), so the writer's overflow count and the reader's "lost" count agree exactly even when a
read races a write that overwrites the samples being read.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

import numpy as np


class NewSamples(NamedTuple):
    """What ``read_new`` returns: the unread samples, and how many unread ones were overwritten."""

    samples: np.ndarray
    lost: int


class RingBuffer:
    """Preallocated float32 ring of ``capacity_samples``; one writer thread, one consuming reader."""

    def __init__(self, capacity_samples: int):
        capacity = int(capacity_samples)
        if capacity < 1:
            raise ValueError(f"ring buffer capacity must be at least 1 sample, got {capacity_samples!r}")
        self._data = np.zeros(capacity, dtype=np.float32)
        self._capacity = capacity
        self._written = 0  # samples fully copied in; everything below this total is readable
        self._reserved = 0  # end of the write in progress: samples below reserved - capacity may be torn
        self._read_pos = 0  # total consumed by read_new
        self._overflow_samples = 0
        self._books = threading.Lock()

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def total_written(self) -> int:
        """Samples written since creation (never wraps); the clock of the live stream."""
        return self._written

    @property
    def overflow_samples(self) -> int:
        """Unread samples overwritten so far because the reader fell more than a capacity behind."""
        return self._overflow_samples

    def write(self, block: np.ndarray) -> None:
        """Append a 1-D block (called from the audio callback: copies only, no allocation)."""
        samples = np.asarray(block, dtype=np.float32)
        if samples.ndim != 1:
            raise ValueError(f"ring buffer takes 1-D sample blocks, got shape {samples.shape}")
        n_new = samples.shape[0]
        if n_new == 0:
            return
        start_total = self._written
        end_total = start_total + n_new
        with self._books:
            oldest_kept_before = max(self._read_pos, start_total - self._capacity)
            self._overflow_samples += max(0, end_total - self._capacity - oldest_kept_before)
            self._reserved = end_total
        kept = samples[-self._capacity :]
        self._copy_in(kept, end_total - kept.shape[0])
        self._written = end_total

    def read_new(self) -> NewSamples:
        """Consume and return every sample written since the previous call (at most one capacity).

        ``lost`` counts samples written after the previous read that were overwritten before this one
        (the reader fell behind); the returned samples directly follow those lost ones.
        """
        end_total = self._written
        start_total = max(self._read_pos, end_total - self._capacity)
        samples = self._copy_out(start_total, end_total)
        with self._books:
            # A writer that lapped us during the copy may have overwritten even all of it.
            first_intact = max(start_total, self._reserved - self._capacity)
            lost = first_intact - self._read_pos
            self._read_pos = max(end_total, first_intact)
        return NewSamples(samples[first_intact - start_total :], lost)

    def latest(self, n_samples: int) -> np.ndarray:
        """The newest ``n_samples`` (a copy), zero-padded at the start where none were written yet.

        Does not consume. Samples a concurrent write overwrote during the copy (only possible when
        ``n_samples`` is within one block of the capacity) are zeroed like never-written ones.
        """
        n = int(n_samples)
        if not 0 <= n <= self._capacity:
            raise ValueError(f"latest() takes 0..{self._capacity} samples (the capacity), got {n_samples!r}")
        end_total = self._written
        start_total = end_total - n
        out = np.zeros(n, dtype=np.float32)
        available_from = max(start_total, 0)
        out[available_from - start_total :] = self._copy_out(available_from, end_total)
        first_intact = self._reserved - self._capacity
        if first_intact > start_total:
            out[: min(first_intact - start_total, n)] = 0.0
        return out

    def _copy_in(self, samples: np.ndarray, start_total: int) -> None:
        offset = start_total % self._capacity
        head = min(samples.shape[0], self._capacity - offset)
        self._data[offset : offset + head] = samples[:head]
        self._data[: samples.shape[0] - head] = samples[head:]

    def _copy_out(self, start_total: int, end_total: int) -> np.ndarray:
        n = end_total - start_total
        offset = start_total % self._capacity
        head = min(n, self._capacity - offset)
        out = np.empty(n, dtype=np.float32)
        out[:head] = self._data[offset : offset + head]
        out[head:] = self._data[: n - head]
        return out
