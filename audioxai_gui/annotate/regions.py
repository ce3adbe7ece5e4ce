"""Regions a user marks as evidence: time spans (all frequencies) or time-frequency boxes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field


def _new_id() -> str:
    return uuid.uuid4().hex[:12]


@dataclass
class Region:
    """A time region (``low_hz``/``high_hz`` None: all frequencies) or a time-frequency box. Times in seconds."""

    start: float
    end: float
    low_hz: float | None = None
    high_hz: float | None = None
    label: str = ""
    note: str = ""
    id: str = field(default_factory=_new_id)

    @property
    def is_box(self) -> bool:
        return self.low_hz is not None and self.high_hz is not None

    @property
    def kind(self) -> str:
        return "box" if self.is_box else "time"
