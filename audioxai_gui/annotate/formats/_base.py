"""Types and checks every annotation format shares, so each format module only knows its own layout."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from ..regions import Region, RegionError

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


def time_region_band(regions: list[Region], options: WriteOptions, format_name: str) -> tuple[float, float]:
    """The (low, high) Hz a box-only format gives time regions: 0 Hz to Nyquist, which needs the rate."""
    if options.sample_rate is None and not all(region.is_box for region in regions):
        raise AnnotationFormatError(f"{format_name} stores time regions as 0 Hz to Nyquist boxes: give sample_rate")
    return 0.0, (options.sample_rate or 0.0) / 2


REGION_FIELDS = tuple(region_field.name for region_field in dataclasses.fields(Region))
"""Every Region field: the columns of the plain CSV and JSON formats."""


def region_from_fields(values: dict[str, Any], line: int) -> Region:
    """``Region.from_dict``, with its complaint turned into an error naming the line."""
    try:
        return Region.from_dict(values)
    except RegionError as exc:
        raise AnnotationFormatError(str(exc), line) from None
