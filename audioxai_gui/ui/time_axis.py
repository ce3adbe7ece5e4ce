"""The shared time axis: plain seconds for short clips, h:mm:ss.mmm for long recordings, never "ks".

pyqtgraph's default axis puts an SI prefix on seconds (an hour reads "1.5742 ks"); a recording's time is
read on a clock. ``format_clock`` is the one formatter (tick labels, readouts, tooltips use it).
"""

from __future__ import annotations

import math

import pyqtgraph as pg

CLOCK_FROM_S = 60.0
"""Views reaching past this many seconds label their ticks as a clock."""


def decimals_for(spacing: float) -> int:
    """Digits after the point that tell ticks ``spacing`` seconds apart from each other (0..3)."""
    if spacing <= 0:
        return 3
    return min(3, max(0, math.ceil(-math.log10(spacing) - 1e-9)))


def format_clock(seconds: float, decimals: int = 3) -> str:
    """``1:02:05.500`` (with hours), ``2:05.500`` (under an hour); negative values get a minus sign."""
    sign = "-" if seconds < 0 else ""
    scale = 10**decimals
    total = round(abs(seconds) * scale)
    whole, fraction = divmod(total, scale)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
    return sign + text + (f".{fraction:0{decimals}d}" if decimals else "")


def format_time(seconds: float, span: float, decimals: int = 3) -> str:
    """Seconds (``12.345``) when ``span`` (the longest time in view) is short, else the clock."""
    if span < CLOCK_FROM_S:
        return f"{seconds:.{decimals}f}"
    return format_clock(seconds, decimals)


def time_unit(span: float) -> str:
    """What ``format_time`` writes for ``span``: "s", "m:ss" or "h:mm:ss" (axis labels, column headers)."""
    return "s" if span < CLOCK_FROM_S else "h:mm:ss" if span >= 3600 else "m:ss"


def format_reading(seconds: float, span: float, decimals: int = 3) -> str:
    """A time as read beside the axis: ``12.345 s`` on a short recording, ``30:05.677`` on a long one."""
    text = format_time(seconds, span, decimals)
    return text if span >= CLOCK_FROM_S else f"{text} s"


def parse_time(text: str) -> float:
    """Seconds from what a user types: ``30:05.677``, ``1:02:05.5``, ``1805.677`` or ``12.5 s``.

    Raises ValueError naming the text when it is not a time (minutes and seconds after a colon run 0..59).
    """
    problem = ValueError(f"{text!r} is not a time: type seconds (95.5) or a clock (1:35.500, 1:01:35)")
    parts = text.strip().removesuffix("s").strip().split(":")
    if len(parts) > 3:
        raise problem
    try:
        numbers = [int(part) for part in parts[:-1]] + [float(parts[-1])]
    except ValueError:
        raise problem from None
    if not all(0 <= n < math.inf for n in numbers) or any(n >= 60 for n in numbers[1:]):
        raise problem
    seconds = 0.0
    for number in numbers:
        seconds = seconds * 60 + number
    return seconds


CLOCK_STEPS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400)
"""Tick steps of a clock axis (seconds): the steps a clock face has."""
MIN_CLOCK_SPACING_S = 1
TICK_PIXELS = 90
"""About one labelled tick per this many pixels ("1:02:05" needs about 60)."""


class TimeAxisItem(pg.AxisItem):
    """A bottom axis whose ticks read as seconds or as h:mm:ss.mmm (see module docstring)."""

    def __init__(self, orientation: str = "bottom", **kwargs):
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)
        self.setToolTip("time from the start of the recording: seconds, or h:mm:ss.mmm for long recordings")

    def tickSpacing(self, minVal, maxVal, size):  # noqa: N802 (pyqtgraph's names)
        """On a clock, ticks at clock steps (every 10 s, 5 min, 30 min...), not at 8:20 and 16:40."""
        span = maxVal - minVal
        if max(abs(minVal), abs(maxVal)) < CLOCK_FROM_S or span < MIN_CLOCK_SPACING_S * 2:
            return super().tickSpacing(minVal, maxVal, size)
        wanted = span / max(2.0, size / TICK_PIXELS)
        major = next((step for step in CLOCK_STEPS_S if step >= wanted), CLOCK_STEPS_S[-1])
        minor = [step for step in CLOCK_STEPS_S if step <= major / 4 and major % step == 0]
        return [(major, 0.0), (minor[-1], 0.0)] if minor else [(major, 0.0)]

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph's name)
        # Decided by the visible range, not by each tick level's values, so major and minor ticks read alike.
        span = max([abs(value) for value in (*self.range, *values)])
        decimals = decimals_for(spacing)
        label = f"time ({time_unit(span)})"
        if self.labelText != label:
            self.setLabel(label)
        return [format_time(value, span, decimals) for value in values]
