"""Plain CSV of everything: every Region field (exact float text) plus extra columns; round-trips exactly.

Header ``start,end,low_hz,high_hz,label,note,id`` (the Region fields) then any extra columns; an empty
low_hz/high_hz is a time region, an empty id gets a new one. Extra columns come back as text (CSV has
no types); use JSON to keep numbers as numbers.
"""

from __future__ import annotations

import csv
import io

from ..regions import Region
from ._base import (
    REGION_FIELDS,
    AnnotationFormatError,
    ParsedRegions,
    RenderedFile,
    WriteOptions,
    parse_number,
    region_from_fields,
)


def looks_like(head: str) -> bool:
    header = next(csv.reader(io.StringIO(head.split("\n", 1)[0])), [])
    return set(REGION_FIELDS) <= set(header)


def read(text: str) -> ParsedRegions:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    missing = [name for name in REGION_FIELDS if name not in header]
    if missing:
        raise AnnotationFormatError(f"header lacks column(s) {', '.join(missing)}", 1)
    extra_names = [name for name in header if name not in REGION_FIELDS]
    parsed = ParsedRegions()
    for cells in reader:
        if not cells:
            continue
        if len(cells) != len(header):
            message = f"{len(cells)} fields but the header has {len(header)}"
            raise AnnotationFormatError(message, reader.line_num)
        record = dict(zip(header, cells, strict=True))
        region = region_from_fields(_typed_fields(record, reader.line_num), reader.line_num)
        parsed.rows.append((reader.line_num, region))
        extras = {name: record[name] for name in extra_names if record[name] != ""}
        if extras:
            parsed.extra_columns[region.id] = extras
    return parsed


def _typed_fields(record: dict[str, str], line: int) -> dict:
    """Region fields from CSV text: numbers parsed, an empty band None, an empty id left to Region."""
    values = {name: record[name] for name in REGION_FIELDS if record[name] or name in ("label", "note")}
    for name in ("start", "end", "low_hz", "high_hz"):
        if name in values:
            values[name] = parse_number(values[name], line, name)
    return values


def _cell(value) -> str:
    return "" if value is None else repr(value) if isinstance(value, float) else str(value)


def write(regions: list[Region], options: WriteOptions) -> RenderedFile:
    extra_names = sorted({name for columns in options.extra_columns.values() for name in columns})
    clashes = set(extra_names) & set(REGION_FIELDS)
    if clashes:
        raise AnnotationFormatError(f"extra column(s) {sorted(clashes)} clash with region fields")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(REGION_FIELDS + tuple(extra_names))
    for region in regions:
        extras = options.extra_columns.get(region.id, {})
        fields = [_cell(getattr(region, name)) for name in REGION_FIELDS]
        writer.writerow(fields + [_cell(extras.get(name)) for name in extra_names])
    return RenderedFile(buffer.getvalue())
