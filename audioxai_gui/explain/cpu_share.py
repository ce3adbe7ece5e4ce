"""The CPU's cores shared between the explanations that run at once.

torch's thread count for its operations is a setting of the calling thread (OpenMP). Two models explained at
once, each with every core, oversubscribe the CPU: on 2 cores the shipped digit pair explained 83 windows/s
together that way, 95-105 with one thread each. Each taking part calls ``fit`` between batches, so when one
finishes the other takes every core from its next batch on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import torch


class CpuShare:
    """Split ``cores`` (default: torch's thread count where this is made, i.e. the CPU's) between the
    explanations taking part right now."""

    def __init__(self, cores: int | None = None):
        self.cores = cores or torch.get_num_threads()
        self._active = 0
        self._lock = threading.Lock()

    @contextmanager
    def taking_part(self) -> Iterator[CpuShare]:
        """Count the calling thread in for the block; it leaves with all cores again (pool threads run other
        jobs afterwards)."""
        with self._lock:
            self._active += 1
        try:
            self.fit()
            yield self
        finally:
            with self._lock:
                self._active -= 1
            torch.set_num_threads(self.cores)

    def fit(self) -> int:
        """Give the calling thread its share of the cores now; returns it."""
        with self._lock:
            share = max(1, self.cores // max(1, self._active))
        if torch.get_num_threads() != share:
            torch.set_num_threads(share)
        return share
