"""Annotation files other tools write and read: import and export of regions, one module per format.

``FORMATS`` maps a format name to its reader, writer, file suffixes and description, so the UI and CLI
can list formats and pick one by suffix (``.tsv``: the DCASE sound event list). Several formats share a
suffix (``.txt``: Audacity, Raven; ``.csv``: ours, Sonic Visualiser; ``.json``: ours, Label Studio): on
read, the content decides (each format that shares a suffix may say whether a file ``looks_like`` it, the
one without such a check is the fallback); on write, the first format registered for the suffix wins, the
longest suffix first (``x.selections.txt`` is Raven, ``x.txt`` Audacity).

Every problem is an ``AnnotationFormatError`` naming the file, the line and the reason; a bad file imports
nothing. Times past the audio's duration are reported (or refused with ``strict=True``), never clipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ...atomic import atomic_write
from ..regions import DURATION_TOLERANCE_S, Region, RegionError
from . import audacity, dcase, label_studio, plain_csv, plain_json, raven, sonic_visualiser, textgrid
from ._base import (
    AnnotationFormatError,
    ExtraColumns,
    ParsedRegions,
    RenderedFile,
    WriteOptions,
)
from ._files import read_text

SNIFF_CHARS = 65536

BOXES, NOTES, EXTRA_COLUMNS = "boxes", "notes", "extra columns"
LOSS_MESSAGES = {
    BOXES: "keeps no frequencies: {count} box(es) written as time regions",
    NOTES: "keeps no notes: {count} note(s) not written",
    EXTRA_COLUMNS: "has no extra columns: those of {count} region(s) not written",
}


@dataclass(frozen=True)
class AnnotationFormat:
    name: str
    description: str
    suffixes: tuple[str, ...]
    reader: Callable[[str], ParsedRegions]
    writer: Callable[[list[Region], WriteOptions], RenderedFile]
    keeps: frozenset[str]
    """Which of boxes, notes, extra columns survive this format; export warns about the rest."""
    looks_like: Callable[[str], bool] | None = None
    """Content check on the file's start, for formats that share a suffix with another."""

    @property
    def file_filter(self) -> str:
        """A file-dialog filter such as ``Praat TextGrid (*.TextGrid)``."""
        return f"{self.description} ({' '.join('*' + suffix for suffix in self.suffixes)})"


FORMATS: dict[str, AnnotationFormat] = {
    fmt.name: fmt
    for fmt in (
        AnnotationFormat("audacity", "Audacity labels", (".txt",), audacity.read, audacity.write, frozenset({BOXES})),
        AnnotationFormat(
            "raven",
            "Raven Pro selection table",
            (".selections.txt", ".txt"),
            raven.read,
            raven.write,
            frozenset({BOXES, NOTES, EXTRA_COLUMNS}),
            raven.looks_like,
        ),
        AnnotationFormat(
            "textgrid",
            "Praat TextGrid",
            (".TextGrid",),
            textgrid.read,
            textgrid.write,
            frozenset(),
            textgrid.looks_like,
        ),
        AnnotationFormat(
            "csv",
            "AudioXAI regions CSV",
            (".csv",),
            plain_csv.read,
            plain_csv.write,
            frozenset({BOXES, NOTES, EXTRA_COLUMNS}),
            plain_csv.looks_like,
        ),
        AnnotationFormat(
            "sonic-visualiser",
            "Sonic Visualiser layer CSV",
            (".csv",),
            sonic_visualiser.read,
            sonic_visualiser.write,
            frozenset({BOXES}),
        ),
        AnnotationFormat(
            "json",
            "AudioXAI regions JSON",
            (".json",),
            plain_json.read,
            plain_json.write,
            frozenset({BOXES, NOTES, EXTRA_COLUMNS}),
            plain_json.looks_like,
        ),
        AnnotationFormat(
            "dcase",
            "DCASE sound event list",
            (".events.tsv", ".tsv"),
            dcase.read,
            dcase.write,
            frozenset(),
            dcase.looks_like,
        ),
        AnnotationFormat(
            "label-studio",
            "Label Studio JSON",
            (".json",),
            label_studio.read,
            label_studio.write,
            frozenset({NOTES}),
        ),
    )
}


@dataclass
class ImportResult:
    regions: list[Region]
    warnings: list[str] = field(default_factory=list)
    extra_columns: ExtraColumns = field(default_factory=dict)
    """Columns the file had beyond region fields (e.g. relevance), by region id."""
    format: str = ""


def read_regions(
    path: str | Path, format: str | None = None, duration: float | None = None, strict: bool = False
) -> ImportResult:
    """Regions from an annotation file; ``format`` None means by suffix and content.

    ``duration`` (seconds of the audio) turns regions ending past it into warnings, or into an error
    with ``strict=True``.
    """
    path = Path(path)
    try:
        named_format = _named(format) if format else None
        text = read_text(path)
        annotation_format = named_format or _format_for_reading(path, text[:SNIFF_CHARS])
        parsed = annotation_format.reader(text)
        regions = _checked_regions(parsed, duration, strict)
    except AnnotationFormatError as exc:
        exc.path = path
        raise
    warnings = [f"{path.name}, {warning}" for warning in parsed.warnings]
    return ImportResult(regions, warnings, parsed.extra_columns, annotation_format.name)


