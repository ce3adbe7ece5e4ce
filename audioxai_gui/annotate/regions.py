"""Regions a user marks as evidence: time spans (all frequencies) or time-frequency boxes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields

from ..checks import is_finite_number, shown_value

# Regions may end a hair after the audio: float seconds round-trip through files and resampling.
DURATION_TOLERANCE_S = 1e-6


class RegionError(ValueError):
    """A region is not valid (times, frequencies, id); the message names the region and the reason."""


def _new_id() -> str:
    return uuid.uuid4().hex[:12]


@dataclass
class Region:
    """A time region (``low_hz``/``high_hz`` None: all frequencies) or a time-frequency box; times in s."""

    start: float
    end: float
    low_hz: float | None = None
    high_hz: float | None = None
    label: str = ""
    note: str = ""
    id: str = field(default_factory=_new_id)

    @property
    def is_point(self) -> bool:
        """A zero-length mark (a click, a Praat point): kept and exchanged, covers no area in the measures."""
        return self.start == self.end

    @property
    def is_box(self) -> bool:
        return self.low_hz is not None and self.high_hz is not None

    @property
    def kind(self) -> str:
        return "box" if self.is_box else "time"

    @property
    def duration(self) -> float:
        return self.end - self.start

    def describe(self) -> str:
        """Short human name for messages: label (if any), id and time span."""
        name = f"{self.label!r} " if self.label else ""
        return f"region {name}[{self.id}] {shown_value(self.start)}-{shown_value(self.end)} s"

    def validate(self, duration: float | None = None) -> None:
        """Raise RegionError unless times and frequencies are finite, ordered and non-negative.

        ``duration`` (s), when known, is the length of the audio: a region must not end after it.
        """
        reason = self._problem(duration)
        if reason:
            raise RegionError(f"{self.describe()}: {reason}")

    def _problem(self, duration: float | None) -> str:
        if not isinstance(self.id, str) or not self.id:
            return "id must be a non-empty string"
        values = {"start": self.start, "end": self.end, "low_hz": self.low_hz, "high_hz": self.high_hz}
        for name, value in values.items():
            if value is None:
                continue
            if not is_finite_number(value):
                return f"{name} must be a finite number, got {shown_value(value)}"
            if value < 0:
                return f"{name} must not be negative, got {value:g}"
        if self.end < self.start:
            return f"start ({self.start:g} s) must be before end ({self.end:g} s)"
        if duration is not None and self.end > duration + DURATION_TOLERANCE_S:
            return f"ends at {self.end:g} s, after the end of the audio ({duration:g} s)"
        if (self.low_hz is None) != (self.high_hz is None):
            return "a box needs both low_hz and high_hz (or neither, for a time region)"
        if self.is_box and not self.low_hz < self.high_hz:
            return f"low_hz ({self.low_hz:g}) must be below high_hz ({self.high_hz:g})"
        return ""

    def to_dict(self) -> dict:
        # Every field is a number, a string or None: no deep copy (asdict) needed, and 20,000 regions save at once.
        return {name: getattr(self, name) for name in _FIELD_NAMES}

    @classmethod
    def from_dict(cls, data: dict) -> Region:
        """Build a region from ``to_dict`` output; RegionError on missing/unknown keys or bad types.

        Numbers are not checked here: ``validate`` does that and names the region.
        """
        if not isinstance(data, dict):
            raise RegionError(f"a region must be a JSON object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise RegionError(f"unknown region field(s): {', '.join(unknown)}")
        missing = [name for name in ("start", "end") if name not in data]
        if missing:
            raise RegionError(f"region is missing {', '.join(missing)}")
        for name in ("label", "note", "id"):
            if name in data and not isinstance(data[name], str):
                raise RegionError(f"region field {name} must be a string, got {data[name]!r}")
        return cls(**data)


_FIELD_NAMES = tuple(f.name for f in fields(Region))
