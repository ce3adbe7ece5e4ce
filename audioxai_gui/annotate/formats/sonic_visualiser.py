"""Sonic Visualiser "Export Annotation Layer" CSV, times in seconds, for a region layer or a box layer.

Layouts follow svcore's exporters (``Event::toDelimitedDataString`` for RegionModel, and
``BoxModel::toStringExportRows``), with the optional header row SV writes when asked:

- region layer: ``TIME,VALUE,DURATION,LABEL`` (start, a value we ignore, duration, label)
- box layer:    ``START,END,EXTENT START,EXTENT END,LABEL`` (start, end, low Hz, high Hz, label)

SV omits an empty label. Without a header row the layout is guessed: four leading numbers mean a box
layer (so a headerless region layer whose labels are numbers is misread; keep the header). Times in
frames cannot be read (no sample rate here). We always write the header; a box layer if any region is a
box (time regions then span 0 Hz to Nyquist and come back as boxes), else a region layer with value 0.
Sonic Visualiser keeps no notes, ids or extra columns.
"""

from __future__ import annotations

import csv
import io

from ..regions import Region
from ._base import (
    AnnotationFormatError,
    ParsedRegions,
    RenderedFile,
    WriteOptions,
    parse_number,
    time_region_band,
)

REGION_HEADER = ("TIME", "VALUE", "DURATION", "LABEL")
BOX_HEADER = ("START", "END", "EXTENT START", "EXTENT END", "LABEL")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _layout_from_header(header: list[str]) -> str:
    names = [cell.strip().upper() for cell in header]
    if any("FRAME" in name for name in names):
        raise AnnotationFormatError("times are in frames; export from Sonic Visualiser in seconds", 1)
    if names[: len(BOX_HEADER) - 1] == list(BOX_HEADER[:-1]):
        return "box"
    if names[: len(REGION_HEADER) - 1] == list(REGION_HEADER[:-1]):
        return "region"
    raise AnnotationFormatError(f"header {','.join(header)!r} is neither a region nor a box layer", 1)


def _layout_from_values(cells: list[str], line: int) -> str:
    leading_numbers = next((i for i, cell in enumerate(cells) if not _is_number(cell)), len(cells))
    if leading_numbers >= 4:
        return "box"
    if leading_numbers == 3:
        return "region"
    raise AnnotationFormatError("expected a region layer (time,value,duration,label) or a box layer", line)


def read(text: str) -> ParsedRegions:
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    parsed = ParsedRegions()
    layout = None
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if layout is None and line == 1 and not _is_number(cells[0]):
            layout = _layout_from_header(cells)
            continue
        layout = layout or _layout_from_values(cells, line)
        parsed.rows.append((line, _region_from_cells(cells, layout, line, delimiter)))
    return parsed


def _region_from_cells(cells: list[str], layout: str, line: int, delimiter: str) -> Region:
    numbers_needed = 4 if layout == "box" else 3
    if len(cells) < numbers_needed:
        message = f"a {layout} layer row needs {numbers_needed} numbers, found {len(cells)} fields"
        raise AnnotationFormatError(message, line)
    label = delimiter.join(cells[numbers_needed:])  # SV may leave a label with delimiters unquoted
    start = parse_number(cells[0], line, "start time")
    if layout == "region":
        duration = parse_number(cells[2], line, "duration")
        return Region(start, start + duration, label=label)
    low = parse_number(cells[2], line, "extent start")
    high = parse_number(cells[3], line, "extent end")
    return Region(start, parse_number(cells[1], line, "end time"), low, high, label=label)


def write(regions: list[Region], options: WriteOptions) -> RenderedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    warnings = []
    if any(region.is_box for region in regions):
        low, high = time_region_band(regions, options, "Sonic Visualiser")
        time_count = sum(not region.is_box for region in regions)
        if time_count:
            warnings.append(f"Sonic Visualiser: {time_count} time region(s) written as boxes (box layer)")
        writer.writerow(BOX_HEADER)
        for region in regions:
            band = (region.low_hz, region.high_hz) if region.is_box else (low, high)
            numbers = [f"{value:.9f}" for value in (region.start, region.end, *band)]
            writer.writerow(numbers + _label(region))
    else:
        writer.writerow(REGION_HEADER)
        for region in regions:
            writer.writerow([f"{region.start:.9f}", "0", f"{region.end - region.start:.9f}"] + _label(region))
    return RenderedFile(buffer.getvalue(), warnings)


def _label(region: Region) -> list[str]:
    return [region.label] if region.label else []