def write_regions(
    path: str | Path,
    regions: Iterable[Region],
    format: str | None = None,
    extra_columns: ExtraColumns | None = None,
    *,
    sample_rate: float | None = None,
    duration: float | None = None,
) -> list[str]:
    """Write regions atomically; returns warnings about what the format could not keep.

    ``extra_columns`` (region id -> {column: value}) go to formats with columns (Raven, CSV, JSON);
    ``sample_rate`` gives time regions a Nyquist top in box-only formats; ``duration`` spans TextGrid tiers.
    """
    path = Path(path)
    regions = list(regions)
    try:
        annotation_format = _named(format) if format else _format_for_writing(path)
        _check_for_writing(regions)
        options = WriteOptions(dict(extra_columns or {}), sample_rate, duration)
        rendered = annotation_format.writer(regions, options)
        try:
            atomic_write(path, rendered.text.encode("utf-8"))
        except OSError as exc:
            raise AnnotationFormatError(f"cannot write the file ({exc.strerror or exc})") from None
    except AnnotationFormatError as exc:
        exc.path = path
        raise
    return _losses(annotation_format, regions, options) + rendered.warnings


def _named(name: str) -> AnnotationFormat:
    if name not in FORMATS:
        raise AnnotationFormatError(f"unknown format {name!r}; known: {', '.join(FORMATS)}")
    return FORMATS[name]


def _formats_for_suffix(path: Path) -> list[AnnotationFormat]:
    """Formats claiming the file's suffix, longest matching suffix first, then in registry order."""
    name = path.name.lower()

    def matched_length(fmt: AnnotationFormat) -> int:
        return max((len(suffix) for suffix in fmt.suffixes if name.endswith(suffix.lower())), default=0)

    candidates = [fmt for fmt in FORMATS.values() if matched_length(fmt)]
    if not candidates:
        known = ", ".join(sorted({suffix for fmt in FORMATS.values() for suffix in fmt.suffixes}))
        raise AnnotationFormatError(f"no annotation format uses this suffix; name a format or use {known}")
    return sorted(candidates, key=matched_length, reverse=True)


def _format_for_reading(path: Path, head: str) -> AnnotationFormat:
    candidates = _formats_for_suffix(path)
    recognised = [fmt for fmt in candidates if fmt.looks_like and fmt.looks_like(head)]
    fallback = [fmt for fmt in candidates if fmt.looks_like is None]
    return (recognised or fallback or candidates)[0]


def _format_for_writing(path: Path) -> AnnotationFormat:
    return _formats_for_suffix(path)[0]


def _checked_regions(parsed: ParsedRegions, duration: float | None, strict: bool) -> list[Region]:
    """Refuse invalid regions and duplicate ids; report (or refuse) regions past the audio's end."""
    regions, first_line_of_id = [], {}
    for line, region in parsed.rows:
        try:
            region.validate()
        except RegionError as exc:
            raise AnnotationFormatError(str(exc), line) from None
        if region.id in first_line_of_id:
            message = f"region id {region.id!r} already used on line {first_line_of_id[region.id]}"
            raise AnnotationFormatError(message, line)
        first_line_of_id[region.id] = line
        if duration is not None and region.end > duration + DURATION_TOLERANCE_S:
            message = f"region {region.label!r} ends at {region.end:g} s, past the audio's {duration:g} s"
            if strict:
                raise AnnotationFormatError(message, line)
            parsed.warn(line, message)
        regions.append(region)
    return regions


def _check_for_writing(regions: list[Region]) -> None:
    seen = set()
    for region in regions:
        try:
            region.validate()
        except RegionError as exc:
            raise AnnotationFormatError(str(exc)) from None
        if region.id in seen:
            raise AnnotationFormatError(f"{region.describe()}: another region has the same id")
        seen.add(region.id)


def _losses(annotation_format: AnnotationFormat, regions: list[Region], options: WriteOptions) -> list[str]:
    """What the chosen format drops, said once per kind of loss."""
    counts = {
        BOXES: sum(region.is_box for region in regions),
        NOTES: sum(bool(region.note) for region in regions),
        EXTRA_COLUMNS: sum(bool(options.extra_columns.get(region.id)) for region in regions),
    }
    return [
        f"{annotation_format.description} {LOSS_MESSAGES[kind].format(count=count)}"
        for kind, count in counts.items()
        if count and kind not in annotation_format.keeps
    ]


__all__ = [
    "FORMATS",
    "AnnotationFormat",
    "AnnotationFormatError",
    "ImportResult",
    "read_regions",
    "write_regions",
]
