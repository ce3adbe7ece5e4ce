"""What opening a file will cost, decided from its header before anything is decoded.

A header can claim anything: 55 hours in a 400 kB file, or a genuine 3-hour recording that needs more
memory than the machine has once explained and drawn. ``load_cost`` says how long the audio is and how
much memory its decoded samples take at the rates the models need; callers compare it with a
``CostLimit`` and ask (window) or refuse (CLI) before decoding.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass

from .io import AudioInfo, AudioLoadError, audio_info, load_audio_rates

BYTES_PER_SAMPLE = 4 * 3
"""float32 samples, their relevance and one working copy, at each model rate."""

MAX_SECONDS_ENV = "AUDIOXAI_MAX_DURATION"


@dataclass(frozen=True)
class LoadCost:
    seconds: float
    bytes: int

    def describe(self) -> str:
        return f"{format_duration(self.seconds)} long, about {format_bytes(self.bytes)} of memory to explain"


@dataclass(frozen=True)
class CostLimit:
    """Above either bound a file is not opened without the user's say-so (configurable: ``--max-duration``
    on the command line, ``$AUDIOXAI_MAX_DURATION`` seconds for the window)."""

    seconds: float = 3 * 3600.0
    bytes: float = 2 << 30

    @classmethod
    def allowing(cls, seconds: float) -> CostLimit:
        """The limit a user set on purpose (``--max-duration``): files up to ``seconds``, whatever memory they take."""
        return cls(seconds=seconds, bytes=math.inf)

    @classmethod
    def from_environment(cls) -> CostLimit:
        value = os.environ.get(MAX_SECONDS_ENV, "")
        try:
            seconds = float(value)
        except ValueError:
            return cls()
        return cls(seconds=seconds) if math.isfinite(seconds) and seconds > 0 else cls()

    def exceeded_by(self, cost: LoadCost) -> str:
        """Why ``cost`` is over this limit, in words; "" when it is within."""
        if cost.seconds > self.seconds:
            return f"{cost.describe()}: longer than the {format_duration(self.seconds)} limit"
        if cost.bytes > self.bytes:
            return f"{cost.describe()}: more than the {format_bytes(self.bytes)} limit"
        return ""


def load_cost(info: AudioInfo, rates: Iterable[int]) -> LoadCost:
    """Duration and memory of ``info``'s audio decoded at each of ``rates`` (the file's own rate when empty)."""
    rates = set(rates) or {info.sample_rate}
    samples = sum(math.ceil(info.frames * rate / info.sample_rate) for rate in rates)
    return LoadCost(info.duration, samples * BYTES_PER_SAMPLE)


def format_duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.1f} s"


def format_bytes(count: float) -> str:
    unit = "bytes"
    for bigger in ("kB", "MB", "GB"):
        if count < 1000:
            break
        count, unit = count / 1000, bigger
    return f"{count:.0f} bytes" if unit == "bytes" else f"{count:.1f} {unit}"


def load_within(path: str | os.PathLike, rates: Iterable[int], limit: CostLimit, hint: str = "") -> dict:
    """``load_audio_rates`` once the header shows the file is within ``limit``; else AudioLoadError saying
    how long it is, what it would need, and ``hint`` (how to allow it)."""
    rates = set(rates)
    over = limit.exceeded_by(load_cost(audio_info(path), rates))
    if over:
        raise AudioLoadError(path, f"{over}; {hint or 'not opened'}")
    return load_audio_rates(path, rates)
