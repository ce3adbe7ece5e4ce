"""Background jobs with generation ids: the GUI thread never waits on a model nor draws stale results.

Every job is submitted on a named channel ("audio", "explain:waveform", ...). Submitting bumps the
channel's generation: the running job's ``cancelled()`` turns true (the engine stops between batches)
and whatever it returns or raises afterwards is dropped. Only the newest job of a channel reaches its
callbacks, always in the GUI thread.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6 import QtCore

Job = Callable[[Callable[[float], None], Callable[[], bool]], Any]
"""A job gets ``progress(fraction)`` and ``cancelled()`` and returns its result (run in a worker thread)."""


@dataclass
class _Callbacks:
    on_done: Callable[[Any], None]
    on_failed: Callable[[BaseException], None] | None
    on_progress: Callable[[float], None] | None


class _Relay(QtCore.QObject):
    """Lives in the GUI thread; signals emitted from workers arrive here queued."""

    finished = QtCore.Signal(str, int, object)
    failed = QtCore.Signal(str, int, object)
    progressed = QtCore.Signal(str, int, float)


class _Task(QtCore.QRunnable):
    def __init__(self, runner: TaskRunner, channel: str, generation: int, job: Job):
        super().__init__()
        self.runner, self.channel, self.generation, self.job = runner, channel, generation, job

    def cancelled(self) -> bool:
        return not self.runner.is_current(self.channel, self.generation)

    def progress(self, fraction: float) -> None:
        self.runner._relay.progressed.emit(self.channel, self.generation, float(fraction))

    def run(self) -> None:
        if self.cancelled():  # superseded while queued: do not even start
            return
        try:
            result = self.job(self.progress, self.cancelled)
        except BaseException as exc:  # delivered to the GUI thread, which decides how to show it
            self.runner._relay.failed.emit(self.channel, self.generation, exc)
        else:
            self.runner._relay.finished.emit(self.channel, self.generation, result)


class TaskRunner(QtCore.QObject):
    """A small thread pool plus one generation counter per channel."""

    def __init__(self, parent: QtCore.QObject | None = None, threads: int = 2):
        super().__init__(parent)
        self._pool = QtCore.QThreadPool(self)
        self._pool.setMaxThreadCount(threads)
        self._ids = itertools.count(1)
        self._current: dict[str, int] = {}
        self._callbacks: dict[tuple[str, int], _Callbacks] = {}
        self._lock = threading.Lock()
        self._relay = _Relay(self)
        self._relay.finished.connect(self._deliver_result)
        self._relay.failed.connect(self._deliver_error)
        self._relay.progressed.connect(self._deliver_progress)

    def submit(
        self,
        channel: str,
        job: Job,
        on_done: Callable[[Any], None],
        on_failed: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[float], None] | None = None,
    ) -> int:
        """Run ``job`` in the pool, cancelling the previous job on ``channel``; returns the generation id."""
        with self._lock:
            generation = next(self._ids)
            self._current[channel] = generation
        self._callbacks = {key: cb for key, cb in self._callbacks.items() if key[0] != channel}
        self._callbacks[(channel, generation)] = _Callbacks(on_done, on_failed, on_progress)
        self._pool.start(_Task(self, channel, generation, job))
        return generation

    def cancel(self, channel: str) -> None:
        """Cancel the channel's job; its result will never be delivered."""
        with self._lock:
            self._current[channel] = next(self._ids)
        self._callbacks = {key: cb for key, cb in self._callbacks.items() if key[0] != channel}

    def is_current(self, channel: str, generation: int) -> bool:
        with self._lock:
            return self._current.get(channel) == generation

    def pending(self, prefix: str = "") -> bool:
        """Whether a job whose channel starts with ``prefix`` still owes a delivery."""
        return any(key[0].startswith(prefix) for key in self._callbacks)

    def wait(self, msecs: int = -1) -> bool:
        """Block until the pool is idle (tests, shutdown); queued deliveries still need the event loop."""
        return self._pool.waitForDone(msecs)

    def _take(self, channel: str, generation: int, final: bool) -> _Callbacks | None:
        if not self.is_current(channel, generation):
            return None
        return self._callbacks.pop((channel, generation), None) if final else self._callbacks.get((channel, generation))

    def _deliver_result(self, channel: str, generation: int, result: object) -> None:
        callbacks = self._take(channel, generation, final=True)
        if callbacks is not None:
            callbacks.on_done(result)

    def _deliver_error(self, channel: str, generation: int, error: object) -> None:
        callbacks = self._take(channel, generation, final=True)
        if callbacks is None:
            return
        if callbacks.on_failed is None:
            raise error
        callbacks.on_failed(error)

    def _deliver_progress(self, channel: str, generation: int, fraction: float) -> None:
        callbacks = self._take(channel, generation, final=False)
        if callbacks is not None and callbacks.on_progress is not None:
            callbacks.on_progress(fraction)
