"""Per-file isolation for batch commands: whatever goes wrong with one file becomes that file's message.

A batch over fifty files must not end at the seventh because its output name is too long, its folder
is read-only or it needs more memory than there is: ``run_isolated`` turns any exception of one file
into plain words naming the file and the reason, and the batch goes on with the next. The traceback
is for developers only (``--debug``).
"""

from __future__ import annotations

import errno
import os
import sys
import traceback
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# OSError numbers whose own wording is unclear to a user, in plain words.
_OS_REASONS = {
    errno.ENAMETOOLONG: "the name is too long for the file system",
    errno.EACCES: "permission denied",
    errno.EROFS: "the disk is read-only",
    errno.ENOSPC: "the disk is full",
    errno.ELOOP: "the path is a loop of symbolic links",
    errno.ENOENT: "file or folder not found",
    errno.EISDIR: "is a folder, not a file",
    errno.ENOTDIR: "a part of the path is not a folder",
}


def shown_path(path: str | os.PathLike) -> str:
    """The path as text that can always be printed: bytes that are not UTF-8 show as U+FFFD."""
    return os.fsencode(path).decode("utf-8", "replace")


def failure_reason(exc: BaseException) -> str:
    """Why it failed, in plain words; the project's own errors already say it well."""
    if isinstance(exc, MemoryError):
        return "not enough memory to process this file"
    if isinstance(exc, RecursionError):
        return "nested too deeply to read"
    if isinstance(exc, OSError):
        reason = _OS_REASONS.get(exc.errno) or exc.strerror or str(exc)
        return f"{reason} ({shown_path(exc.filename)})" if exc.filename else reason
    text = str(exc).strip()
    if type(exc).__module__.startswith("audioxai_gui") or isinstance(exc, ValueError):
        return text or type(exc).__name__
    return f"unexpected {type(exc).__name__}" + (f": {text}" if text else "")


def failure_message(path: str | os.PathLike, exc: BaseException) -> str:
    """``"<file>: <reason>"``, without naming the file twice when the reason already does."""
    shown, reason = shown_path(path), shown_path(failure_reason(exc))
    return reason if reason.startswith(shown) else f"{shown}: {reason}"


def run_isolated(
    path: str | os.PathLike, work: Callable[..., T], *args, debug: bool = False
) -> tuple[T | None, str | None]:
    """``(work(*args), None)``, or ``(None, message)`` naming ``path`` when ``work`` raised anything.

    KeyboardInterrupt and SystemExit still stop the batch: the user asked for that.
    """
    try:
        return work(*args), None
    except Exception as exc:  # noqa: BLE001 - isolation is the point: any failure belongs to this file
        if debug:
            traceback.print_exc(file=sys.stderr)
        return None, failure_message(path, exc)
