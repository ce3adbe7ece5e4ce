"""DCASE sound event detection text: one ``onset<TAB>offset<TAB>event_label`` row per event, seconds.

The format of the DCASE challenge's sound event detection task (and of ``sed_eval``): tab-separated, an
optional ``onset offset event_label`` header row, no frequencies, no notes. We write the header so the file
says what its columns are; on read a header row is recognised and skipped.
"""

from __future__ import annotations

from ..regions import Region
from ._base import AnnotationFormatError, ParsedRegions, RenderedFile, WriteOptions, flatten_texts, parse_number

HEADER = ("onset", "offset", "event_label")


def looks_like(head: str) -> bool:
    return tuple(head.split("\n", 1)[0].strip().split("\t")) == HEADER


def read(text: str) -> ParsedRegions:
    parsed = ParsedRegions()
    for line_number, line in enumerate(text.split("\n"), start=1):
        if not line.strip() or (line_number == 1 and looks_like(line)):
            continue
        fields = line.rstrip("\r").split("\t")
        if len(fields) < 2:
            raise AnnotationFormatError("expected onset<TAB>offset<TAB>event_label", line_number)
        onset = parse_number(fields[0], line_number, "onset")
        offset = parse_number(fields[1], line_number, "offset")
        parsed.rows.append((line_number, Region(onset, offset, label="\t".join(fields[2:]))))
    return parsed


def write(regions: list[Region], options: WriteOptions) -> RenderedFile:
    labels, warnings = flatten_texts([region.label for region in regions], "label", "DCASE")
    ordered = sorted(zip(regions, labels, strict=True), key=lambda pair: (pair[0].start, pair[0].end))
    rows = ["\t".join(HEADER)] + [f"{region.start:.6f}\t{region.end:.6f}\t{label}" for region, label in ordered]
    return RenderedFile("".join(row + "\n" for row in rows), warnings)
