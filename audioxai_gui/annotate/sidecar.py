"""Autosave of regions to ``<audio path>.axai.json`` beside the audio file.

Writes are atomic (temp file, fsync, rename, fsync of the folder) so a crash or power cut leaves
either the old or the new file, never a torn one. A sidecar that cannot be read is moved aside,
never overwritten: it may hold an hour of someone's work.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from ..atomic import NAME_MAX, atomic_write, remove_stale_temps
from ..batch import failure_reason, shown_path
from ..checks import is_finite_number, parse_json, read_regular_file
from .document import DocumentChange, RegionDocument
from .regions import Region, RegionError

SIDECAR_SCHEMA = 1
SIDECAR_SUFFIX = ".axai.json"


class SidecarError(Exception):
    """A sidecar cannot be read or written; the message names the file, the reason and where it was kept."""

    def __init__(self, message: str, kept_at: Path | None = None):
        super().__init__(message)
        self.kept_at = kept_at


def sidecar_path(audio_path: str | os.PathLike) -> Path:
    audio_path = Path(audio_path)
    return audio_path.with_name(audio_path.name + SIDECAR_SUFFIX)


def sidecar_data(document: RegionDocument, audio_path: str | os.PathLike) -> dict:
    return {
        "schema": SIDECAR_SCHEMA,
        "audio": Path(audio_path).name,
        "duration": document.duration,
        "task": document.task,
        "regions": [region.to_dict() for region in document],
    }


def sidecar_text(data: dict) -> str:
    """JSON with one region per line: readable and diffable, and written by the C encoder (``indent`` would use the
    pure-Python one: 20,000 regions took a second, on the GUI thread, at every autosave)."""
    header = json.dumps({key: value for key, value in data.items() if key != "regions"})
    regions = ",\n".join(json.dumps(region) for region in data["regions"])
    return f'{header[:-1]}, "regions": [\n{regions}\n]}}\n' if regions else f'{header[:-1]}, "regions": []}}\n'


def write_sidecar(document: RegionDocument, audio_path: str | os.PathLike) -> Path:
    """Atomically replace the sidecar of ``audio_path`` with the document's regions; returns its path."""
    path = sidecar_path(audio_path)
    text = sidecar_text(sidecar_data(document, audio_path))
    try:
        atomic_write(path, text)
    except OSError as exc:
        raise SidecarError(f"sidecar {shown_path(path)}: cannot save regions ({failure_reason(exc)})") from exc
    return path


def load_sidecar(
    audio_path: str | os.PathLike, duration: float | None = None, keep_aside: bool = True
) -> RegionDocument:
    """The regions saved for ``audio_path``; an empty document (with ``duration``) when there are none yet.

    ``duration`` is the audio's real length: it wins over the one the sidecar recorded. Any sidecar
    that cannot be read (corrupt JSON, wrong structure, invalid region, newer schema, absurd nesting
    or numbers, not a regular file) raises SidecarError saying why; with ``keep_aside`` a corrupt file
    is renamed to ``<name>.corrupt-<timestamp>`` so autosave can start a fresh one. Read-only callers
    (the agreement command) pass ``keep_aside=False`` and the file stays untouched.
    """
    audio_path = Path(audio_path)
    path = sidecar_path(audio_path)
    if keep_aside:
        remove_stale_temps(path)
    try:
        raw = read_regular_file(path, MAX_SIDECAR_BYTES)
    except FileNotFoundError:
        return RegionDocument(audio_name=audio_path.name, duration=duration)
    except (OSError, ValueError) as exc:
        raise SidecarError(f"sidecar {shown_path(path)}: cannot read ({failure_reason(exc)})") from exc
    try:
        document = _parse(raw, audio_path.name)
    except Exception as exc:  # noqa: BLE001 - JSON, regions, RecursionError, OverflowError, MemoryError: all mean corrupt
        reason = f"sidecar {shown_path(path)}: {failure_reason(exc)}"
        if not keep_aside:
            raise SidecarError(reason) from exc
        try:
            kept_at = _move_aside(path)
        except OSError as move_exc:
            raise SidecarError(f"{reason}; it could not be moved aside ({failure_reason(move_exc)})") from exc
        raise SidecarError(f"{reason}; the file was kept as {shown_path(kept_at)}", kept_at=kept_at) from exc
    if duration is not None:
        document.duration = duration
    return document


MAX_SIDECAR_BYTES = 64 << 20
"""Far above any hand-made annotation (100,000 regions are ~15 MB); bounds what one read may allocate."""


