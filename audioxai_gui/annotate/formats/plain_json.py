"""Plain JSON of everything: every Region field plus its extra columns (typed); round-trips exactly.

``{"format": "audioxai-regions", "version": 1, "regions": [{<Region.to_dict()>, "extra": {...}}]}``;
low_hz/high_hz null for a time region.
"""

from __future__ import annotations

import json
import re

from ..regions import Region
from ._base import AnnotationFormatError, ParsedRegions, RenderedFile, WriteOptions, region_from_fields
from ._files import line_of, load_json_with_lines

FORMAT_TAG = "audioxai-regions"
VERSION = 1
EXTRA_KEY = "extra"
_TAG_PATTERN = re.compile(rf'"format"\s*:\s*"{FORMAT_TAG}"')


def looks_like(head: str) -> bool:
    return _TAG_PATTERN.search(head) is not None


def read(text: str) -> ParsedRegions:
    document = load_json_with_lines(text)
    if not isinstance(document, dict) or document.get("format") != FORMAT_TAG:
        raise AnnotationFormatError(f'not an AudioXAI regions file (no "format": "{FORMAT_TAG}")', 1)
    if document.get("version") != VERSION:
        message = f"version {document.get('version')!r} is not {VERSION}"
        raise AnnotationFormatError(message, line_of(document))
    records = document.get("regions")
    if not isinstance(records, list):
        raise AnnotationFormatError('"regions" is not a list', line_of(document))
    parsed = ParsedRegions()
    for record in records:
        if not isinstance(record, dict):
            raise AnnotationFormatError(f"a region must be an object, found {record!r}", line_of(document))
        line = line_of(record)
        fields = dict(record)
        extras = fields.pop(EXTRA_KEY, None) or {}
        region = region_from_fields(fields, line)
        parsed.rows.append((line, region))
        if not isinstance(extras, dict):
            raise AnnotationFormatError('"extra" must be an object', line)
        if extras:
            parsed.extra_columns[region.id] = dict(extras)
    return parsed


def _numpy_scalar(value):
    """Relevance masses often arrive as numpy scalars; store their Python value."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} {value!r} is not JSON")


def write(regions: list[Region], options: WriteOptions) -> RenderedFile:
    records = []
    for region in regions:
        record = region.to_dict()
        if options.extra_columns.get(region.id):
            record[EXTRA_KEY] = dict(options.extra_columns[region.id])
        records.append(record)
    document = {"format": FORMAT_TAG, "version": VERSION, "regions": records}
    try:
        text = json.dumps(document, indent=1, ensure_ascii=False, allow_nan=False, default=_numpy_scalar)
    except (TypeError, ValueError) as exc:
        raise AnnotationFormatError(f"extra columns cannot be stored as JSON ({exc})") from None
    return RenderedFile(text + "\n")
