"""Audacity label track (File > Export > Labels): one ``start<TAB>end<TAB>label`` line per label, seconds.

A label with a spectral selection is followed by ``\\<TAB>low<TAB>high`` (Hz); Audacity writes -1 for an
undefined frequency and 6 decimal places everywhere, and so do we.
"""

from __future__ import annotations

from ..regions import Region
from ._base import (
    AnnotationFormatError,
    ParsedRegions,
    RenderedFile,
    WriteOptions,
    flatten_texts,
    parse_number,
)

SPECTRAL_MARK = "\\"
UNDEFINED_HZ = -1.0


def read(text: str) -> ParsedRegions:
    parsed = ParsedRegions()
    for line_number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if fields[0] == SPECTRAL_MARK:
            _attach_band(parsed, fields, line_number)
            continue
        if len(fields) < 2:
            raise AnnotationFormatError("expected start<TAB>end<TAB>label", line_number)
        start = parse_number(fields[0], line_number, "start time")
        end = parse_number(fields[1], line_number, "end time")
        label = "\t".join(fields[2:])
        parsed.rows.append((line_number, Region(start, end, label=label)))
    return parsed


def _attach_band(parsed: ParsedRegions, fields: list[str], line_number: int) -> None:
    """Turn the label just read into a box; Audacity's -1 (undefined) leaves it a time region."""
    if not parsed.rows:
        raise AnnotationFormatError("frequency line before any label", line_number)
    if len(fields) < 3:
        raise AnnotationFormatError("expected \\<TAB>low Hz<TAB>high Hz", line_number)
    low = parse_number(fields[1], line_number, "low frequency")
    high = parse_number(fields[2], line_number, "high frequency")
    if low < 0 or high < 0:
        if low >= 0 or high >= 0:
            parsed.warn(line_number, "only one frequency bound is defined; kept as a time region")
        return
    region = parsed.rows[-1][1]
    region.low_hz, region.high_hz = low, high


def write(regions: list[Region], options: WriteOptions) -> RenderedFile:
    labels, warnings = flatten_texts([region.label for region in regions], "label", "Audacity")
    lines = []
    for region, label in zip(regions, labels, strict=True):
        lines.append(f"{region.start:.6f}\t{region.end:.6f}\t{label}")
        if region.is_box:
            lines.append(f"{SPECTRAL_MARK}\t{region.low_hz:.6f}\t{region.high_hz:.6f}")
    return RenderedFile("".join(line + "\n" for line in lines), warnings)
