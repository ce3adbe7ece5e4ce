"""Praat TextGrid, long text format on write; long and short text formats on read.

Praat itself reads text files as a stream of numbers, "strings" and <flags>, skipping the ``name =``
labels, ``[n]`` indices and ``!`` comments of the long format; so do we, which makes one reader serve both.

Write: regions go to IntervalTiers "regions", "regions 2", ... (a region joins the first tier it does not
overlap), gaps are empty intervals, the tiers span 0 to the audio duration; zero-length regions go to a
TextTier "points". Read: every non-empty interval becomes a time region, every TextTier point a
zero-length one;
the tier name is kept in the note unless it is one of our own. Frequencies, notes and ids are lost.
"""

from __future__ import annotations

import bisect
import re

from ..regions import Region
from ._base import AnnotationFormatError, ParsedRegions, RenderedFile, WriteOptions

_TOKEN = re.compile(
    r'"(?P<string>(?:[^"]|"")*)"'
    r"|(?P<flag><[A-Za-z]+>)"
    r"|(?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?![\w.])"
    r"|(?P<skip>\[[^\]\n]*\]|![^\n]*|[A-Za-z_][\w?]*|[=:\s]+)"
)
TIER_NAME = "regions"
POINT_TIER_NAME = "points"
_OWN_TIER = re.compile(rf"{TIER_NAME}( \d+)?|{POINT_TIER_NAME}")


class _Tokens:
    """The value tokens of a Praat text file, each with its line number."""

    def __init__(self, text: str):
        newline_offsets = [i for i, char in enumerate(text) if char == "\n"]
        self._tokens: list[tuple[str, str, int]] = []
        position = 0
        while position < len(text):
            match = _TOKEN.match(text, position)
            line = bisect.bisect_left(newline_offsets, position) + 1
            if match is None:
                raise AnnotationFormatError(f"unexpected text {text[position : position + 20]!r}", line)
            if match.lastgroup != "skip":
                self._tokens.append((match.lastgroup, match.group(match.lastgroup), line))
            position = match.end()
        self._next = 0

    @property
    def line(self) -> int:
        index = min(self._next, len(self._tokens) - 1)
        return self._tokens[index][2] if self._tokens else 1

    def _take(self, kind: str, what: str) -> str:
        if self._next >= len(self._tokens):
            raise AnnotationFormatError(f"file ends where {what} was expected", self.line)
        found_kind, value, line = self._tokens[self._next]
        if found_kind != kind:
            raise AnnotationFormatError(f"expected {what} ({kind}), found {value!r}", line)
        self._next += 1
        return value

    def string(self, what: str) -> str:
        return self._take("string", what).replace('""', '"')

    def number(self, what: str) -> float:
        return float(self._take("number", what))

    def count(self, what: str) -> int:
        line = self.line
        value = self.number(what)
        if value < 0 or value != int(value):
            raise AnnotationFormatError(f"{what} {value:g} is not a count", line)
        return int(value)

    def flag(self, what: str) -> str:
        return self._take("flag", what)


def looks_like(head: str) -> bool:
    return '"ooTextFile"' in head and '"TextGrid"' in head


def read(text: str) -> ParsedRegions:
    tokens = _Tokens(text)
    if tokens.string("file type") != "ooTextFile":
        raise AnnotationFormatError('not a Praat text file (file type is not "ooTextFile")', 1)
    object_class = tokens.string("object class")
    if object_class != "TextGrid":
        raise AnnotationFormatError(f'object class is "{object_class}", not "TextGrid"', tokens.line)
    tokens.number("xmin")
    tokens.number("xmax")
    parsed = ParsedRegions()
    if tokens.flag("tiers? <exists>") != "<exists>":
        return parsed
    for _ in range(tokens.count("number of tiers")):
        _read_tier(tokens, parsed)
    return parsed


