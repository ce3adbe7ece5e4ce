"""The Compare view's state: the comparison folder opened (read in a worker) and the clip asked for, which is
opened with its run's task and then explained for its true class."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore

from ...evaluate.dataset import DatasetError, class_index
from ...evaluate.results import ClipRow, ComparisonResults, load_results

LOAD_CHANNEL = "compare:load"


class CompareViewModel(QtCore.QObject):
    loaded = QtCore.Signal(object)  # ComparisonResults
    busy = QtCore.Signal(bool)
    problem = QtCore.Signal(str)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.results: ComparisonResults | None = None
        self._target_after_open: tuple[Path, str] | None = None
        window.clipShown.connect(self._on_clip_shown)

    def start_folder(self) -> str:
        return str(self.results.folder.parent) if self.results is not None else self.window.start_folder()

    def open_folder(self, folder: str | Path) -> None:
        self.busy.emit(True)
        self.window.runner.submit(
            LOAD_CHANNEL,
            lambda progress, cancelled: load_results(folder),
            on_done=self._on_loaded,
            on_failed=self._on_failed,
        )

    def _on_loaded(self, results: ComparisonResults) -> None:
        self.results = results
        self.busy.emit(False)
        self.loaded.emit(results)

    def _on_failed(self, exc: BaseException) -> None:
        self.busy.emit(False)
        self.problem.emit(str(exc))
        self.window.show_problem(f"Cannot open the comparison: {exc}")

    def class_name(self, clip: ClipRow) -> str | None:
        """The clip's true class as the run's models name it (None when its label is none of them)."""
        classes = self.results.context.classes if self.results is not None else []
        try:
            return classes[class_index(clip.label, classes)]
        except DatasetError:
            return None

    def open_clip(self, clip: ClipRow) -> None:
        """Open the clip in the window (switching to the run's task first), then explain its true class."""
        path = Path(clip.path)
        if not path.is_file():
            self.problem.emit(f"{path}: the clip is no longer there")
            self.window.show_problem(f"Cannot open {path}: no such file (moved since the comparison ran?)")
            return
        self._target_after_open = (path.resolve(), self.class_name(clip))
        backend, task = self.window.backend, self.results.context.task if self.results else ""
        if backend is not None and task and task != backend.task.id and task in backend.tasks:
            self.window.choose_task(task, then_open=path)
        else:
            self.window.open_file(path)

    def _on_clip_shown(self, clip) -> None:
        pending, self._target_after_open = self._target_after_open, None
        if pending is None or Path(clip.path).resolve() != pending[0]:
            return
        if pending[1] is not None and pending[1] in self.window.backend.task.classes:
            self.window.set_target(pending[1])
