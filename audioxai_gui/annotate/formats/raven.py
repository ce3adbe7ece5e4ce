"""Raven Pro selection table: tab-separated, one header line, one row per selection per view.

Raven repeats a selection once per view ("Waveform 1", "Spectrogram 1"); on import we keep one region per
Selection number, preferring the spectrogram row. Raven has only boxes, so time regions are written from
0 Hz to Nyquist and marked in our own "Region Kind" column; a foreign table (no such column) imports as
boxes. "Annotation" holds the label; "Note" and "Region ID" are ours; any other column is an extra column.
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
    single_line,
    time_region_band,
)

SELECTION, VIEW, CHANNEL = "Selection", "View", "Channel"
BEGIN, END = "Begin Time (s)", "End Time (s)"
LOW, HIGH = "Low Freq (Hz)", "High Freq (Hz)"
LABEL, KIND, NOTE, REGION_ID = "Annotation", "Region Kind", "Note", "Region ID"
STANDARD_COLUMNS = (SELECTION, VIEW, CHANNEL, BEGIN, END, LOW, HIGH, LABEL, KIND, NOTE, REGION_ID)
WRITTEN_VIEWS = ("Waveform 1", "Spectrogram 1")


def looks_like(head: str) -> bool:
    header = head.split("\n", 1)[0].split("\t")
    return SELECTION in header and BEGIN in header


def read(text: str) -> ParsedRegions:
    lines = text.split("\n")
    header = lines[0].split("\t")
    missing = [name for name in (SELECTION, BEGIN, END) if name not in header]
    if missing:
        raise AnnotationFormatError(f"not a Raven selection table: no column {', '.join(missing)}", 1)
    chosen: dict[str, tuple[int, dict[str, str]]] = {}
    for line_number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) > len(header):
            raise AnnotationFormatError(f"{len(cells)} fields but the header has {len(header)}", line_number)
        row = dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=True))
        selection = row[SELECTION].strip()
        if not selection:
            raise AnnotationFormatError("empty Selection number", line_number)
        if selection not in chosen or (_is_spectrogram(row) and not _is_spectrogram(chosen[selection][1])):
            chosen[selection] = (line_number, row)
    parsed = ParsedRegions()
    for line_number, row in chosen.values():
        region = _region_from_row(row, line_number)
        parsed.rows.append((line_number, region))
        extras = {name: value for name, value in row.items() if name not in STANDARD_COLUMNS and value}
        if extras:
            parsed.extra_columns[region.id] = extras
    return parsed


def _is_spectrogram(row: dict[str, str]) -> bool:
    return row.get(VIEW, "").startswith("Spectrogram")


def _region_from_row(row: dict[str, str], line_number: int) -> Region:
    kind = row.get(KIND, "").strip() or "box"
    if kind not in ("time", "box"):
        raise AnnotationFormatError(f"{KIND} {kind!r} is neither 'time' nor 'box'", line_number)
    region = Region(
        parse_number(row[BEGIN], line_number, BEGIN),
        parse_number(row[END], line_number, END),
        label=row.get(LABEL, ""),
        note=row.get(NOTE, ""),
    )
    if row.get(REGION_ID):
        region.id = row[REGION_ID]
    has_band = row.get(LOW, "").strip() and row.get(HIGH, "").strip()
    if kind == "box" and has_band:
        region.low_hz = parse_number(row[LOW], line_number, LOW)
        region.high_hz = parse_number(row[HIGH], line_number, HIGH)
    return region


def write(regions: list[Region], options: WriteOptions) -> RenderedFile:
    labels, warnings = flatten_texts([region.label for region in regions], "label", "Raven")
    notes, note_warnings = flatten_texts([region.note for region in regions], "note", "Raven")
    time_low, time_high = time_region_band(regions, options, "Raven")
    extra_names = sorted({name for columns in options.extra_columns.values() for name in columns})
    clashes = set(extra_names) & set(STANDARD_COLUMNS)
    if clashes:
        raise AnnotationFormatError(f"extra column(s) {sorted(clashes)} clash with Raven's own columns")
    rows = ["\t".join(STANDARD_COLUMNS + tuple(extra_names))]
    for number, (region, label, note) in enumerate(zip(regions, labels, notes, strict=True), start=1):
        low, high = (region.low_hz, region.high_hz) if region.is_box else (time_low, time_high)
        extras = options.extra_columns.get(region.id, {})
        tail = [region.kind, note, region.id]
        tail += [single_line(str(extras.get(name, ""))) for name in extra_names]
        for view in WRITTEN_VIEWS:
            numbers = [f"{value:.9f}" for value in (region.start, region.end, low, high)]
            rows.append("\t".join([str(number), view, "1", *numbers, label, *tail]))
    return RenderedFile("".join(row + "\n" for row in rows), warnings + note_warnings)
