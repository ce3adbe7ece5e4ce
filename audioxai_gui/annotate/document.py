"""The regions of one audio file, edited through undoable commands.

Every change goes through a command (add, remove, update, batch) so undo/redo is exact and
the Qt shell only has to subscribe to change notifications; nothing here knows about Qt.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .regions import Region, RegionError

GEOMETRY_FIELDS = ("start", "end", "low_hz", "high_hz")
EDITABLE_FIELDS = (*GEOMETRY_FIELDS, "label", "note")


@dataclass(frozen=True)
class DocumentChange:
    """What a listener is told: the new revision, the undo text of the step and the regions touched."""

    revision: int
    description: str
    region_ids: tuple[str, ...]


Listener = Callable[[DocumentChange], None]


class _Command:
    """One undoable step; ``apply``/``revert`` edit the document's list and return the ids touched."""

    description = ""

    def apply(self, regions: list[Region]) -> tuple[str, ...]:
        raise NotImplementedError

    def revert(self, regions: list[Region]) -> tuple[str, ...]:
        raise NotImplementedError


def _index_of(regions: list[Region], region_id: str) -> int:
    for index, region in enumerate(regions):
        if region.id == region_id:
            return index
    raise RegionError(f"no region with id {region_id!r}")


class _Add(_Command):
    def __init__(self, region: Region, index: int):
        self.region, self.index, self.description = region, index, "Add region"

    def apply(self, regions):
        regions.insert(self.index, self.region)
        return (self.region.id,)

    def revert(self, regions):
        del regions[_index_of(regions, self.region.id)]
        return (self.region.id,)


class _Remove(_Command):
    def __init__(self, region: Region, index: int):
        self.region, self.index, self.description = region, index, "Remove region"

    def apply(self, regions):
        del regions[_index_of(regions, self.region.id)]
        return (self.region.id,)

    def revert(self, regions):
        regions.insert(self.index, self.region)
        return (self.region.id,)


class _Update(_Command):
    def __init__(self, before: Region, after: Region, description: str):
        self.before, self.after, self.description = before, after, description

    def apply(self, regions):
        regions[_index_of(regions, self.after.id)] = self.after
        return (self.after.id,)

    def revert(self, regions):
        regions[_index_of(regions, self.before.id)] = self.before
        return (self.before.id,)


class _Batch(_Command):
    def __init__(self, commands: list[_Command], description: str):
        self.commands, self.description = commands, description

    def apply(self, regions):
        return tuple(rid for command in self.commands for rid in command.apply(regions))

    def revert(self, regions):
        return tuple(rid for command in reversed(self.commands) for rid in command.revert(regions))


