"""Newest-wins hand-off from the GUI to the analysis worker, and the energy gate that skips silence.

Live analysis is only useful about *now*: when the model is slower than the hop, queueing requests
would make the display fall further and further behind. A one-slot mailbox where a newer request
replaces the waiting one keeps latency bounded by one analysis, and the drop count tells the user how
much the worker could not keep up with.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

import numpy as np

Request = TypeVar("Request")

SILENCE_FLOOR_DBFS = -120.0
"""Level reported for digital silence (and empty input), instead of minus infinity."""
_SILENCE_FLOOR_POWER = 10.0 ** (SILENCE_FLOOR_DBFS / 10.0)


class LatestWinsScheduler(Generic[Request]):
    """A one-slot request mailbox: ``submit`` never blocks, ``take`` returns the newest request."""

    def __init__(self):
        self._slot = threading.Condition()
        self._pending: Request | None = None
        self._closed = False
        self._submitted = 0
        self._dropped = 0

    def submit(self, request: Request) -> None:
        """Offer a request; a still-pending older one is replaced and counted as dropped."""
        if request is None:
            raise ValueError("cannot submit None: take() uses None to signal shutdown or timeout")
        with self._slot:
            if self._closed:
                raise RuntimeError("cannot submit to a scheduler that has been closed")
            if self._pending is not None:
                self._dropped += 1
            self._pending = request
            self._submitted += 1
            self._slot.notify()

    def take(self, timeout: float | None = None) -> Request | None:
        """Wait for and remove the newest request; None once closed (or when ``timeout`` s pass)."""
        with self._slot:
            self._slot.wait_for(lambda: self._pending is not None or self._closed, timeout)
            if self._closed:
                return None
            request, self._pending = self._pending, None
            return request

    def close(self) -> None:
        """Shut down: wake every waiting worker; a request still pending is dropped."""
        with self._slot:
            if self._pending is not None:
                self._dropped += 1
                self._pending = None
            self._closed = True
            self._slot.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def has_pending(self) -> bool:
        return self._pending is not None

    @property
    def submitted(self) -> int:
        return self._submitted

    @property
    def dropped(self) -> int:
        """Requests replaced by a newer one (or discarded at close) before a worker took them."""
        return self._dropped


def rms_dbfs(samples: np.ndarray) -> float:
    """RMS level in dB re full scale 1.0 (a full-scale square wave is 0 dBFS, a full-scale sine -3).

    Same reference as the spectrogram's dB, so a gate threshold and the display agree.
    """
    values = np.asarray(samples, dtype=np.float64)
    if values.size == 0:
        return SILENCE_FLOOR_DBFS
    mean_square = float(np.mean(np.square(values)))
    if not np.isfinite(mean_square):
        raise ValueError("cannot measure the level of samples containing NaN or infinity")
    if mean_square <= _SILENCE_FLOOR_POWER:
        return SILENCE_FLOOR_DBFS
    return 10.0 * float(np.log10(mean_square))


def short_term_dbfs(samples: np.ndarray, block: int) -> float:
    """Level of the loudest ``block``-long stretch: a word starting at the end of a window counts at once."""
    values = np.asarray(samples, dtype=np.float64)
    usable = values.size // block * block if block > 0 else 0
    if usable == 0:
        return rms_dbfs(values)
    blocks = values[values.size - usable :].reshape(-1, block)
    return max(rms_dbfs(chunk) for chunk in blocks)


GATE_ABOVE_FLOOR_DB = 10.0
"""With the gate on, a window is sound when its loudest block rises this far above the tracked noise floor (ten
times the power: the onset detector's rise); quieter windows show "no sound" instead of a class."""
GATE_ALWAYS_SOUND_DBFS = -40.0
"""A window this loud is sound whatever the floor: a stream that starts loud (or a steady sound that has lifted
the floor, such as rain) must not be called silence."""


def gate_threshold_db(gate_dbfs: float, floor_db: float | None) -> float:
    """The level a window's loudest block must reach to be analysed: ``GATE_ABOVE_FLOOR_DB`` over the noise floor
    (capped at ``GATE_ALWAYS_SOUND_DBFS``), and never below the user's absolute gate ``gate_dbfs``."""
    if floor_db is None:
        return gate_dbfs
    return max(gate_dbfs, min(floor_db + GATE_ABOVE_FLOOR_DB, GATE_ALWAYS_SOUND_DBFS))


def should_analyse(samples: np.ndarray, threshold_db: float, block: int) -> bool:
    """Energy gate: analyse a window whose loudest ``block`` reaches ``threshold_db`` dBFS (silence explains
    nothing). The whole window's level would keep a quiet word's onset gated until most of it had arrived."""
    return short_term_dbfs(samples, block) >= threshold_db
