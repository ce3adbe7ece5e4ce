"""Types and checks every annotation format shares, so each format module only knows its own layout."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..regions import Region

ExtraColumns = dict[str, dict[str, Any]]
"""Region id -> {column name: value}: per-region numbers (e.g. relevance mass) that ride along in files."""


class AnnotationFormatError(ValueError):
    """An annotation file cannot be read or written; the message names the file, the line and the reason.

    Format readers raise it with only ``line`` and ``reason`` (they see text, not paths);
    ``read_regions``/``write_regions`` fill in ``path`` before it reaches the user.
    """

    def __init__(self, reason: str, line: int | None = None, path: object = None):
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.path = path

    def __str__(self) -> str:
        where = [str(part) for part in (self.path, self.line and f"line {self.line}") if part]
        return ": ".join([", ".join(where), self.reason]) if where else self.reason


@dataclass
class ParsedRegions:
    """What a format reader found: regions with the line each came from, plus warnings and extra columns."""

    rows: list[tuple[int, Region]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    extra_columns: ExtraColumns = field(default_factory=dict)

    def warn(self, line: int | None, message: str) -> None:
        self.warnings.append(f"line {line}: {message}" if line else message)


@dataclass(frozen=True)
class WriteOptions:
    """What a writer may need beyond the regions; formats ignore what they cannot store."""

    extra_columns: ExtraColumns = field(default_factory=dict)
    sample_rate: float | None = None
    duration: float | None = None


@dataclass
class RenderedFile:
    """A writer's output: the whole file text, and what the format could not keep."""

    text: str
    warnings: list[str] = field(default_factory=list)


def parse_number(text: str | float, line: int, what: str) -> float:
    """A finite float from a field, or an error naming the field and the line."""
    if isinstance(text, bool):
        raise AnnotationFormatError(f"{what} {text!r} is not a number", line)
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise AnnotationFormatError(f"{what} {text!r} is not a number", line) from None
    if not math.isfinite(value):
        raise AnnotationFormatError(f"{what} {text!r} is not a finite number", line)
    return value


def region_problem(region: Region) -> str | None:
    """Why a region cannot exist (negative time, end before start, bad band), or None if it is fine."""
    values = [region.start, region.end, region.low_hz, region.high_hz]
    if not all(math.isfinite(v) for v in values if v is not None):
        return "times and frequencies must be finite numbers"
    if region.start < 0 or region.end < 0:
        return f"negative time (start {region.start:g} s, end {region.end:g} s)"
    if region.end < region.start:
        return f"end {region.end:g} s is before start {region.start:g} s"
    if (region.low_hz is None) != (region.high_hz is None):
        return "a box needs both a low and a high frequency"
    if region.is_box:
        if region.low_hz < 0:
            return f"negative frequency {region.low_hz:g} Hz"
        if region.high_hz < region.low_hz:
            return f"high frequency {region.high_hz:g} Hz is below low frequency {region.low_hz:g} Hz"
    return None


def single_line(text: str) -> str:
    """Text with tabs and line breaks turned into spaces, for formats where those end a field or a row."""
    return " ".join(text.replace("\t", " ").splitlines()) if text else text


def flatten_texts(texts: list[str], what: str, format_name: str) -> tuple[list[str], list[str]]:
    """Each text made single-line, and a warning if that changed any (``what``: "label", "note")."""
    flat = [single_line(text) for text in texts]
    changed = sum(new != old for new, old in zip(flat, texts, strict=True))
    if not changed:
        return flat, []
    return flat, [f"{format_name}: {changed} {what}(s) held tabs or line breaks, written as spaces"]


def time_region_band(
    regions: list[Region], options: WriteOptions, format_name: str
) -> tuple[float, float, list[str]]:
    """The (low, high) Hz a box-only format gives time regions: 0 to Nyquist, or 0 to 0 without a rate."""
    if not any(not region.is_box for region in regions):
        return 0.0, 0.0, []
    if options.sample_rate:
        return 0.0, options.sample_rate / 2, []
    return 0.0, 0.0, [f"{format_name}: sample rate unknown, time regions written with high frequency 0 Hz"]


REGION_FIELDS = ("id", "start", "end", "low_hz", "high_hz", "label", "note")
"""Every Region field, in the column order the plain CSV and JSON formats use."""


def region_record(region: Region) -> dict[str, Any]:
    return {name: getattr(region, name) for name in REGION_FIELDS}


def region_from_record(record: dict[str, Any], line: int) -> Region:
    """A Region from plain CSV/JSON values: numbers may be numbers or numeric text, an empty band is None."""

    def optional_number(name: str) -> float | None:
        value = record.get(name)
        return None if value is None or value == "" else parse_number(value, line, name)

    for name in ("label", "note", "id"):
        if not isinstance(record.get(name, ""), str):
            raise AnnotationFormatError(f"{name} must be text, found {record[name]!r}", line)
    for name in ("start", "end"):
        if record.get(name) in (None, ""):
            raise AnnotationFormatError(f"missing {name}", line)
    region = Region(
        parse_number(record["start"], line, "start"),
        parse_number(record["end"], line, "end"),
        optional_number("low_hz"),
        optional_number("high_hz"),
        label=record.get("label", ""),
        note=record.get("note", ""),
    )
    if record.get("id"):
        region.id = record["id"]
    return region