class RegionDocument:
    """Ordered regions of one audio file (insertion order) with undo/redo and change listeners.

    Regions handed out are the document's own objects: read them, change them only through the
    document's methods (undo keeps references to the old objects).
    """

    def __init__(
        self, regions: Iterable[Region] = (), *, audio_name: str = "", duration: float | None = None, task: str = ""
    ):
        self.audio_name = audio_name
        self.duration = duration
        self.task = task  # the task (model pair) the regions were made with; opening them switches to it
        self._regions: list[Region] = []
        ids: set[str] = set()
        for region in regions:  # one pass with a set of ids: 20,000 saved regions load in well under a second
            region.validate(duration)
            if region.id in ids:
                raise RegionError(f"{region.describe()}: a region with this id already exists")
            ids.add(region.id)
            self._regions.append(dataclasses.replace(region))
        self._undo: list[_Command] = []
        self._redo: list[_Command] = []
        self._listeners: list[Listener] = []
        self._batch: list[_Command] | None = None
        self.revision = 0

    # -- reading -----------------------------------------------------------------------------
    @property
    def regions(self) -> tuple[Region, ...]:
        return tuple(self._regions)

    def __len__(self) -> int:
        return len(self._regions)

    def __iter__(self) -> Iterator[Region]:
        return iter(tuple(self._regions))

    def get(self, region_id: str) -> Region:
        return self._regions[_index_of(self._regions, region_id)]

    def next_region(self, time: float) -> Region | None:
        """The first region starting strictly after ``time`` (Tab); None after the last one."""
        ordered = self._by_start()
        index = bisect.bisect_right([r.start for r in ordered], time)
        return ordered[index] if index < len(ordered) else None

    def previous_region(self, time: float) -> Region | None:
        """The last region starting strictly before ``time`` (Shift+Tab); None before the first one."""
        ordered = self._by_start()
        index = bisect.bisect_left([r.start for r in ordered], time)
        return ordered[index - 1] if index > 0 else None

    def _by_start(self) -> list[Region]:
        return sorted(self._regions, key=lambda r: (r.start, r.end))

    # -- listeners ---------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(change)`` after every change, undo and redo; returns the unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    # -- undo / redo -------------------------------------------------------------------------
    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def undo_text(self) -> str:
        return self._undo[-1].description if self._undo else ""

    @property
    def redo_text(self) -> str:
        return self._redo[-1].description if self._redo else ""

    def undo(self) -> str | None:
        """Revert the last step; returns its description, or None when there is nothing to undo."""
        if not self._undo:
            return None
        command = self._undo.pop()
        self._redo.append(command)
        self._changed(command.description, command.revert(self._regions))
        return command.description

    def redo(self) -> str | None:
        if not self._redo:
            return None
        command = self._redo.pop()
        self._undo.append(command)
        self._changed(command.description, command.apply(self._regions))
        return command.description

    # -- editing -----------------------------------------------------------------------------
    def add(self, region: Region) -> Region:
        """Add a copy of ``region`` at the end; returns the stored region."""
        self._check_new(region)
        stored = dataclasses.replace(region)
        self._execute(_Add(stored, len(self._regions)))
        return stored

    def add_many(self, regions: Iterable[Region], description: str = "Accept suggestions") -> list[Region]:
        """Add several regions as one undo step (accepting suggestions, importing a file)."""
        with self.batch(description):
            return [self.add(region) for region in regions]

    def remove(self, region_id: str) -> Region:
        index = _index_of(self._regions, region_id)
        region = self._regions[index]
        self._execute(_Remove(region, index))
        return region

    def update(self, region_id: str, description: str = "Edit region", **changes) -> Region:
        """Change fields (start, end, low_hz, high_hz, label, note) of one region."""
        unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
        if unknown:
            editable = ", ".join(EDITABLE_FIELDS)
            raise RegionError(f"cannot edit region field(s) {', '.join(unknown)}; editable: {editable}")
        return self._replace(region_id, description, changes, continuing=False)

    def move(self, region_id: str, dt: float = 0.0, dhz: float = 0.0, continuing: bool = False) -> Region:
        """Shift a region by ``dt`` seconds (and a box by ``dhz``).

        ``continuing=True`` folds this move into the previous move of the same region, so a mouse
        drag is one undo step however many intermediate positions the shell reports.
        """
        region = self.get(region_id)
        changes = {"start": region.start + dt, "end": region.end + dt}
        if region.is_box and dhz:
            changes.update(low_hz=region.low_hz + dhz, high_hz=region.high_hz + dhz)
        return self._replace(region_id, "Move region", changes, continuing)

    def resize(self, region_id: str, continuing: bool = False, **edges: float) -> Region:
        """Set edges (start, end, low_hz, high_hz) of a region; ``continuing`` as for ``move``."""
        unknown = sorted(set(edges) - set(GEOMETRY_FIELDS))
        if unknown:
            raise RegionError(f"cannot resize by {', '.join(unknown)}; edges: {', '.join(GEOMETRY_FIELDS)}")
        return self._replace(region_id, "Resize region", edges, continuing)

    @contextmanager
    def batch(self, description: str):
        """Group every edit inside the ``with`` block into one undo step; on an error all are reverted."""
        if self._batch is not None:  # nested: the outer batch collects everything
            yield
            return
        self._batch = []
        try:
            yield
        except BaseException:
            commands, self._batch = self._batch, None
            if commands:
                self._changed(description, _Batch(commands, description).revert(self._regions))
            raise
        commands, self._batch = self._batch, None
        if commands:
            self._undo.append(_Batch(commands, description))
            self._redo.clear()

    def insert_saved(self, regions: Iterable[Region], description: str = "Load saved regions") -> None:
        """Put regions read from disk before those added meanwhile (they were there first); not an undo step,
        so undoing an edit made while they loaded never removes them. Ids must not clash (RegionError)."""
        ids = {region.id for region in self._regions}
        saved = []
        for region in regions:
            region.validate(self.duration)
            if region.id in ids:
                raise RegionError(f"{region.describe()}: a region with this id already exists")
            ids.add(region.id)
            saved.append(dataclasses.replace(region))
        if saved:
            self._regions[:0] = saved
            self._changed(description, tuple(region.id for region in saved))

    # -- internals ---------------------------------------------------------------------------
    def _check_new(self, region: Region) -> None:
        region.validate(self.duration)
        if any(existing.id == region.id for existing in self._regions):
            raise RegionError(f"{region.describe()}: a region with this id already exists")

    def _replace(self, region_id: str, description: str, changes: dict, continuing: bool) -> Region:
        before = self.get(region_id)
        after = dataclasses.replace(before, **changes)
        after.validate(self.duration)
        previous = self._undo[-1] if self._undo and self._batch is None else None
        if (
            continuing
            and isinstance(previous, _Update)
            and previous.after is before
            and previous.description == description
        ):
            self._undo.pop()
            before = previous.before
        self._execute(_Update(before, after, description))
        return after

    def _execute(self, command: _Command) -> None:
        region_ids = command.apply(self._regions)
        if self._batch is not None:
            self._batch.append(command)
        else:
            self._undo.append(command)
            self._redo.clear()
        self._changed(command.description, region_ids)

    def _changed(self, description: str, region_ids: tuple[str, ...]) -> None:
        self.revision += 1
        change = DocumentChange(self.revision, description, region_ids)
        for listener in list(self._listeners):
            listener(change)
