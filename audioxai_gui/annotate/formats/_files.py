"""File plumbing the formats share: decoding what other tools write, JSON with line numbers."""

from __future__ import annotations

import bisect
import json
import json.decoder
import json.scanner
from pathlib import Path

from ._base import AnnotationFormatError

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def decode_text(data: bytes) -> str:
    """Text with newlines normalised to ``\\n``. Praat saves non-ASCII TextGrids as UTF-16 with a BOM;
    everything else here is UTF-8 (with or without BOM)."""
    encoding = "utf-16" if data.startswith(_UTF16_BOMS) else "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise AnnotationFormatError(f"not valid {encoding} text ({exc.reason})", line) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AnnotationFormatError(f"cannot read the file ({exc.strerror or exc})") from None
    return decode_text(data)


class LocatedDict(dict):
    """A JSON object that remembers the line its ``{`` was on, so errors can point at it."""

    line: int = 0


def load_json_with_lines(text: str):
    """Parse JSON like ``json.loads``, but every object is a ``LocatedDict`` carrying its line number.

    Uses the pure-Python scanner (the C one has no hook for object positions); annotation files are small.
    """
    newline_offsets = [i for i, char in enumerate(text) if char == "\n"]

    def parse_located_object(s_and_end, *args):
        start = s_and_end[1]
        obj, end = json.decoder.JSONObject(s_and_end, *args)
        located = LocatedDict(obj)
        located.line = bisect.bisect_left(newline_offsets, start) + 1
        return located, end

    decoder = json.JSONDecoder()
    decoder.parse_object = parse_located_object
    decoder.scan_once = json.scanner.py_make_scanner(decoder)
    try:
        return decoder.decode(text)
    except json.JSONDecodeError as exc:
        raise AnnotationFormatError(f"not valid JSON ({exc.msg}, column {exc.colno})", exc.lineno) from None


def line_of(obj, fallback: int = 1) -> int:
    return getattr(obj, "line", fallback)
