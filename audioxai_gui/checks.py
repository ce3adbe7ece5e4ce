"""Small checks on values read from files anyone may have written (model cards, sidecars, sessions).

JSON allows numbers no float can hold (a 400-digit integer), and a hostile file can be a FIFO, a
gigabyte or a list nested 100,000 deep: these helpers answer such input with a ValueError in plain
words instead of an OverflowError, a hang or a RecursionError.
"""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path


def is_finite_number(value) -> bool:
    """A JSON number that is finite as a float: not a bool, NaN, infinity or a 400-digit integer."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def shown_value(value) -> str:
    """A value for a message: numbers as ``%g``, anything else (a 400-digit integer, a string) cut short."""
    if is_finite_number(value):
        return f"{value:g}"
    text = repr(value)
    return text if len(text) <= 24 else text[:20] + "..."


def read_regular_file(path: str | os.PathLike, max_bytes: int) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``max_bytes``; a FIFO or device is never opened.

    FileNotFoundError passes through (callers often treat "none yet" differently); other problems are
    ValueErrors saying why.
    """
    status = os.stat(path)
    if not stat.S_ISREG(status.st_mode):
        raise ValueError("not a regular file")
    if status.st_size > max_bytes:
        raise ValueError(f"{status.st_size:,} bytes, more than the {max_bytes:,} allowed")
    with open(path, "rb") as handle:
        return handle.read(max_bytes + 1)[:max_bytes]


def parse_json(raw: bytes):
    """JSON from bytes; ValueError (never RecursionError) for anything that is not sane JSON text."""
    try:
        return json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise ValueError("not valid JSON (nested too deeply)") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, too many digits
        raise ValueError(f"not valid JSON ({exc})") from exc


def read_json_file(path: str | os.PathLike, max_bytes: int) -> object:
    """``parse_json`` of a regular file of bounded size; ValueError says why it cannot be read."""
    try:
        return parse_json(read_regular_file(Path(path), max_bytes))
    except OSError as exc:
        raise ValueError(f"cannot read ({exc.strerror or exc})") from exc