def _read_tier(tokens: _Tokens, parsed: ParsedRegions) -> None:
    tier_line = tokens.line
    tier_class = tokens.string("tier class")
    name = tokens.string("tier name")
    tokens.number("tier xmin")
    tokens.number("tier xmax")
    note = "" if _OWN_TIER.fullmatch(name) else f"tier: {name}"
    if tier_class == "IntervalTier":
        for _ in range(tokens.count("number of intervals")):
            line = tokens.line
            start, end = tokens.number("interval xmin"), tokens.number("interval xmax")
            text = tokens.string("interval text")
            if text.strip():
                parsed.rows.append((line, Region(start, end, label=text, note=note)))
    elif tier_class == "TextTier":
        for _ in range(tokens.count("number of points")):
            line = tokens.line
            time = tokens.number("point time")
            parsed.rows.append((line, Region(time, time, label=tokens.string("point mark"), note=note)))
    else:
        raise AnnotationFormatError(f'unknown tier class "{tier_class}"', tier_line)


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _stack_into_tiers(regions: list[Region]) -> list[list[Region]]:
    """Greedy interval partitioning: each region (by start time) joins the first tier it does not overlap."""
    tiers: list[list[Region]] = []
    for region in sorted(regions, key=lambda r: (r.start, r.end)):
        tier = next((tier for tier in tiers if tier[-1].end <= region.start), None)
        if tier is None:
            tiers.append(tier := [])
        tier.append(region)
    return tiers


def _interval_tier_lines(number: int, name: str, regions: list[Region], xmax: float) -> list[str]:
    intervals, cursor = [], 0.0
    for region in regions:
        if region.start > cursor:
            intervals.append((cursor, region.start, ""))
        intervals.append((region.start, region.end, region.label))
        cursor = region.end
    if xmax > cursor:
        intervals.append((cursor, xmax, ""))
    lines = _tier_header(number, "IntervalTier", name, xmax) + [f"        intervals: size = {len(intervals)}"]
    for index, (start, end, label) in enumerate(intervals, start=1):
        lines += [
            f"        intervals [{index}]:",
            f"            xmin = {start!r}",
            f"            xmax = {end!r}",
            f"            text = {_quoted(label)}",
        ]
    return lines


def _point_tier_lines(number: int, points: list[Region], xmax: float) -> list[str]:
    lines = _tier_header(number, "TextTier", POINT_TIER_NAME, xmax) + [f"        points: size = {len(points)}"]
    for index, point in enumerate(sorted(points, key=lambda p: p.start), start=1):
        lines += [
            f"        points [{index}]:",
            f"            number = {point.start!r}",
            f"            mark = {_quoted(point.label)}",
        ]
    return lines


def _tier_header(number: int, tier_class: str, name: str, xmax: float) -> list[str]:
    return [
        f"    item [{number}]:",
        f'        class = "{tier_class}"',
        f"        name = {_quoted(name)}",
        "        xmin = 0",
        f"        xmax = {xmax!r}",
    ]


def write(regions: list[Region], options: WriteOptions) -> RenderedFile:
    warnings = []
    last_end = max((region.end for region in regions), default=0.0)
    xmax = float(options.duration) if options.duration is not None else last_end
    if last_end > xmax:
        warnings.append(f"TextGrid: regions end at {last_end:g} s, past the audio's {xmax:g} s; tiers longer")
        xmax = last_end
    unlabelled = sum(not region.label.strip() for region in regions)
    if unlabelled:
        warnings.append(f"TextGrid: {unlabelled} region(s) without a label read back as gaps: lost")
    points = [region for region in regions if region.is_point]
    tiers = _stack_into_tiers([region for region in regions if not region.is_point])
    tier_lines = []
    for number, tier in enumerate(tiers, start=1):
        name = TIER_NAME if number == 1 else f"{TIER_NAME} {number}"
        tier_lines += _interval_tier_lines(number, name, tier, xmax)
    if points:
        tier_lines += _point_tier_lines(len(tiers) + 1, points, xmax)
    tier_count = len(tiers) + bool(points)
    header = [
        'File type = "ooTextFile"',
        'Object class = "TextGrid"',
        "",
        "xmin = 0",
        f"xmax = {xmax!r}",
        f"tiers? {'<exists>' if tier_count else '<absent>'}",
    ]
    if tier_count:
        header += [f"size = {tier_count}", "item []:"]
    return RenderedFile("".join(line + "\n" for line in header + tier_lines), warnings)
