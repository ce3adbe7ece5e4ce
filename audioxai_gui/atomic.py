"""Atomic file writes: a reader (or the next start after a crash) sees the old file or the whole new one.

Every file AudioXAI writes for the user goes through here: write a temporary file beside the target,
flush and fsync it, rename it over the target, then fsync the folder so the rename itself survives a
power cut. Temporary files are named ``.{name}.{random}.tmp`` (a hash of the name when it is long, so the
temporary name always fits in 255 bytes) so leftovers from a killed process can be found (``temp_files_for``):
every write removes the stale ones of its own target first, so a crash leaves at most one orphan per file,
and only until that file is saved again.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

NAME_MAX = 255
"""Bytes a file name may have on every common file system (ext4, APFS, NTFS in UTF-16 units)."""
STALE_TEMP_S = 600.0
"""A temporary file this old is the leftover of a killed write, not a write in progress (writes take seconds)."""
_RANDOM_HEX = 8


def _temp_prefix(path: Path) -> str:
    """``.{name}``, or ``.{hash of name}`` when the name is too long to carry 14 more bytes and still fit."""
    if len(os.fsencode(path.name)) + 14 <= NAME_MAX:
        return f".{path.name}"
    return "." + hashlib.sha256(os.fsencode(path.name)).hexdigest()[:24]


def temp_files_for(path: str | os.PathLike) -> list[Path]:
    """Temporary files an interrupted write of ``path`` may have left behind (never another file's)."""
    path = Path(path)
    exact = re.compile(rf"{re.escape(_temp_prefix(path))}\.[0-9a-f]+\.tmp")
    return [temp for temp in path.parent.glob(f"{glob.escape(_temp_prefix(path))}.*.tmp") if exact.fullmatch(temp.name)]


def remove_stale_temps(path: str | os.PathLike, older_than: float = STALE_TEMP_S) -> None:
    """Delete what killed writes of ``path`` left behind (files, or folders of ``atomic_folder``); best effort
    (a failure here must not block a save)."""
    cutoff = time.time() - older_than
    for temp in temp_files_for(path):
        try:
            if temp.lstat().st_mtime < cutoff:
                shutil.rmtree(temp) if temp.is_dir() and not temp.is_symlink() else temp.unlink()
        except OSError:
            continue


def _new_temp(path: Path) -> Path:
    return path.parent / f"{_temp_prefix(path)}.{uuid.uuid4().hex[:_RANDOM_HEX]}.tmp"


@contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path to write to; on success it replaces ``path`` durably, on error it is removed.

    The temporary file is created with the umask's permissions, as any new file would be. Stale temporaries of
    ``path`` (from a killed earlier write) are removed first.
    """
    path = Path(path)
    remove_stale_temps(path)
    temp = _new_temp(path)
    try:
        os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except OSError as exc:
        _name_target(exc, temp, path)
        raise
    try:
        yield temp
        with open(temp, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(temp, path)
    except BaseException as exc:
        temp.unlink(missing_ok=True)
        _name_target(exc, temp, path)
        raise
    _fsync_directory(path.parent)


@contextmanager
def atomic_folder(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder to fill; on success it takes the place of the folder ``path``, on error it is
    removed. A reader sees the old folder or the whole new one (or, for the instant between the two renames that
    replace an existing folder, none: a miss, never a mix of old and new files)."""
    path = Path(path)
    remove_stale_temps(path)
    temp = _new_temp(path)
    try:
        temp.mkdir()
    except OSError as exc:
        _name_target(exc, temp, path)
        raise
    replaced = None
    try:
        yield temp
        for written in temp.iterdir():
            with open(written, "rb+") as handle:
                os.fsync(handle.fileno())
        if path.is_dir():
            replaced = _new_temp(path)
            os.replace(path, replaced)
        os.replace(temp, path)
    except BaseException as exc:
        shutil.rmtree(temp, ignore_errors=True)
        if replaced is not None and not path.exists():
            os.replace(replaced, path)  # the new folder could not take its place: the old one returns
        _name_target(exc, temp, path)
        raise
    if replaced is not None:
        shutil.rmtree(replaced, ignore_errors=True)
    _fsync_directory(path.parent)


def _name_target(exc: BaseException, temp: Path, path: Path) -> None:
    """Make the error name the file the user asked for, not its temporary name."""
    if isinstance(exc, OSError) and isinstance(exc.filename, (str, bytes)) and Path(os.fsdecode(exc.filename)) == temp:
        exc.filename = str(path)


def atomic_write(path: str | os.PathLike, payload: bytes | str) -> None:
    """Replace ``path`` with ``payload`` (str is written as UTF-8) atomically and durably."""
    data = payload.encode("utf-8") if isinstance(payload, str) else payload
    with atomic_output(path) as temp:
        temp.write_bytes(data)


def _fsync_directory(folder: Path) -> None:
    """Make the rename durable; platforms that cannot open folders already make it so."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def read_json_object(path: str | os.PathLike, max_bytes: int = 16 << 20) -> dict:
    """The JSON object stored at ``path``; ValueError says why it cannot be read (callers add what it is).

    Only a regular file of at most ``max_bytes`` is read (a FIFO would hang, a huge file exhaust memory).
    """
    from .checks import read_json_file

    try:
        data = read_json_file(path, max_bytes)
    except FileNotFoundError as exc:
        raise ValueError("cannot read JSON (file not found)") from exc
    except ValueError as exc:
        raise ValueError(f"cannot read JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data