def sidecar_task(audio_path: str | os.PathLike) -> str:
    """The task the saved regions of ``audio_path`` were made with; "" when there are none or none is named
    (a sidecar that cannot be read is reported when the regions are loaded, not here)."""
    try:
        return _read_object(read_regular_file(sidecar_path(audio_path), MAX_SIDECAR_BYTES)).get("task") or ""
    except Exception:  # noqa: BLE001 - whatever is wrong with it is reported when the regions load
        return ""


def _read_object(raw: bytes) -> dict:
    data = parse_json(raw)
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, found {type(data).__name__}")
    task = data.get("task", "")
    if not isinstance(task, str):
        raise ValueError(f"'task' must be a task id string, found {task!r}")
    return data


def _parse(raw: bytes, audio_name: str) -> RegionDocument:
    data = _read_object(raw)
    schema = data.get("schema")
    if not isinstance(schema, int) or isinstance(schema, bool):
        raise ValueError(f"missing or invalid 'schema' ({schema!r})")
    if schema > SIDECAR_SCHEMA:
        raise ValueError(f"schema {schema} is newer than this AudioXAI supports ({SIDECAR_SCHEMA})")
    duration = data.get("duration")
    if duration is not None and (not is_finite_number(duration) or duration <= 0):
        raise ValueError(f"'duration' must be a positive number or null, found {duration!r}")
    entries = data.get("regions")
    if not isinstance(entries, list):
        raise ValueError("'regions' must be a list")
    regions = []
    for number, entry in enumerate(entries, start=1):
        try:
            regions.append(Region.from_dict(entry))
        except (RegionError, TypeError) as exc:
            raise ValueError(f"region {number}: {exc}") from exc
    return RegionDocument(regions, audio_name=audio_name, duration=duration, task=data.get("task", ""))


def _move_aside(path: Path) -> Path:
    """Rename a corrupt sidecar out of the way; a short name is used when the long one would not fit."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = path.name if len(os.fsencode(path.name)) <= NAME_MAX - 32 else f"sidecar-{uuid.uuid4().hex[:8]}"
    kept_at = path.with_name(f"{base}.corrupt-{stamp}")
    attempt = 1
    while kept_at.exists():
        attempt += 1
        kept_at = path.with_name(f"{base}.corrupt-{stamp}-{attempt}")
    os.replace(path, kept_at)
    return kept_at


class Autosaver:
    """Debounced autosave of one document, driven by ``poll()`` (the shell calls it from a timer).

    A write happens once edits pause for ``debounce`` seconds, and at the latest ``max_delay``
    seconds after the first unsaved edit, so continuous dragging still saves every couple of seconds.
    """

    def __init__(
        self,
        document: RegionDocument,
        audio_path: str | os.PathLike,
        *,
        clock: Callable[[], float] = time.monotonic,
        debounce: float = 0.5,
        max_delay: float = 2.0,
    ):
        self.document = document
        self.audio_path = Path(audio_path)
        self.clock = clock
        self.debounce = debounce
        self.max_delay = max_delay
        self._first_unsaved: float | None = None
        self._last_change = 0.0
        self._unsubscribe = document.subscribe(self._on_change)

    @property
    def path(self) -> Path:
        return sidecar_path(self.audio_path)

    @property
    def dirty(self) -> bool:
        return self._first_unsaved is not None

    def notify_changed(self) -> None:
        now = self.clock()
        if self._first_unsaved is None:
            self._first_unsaved = now
        self._last_change = now

    def _on_change(self, change: DocumentChange) -> None:
        self.notify_changed()

    def poll(self) -> bool:
        """Write if edits are pending and due; returns whether it wrote. SidecarError if saving fails."""
        if self._first_unsaved is None:
            return False
        now = self.clock()
        due = now - self._last_change >= self.debounce or now - self._first_unsaved >= self.max_delay
        return self.flush() if due else False

    def flush(self) -> bool:
        """Write now if anything is unsaved (closing a file, quitting)."""
        if self._first_unsaved is None:
            return False
        try:
            write_sidecar(self.document, self.audio_path)
        except SidecarError:
            # Still dirty; restart the clock so a failing disk is retried after the debounce, not every poll.
            self._first_unsaved = self._last_change = self.clock()
            raise
        self._first_unsaved = None
        return True

    def stop(self) -> None:
        """Stop listening to the document, saving nothing more (the shell already flushed and reported)."""
        self._unsubscribe()

    def close(self) -> None:
        """Save what is pending and stop listening to the document."""
        self.stop()
        self.flush()
