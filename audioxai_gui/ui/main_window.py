"""The analysis window: wires panes, class panel, controls, playback and background jobs together.

The window owns the analysis state (clip, models, explanations, target class, composites, display
settings); every piece of work that can take time runs through the TaskRunner, and only results of
the newest request on a channel are drawn.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from ..annotate.sidecar import sidecar_task
from ..audio.io import supported_extensions
from ..batch import failure_message, failure_reason, shown_path
from ..classifiers.discovery import display_grid
from ..resources import TASK_EXAMPLES
from ..session import PANES, ROLES, SESSION_SUFFIX, DisplaySettings, Session, SessionError, ViewState
from . import colormaps
from .backend import (
    Backend,
    discover,
    import_heavy_modules,
    import_optional_modules,
    load_models,
    with_model,
    with_task,
)
from .class_panel import ClassPanel
from .clip import open_clip, prepare_display
from .controls import ControlsPanel
from .dock_layout import RightColumn
from .export import ExportError, export_relevance, export_view
from .notifications import NotificationBar
from .open_cost import ask_with_dialog, seconds_to_open
from .pane_stack import PaneStack
from .playback import PlaybackController
from .progressive import RecordingExplainer
from .selection_bar import SelectionBar
from .worker import TaskRunner

SCREENSHOT_ENV = "AUDIOXAI_SCREENSHOT"  # path: grab the window after the first full explanation, then quit
EVENTS_ENV = "AUDIOXAI_EVENTS"  # set: print milestones ("visible", "explained") with wall-clock times
EXIT_AFTER_ENV = "AUDIOXAI_EXIT_AFTER"  # a milestone name: quit when it is reached (benchmarks)
RECENT_KEY = "recent_files"
RECENT_LIMIT = 10
ZOOM_STEP = 0.5
HEAVY_IMPORT_DELAY_MS = 50  # let the first frame paint before the GUI thread spends seconds importing torch
PANE_MENU_NAMES = {
    "waveform": "Waveform + waveform model relevance",
    "spectrogram": "Spectrogram model relevance",
    "waveform_tf": "Waveform model relevance (time–frequency)",
}


class MainWindow(QtWidgets.QMainWindow):
    clipShown = QtCore.Signal(object)  # the clip now on screen; extensions reset their state on it
    explanationShown = QtCore.Signal(str)  # role whose explanation was just drawn
    backendChanged = QtCore.Signal(object)  # models (or their task) changed; extensions re-read window.backend
    ask_long_file = staticmethod(ask_with_dialog)  # how to ask about a file over the cost limit (tests replace it)

    def __init__(self, settings: QtCore.QSettings | None = None, player=None):
        super().__init__()
        self.setWindowTitle("AudioXAI")
        self.setAcceptDrops(True)
        self.settings = settings or QtCore.QSettings("AudioXAI", "AudioXAI")
        # One thread per model's explanation and one for the clip's full display spectrogram: on two threads a
        # long clip's second explanation queued behind that image (an hour: ~4 CPU s), the view's relevance with it.
        self.runner = TaskRunner(self, threads=3)
        self.stack = PaneStack(self)
        self.setCentralWidget(self.stack.widget)
        self.class_panel = ClassPanel()
        self.controls = ControlsPanel()
        self.playback = PlaybackController(player, self)
        self.backend: Backend | None = None
        self.clip = None
        self.displays: dict = dict.fromkeys(ROLES)  # role -> ExplanationDisplay
        self.drawn: dict = {}  # role -> the ExplanationDisplay whose maps are on screen
        self.pinned: dict = {}  # role -> a display an extension shows instead of the recording's (see draw_explanation)
        self.target_class: str | None = None
        self.composites: dict[str, str] = {}
        self.display = DisplaySettings()
        self._pending_open: Path | None = None
        self._open_example = False  # once models load, open the task's built-in example
        self._preview_task: str | None = None  # the task whose spectrogram grid an opened file is previewed on
        self._pending_view: ViewState | None = None
        self._progress: dict[str, float] = {}
        self._scale_cache: dict = {}
        self._milestones: set[str] = set()
        self._timings: dict[str, float] = {}
        self.notifications = NotificationBar(self)
        self._build_docks()
        self._build_status_bar()
        self._build_menus()
        self._connect()
        self.explainer = RecordingExplainer(self)  # long clips: visible windows first, resumable, cached
        from .extensions import install_extensions

        self.extensions = install_extensions(self)
        self.addToolBarBreak()
        self.addToolBar(self.notifications)  # its own row, below every toolbar the extensions added
        self.selection_bar = SelectionBar(self.stack, self)
        self.addToolBar(QtCore.Qt.ToolBarArea.BottomToolBarArea, self.selection_bar)
        self.right_column = RightColumn(self, self.right_docks)

    # --- construction -----------------------------------------------------------------------
    def _build_docks(self) -> None:
        self.right_docks = []
        for title, widget, area in (
            ("Classes", self.class_panel, QtCore.Qt.DockWidgetArea.RightDockWidgetArea),
            ("Explanation settings", self.controls, QtCore.Qt.DockWidgetArea.RightDockWidgetArea),
        ):
            dock = QtWidgets.QDockWidget(title, self)
            dock.setObjectName(title)
            dock.setWidget(widget)
            dock.setFeatures(
                QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable
                | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetFloatable
            )
            self.addDockWidget(area, dock)
            self.right_docks.append(dock)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.readout = QtWidgets.QLabel("")
        self.device_label = QtWidgets.QLabel("device: –")
        self.timing_label = QtWidgets.QLabel("")
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setMinimumWidth(210)  # "explaining 81% · 12 min left" on one line
        self.progress.setMaximumWidth(260)
        self.progress.setFormat("explaining %p%")
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running explanation")
        self.cancel_button.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        for widget in (self.progress, self.cancel_button):
            widget.hide()
        bar.addWidget(self.readout, 1)
        for widget in (self.timing_label, self.device_label, self.progress, self.cancel_button):
            bar.addPermanentWidget(widget)

    def _action(self, menu: QtWidgets.QMenu, text: str, slot, shortcut=None, checkable=False) -> QtGui.QAction:
        action = QtGui.QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QtGui.QKeySequence(shortcut))
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        menu.addAction(action)
        self.addAction(action)  # shortcuts work while any dock has focus
        return action

    def _build_menus(self) -> None:
        keys = QtGui.QKeySequence.StandardKey
        file_menu = self.menuBar().addMenu("&File")
        self._action(file_menu, "&Open audio…", self.choose_file, keys.Open)
        self.recent_menu = file_menu.addMenu("Open &recent")
        file_menu.addSeparator()
        self._action(file_menu, "Open &session…", self.choose_session)
        self._action(file_menu, "&Save session…", self.choose_session_target, keys.Save)
        file_menu.addSeparator()
        self._action(file_menu, "Export view as &PNG…", lambda: self.choose_export(".png"))
        self._action(file_menu, "Export view as S&VG…", lambda: self.choose_export(".svg"))
        self._action(file_menu, "Export relevance arrays (.&npz)…", lambda: self.choose_export(".npz"))
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, keys.Quit)

        view_menu = self.menuBar().addMenu("&View")
        self.pane_actions = {}
        for name in PANES:
            action = self._action(
                view_menu,
                PANE_MENU_NAMES[name],
                lambda on, n=name: self.stack.set_visible(n, on),
                checkable=True,
            )
            action.setChecked(True)
            self.pane_actions[name] = action
        view_menu.addSeparator()
        self._action(view_menu, "Zoom &in", lambda: self.stack.zoom(ZOOM_STEP), "Ctrl+1")
        self._action(view_menu, "Zoom &out", lambda: self.stack.zoom(1 / ZOOM_STEP), "Ctrl+3")
        self._action(view_menu, "&Fit clip (time, frequency, amplitude)", self.stack.fit, "Ctrl+F")
        self._action(view_menu, "Zoom to &selection", self.stack.zoom_to_selection, "Ctrl+E")
        self._action(view_menu, "Go to &start", lambda: self.stack.go_to(0.0), "Home")
        self._action(view_menu, "Go to &end", lambda: self.stack.go_to(self.stack.duration), "End")

        play_menu = self.menuBar().addMenu("&Playback")
        self._action(play_menu, "&Play / stop", self.toggle_playback, "Space")
        self.loop_action = self._action(play_menu, "&Loop selection", lambda: None, "L", checkable=True)
        play_menu.addSeparator()
        for role in ROLES:
            self._action(
                play_menu,
                f"Play {role} model's &explanation",
                lambda _=False, r=role: self.play_explanation(r),
            )

        self.models_menu = self.menuBar().addMenu("&Models")
        self.model_menus = {role: self.models_menu.addMenu(f"{role.capitalize()} model") for role in ROLES}
        self.model_groups = {role: QtGui.QActionGroup(self) for role in ROLES}
        self.models_menu.addSeparator()
        self.problems_action = self._action(self.models_menu, "Model &problems…", self.show_model_problems)
        self.problems_action.setEnabled(False)
        self._refresh_recent_menu()

    def _connect(self) -> None:
        self.class_panel.targetChosen.connect(self.set_target)
        self.controls.compositeChanged.connect(self.set_composite)
        self.controls.displayChanged.connect(self.set_display)
        self.stack.readoutChanged.connect(self.readout.setText)
        self.stack.problem.connect(self.show_problem)
        self.playback.positionChanged.connect(self.stack.set_playhead)
        self.playback.problem.connect(self.show_problem)
        self.cancel_button.clicked.connect(self.cancel_explanations)

    # --- start-up ---------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        QtCore.QTimer.singleShot(0, lambda: self._milestone("visible"))

    def start(
        self, path: str | Path | None = None, wanted_models: dict[str, str] | None = None, task: str | None = None
    ) -> None:
        """Import the heavy modules once the window has painted, load the task's models (default task: None),
        then open ``path`` (None: the task's built-in example)."""
        self._pending_open = Path(path) if path is not None else None
        self._open_example = path is None
        self._preview_task = task
        if path is not None:
            self._preview_audio(Path(path))
        self.statusBar().showMessage("loading models…")
        QtCore.QTimer.singleShot(HEAVY_IMPORT_DELAY_MS, lambda: self._load_backend(wanted_models, task))

    def _load_backend(self, wanted_models: dict[str, str] | None, task: str | None = None) -> None:
        import_heavy_modules()
        self._milestone("imported")
        try:
            backend = discover()
        except ValueError as exc:  # e.g. $AUDIOXAI_DEVICE names a device this machine lacks
            self.show_problem(f"Cannot start the explanation engine: {exc}", dialog=True)
            return
        self.runner.submit(
            "models",
            lambda progress, cancelled: load_models(backend, wanted_models, task),
            on_done=self.set_backend,
            on_failed=lambda exc: self.show_problem(f"Cannot load models: {exc}", dialog=True),
        )

    def set_backend(self, backend: Backend) -> None:
        """Models are ready: fill the menus and controls, then open whatever waits."""
        self.backend = backend
        self._milestone("models")
        self.composites = {
            role: self.composites.get(role, model.card.default_composite) for role, model in backend.models.items()
        }
        self.controls.set_composites(backend.composites, self.composites)
        self.device_label.setText(f"device: {backend.engine.device_name}")
        self._fill_models_menu()
        self.statusBar().showMessage("models loaded", 3000)
        if backend.problems:
            self.statusBar().showMessage(f"{len(backend.problems)} model problem(s): see Models > Model problems", 8000)
        if self._open_example and self._pending_open is None:
            self._pending_open = TASK_EXAMPLES.get(backend.task.id)
        self._open_example = False
        self.backendChanged.emit(backend)
        if self._pending_open is not None:
            path, self._pending_open = self._pending_open, None
            self.open_file(path)
        elif self.clip is not None:
            self.open_file(self.clip.path, switch_task=False)  # other models: other rates and grids

    def _fill_models_menu(self) -> None:
        for role, menu in self.model_menus.items():
            menu.clear()
            for card in self.backend.cards_for(role):
                action = menu.addAction(f"{card.name}  ({card.architecture})")
                action.setCheckable(True)
                action.setChecked(card.name == self.backend.models[role].card.name)
                action.triggered.connect(lambda _=False, r=role, n=card.name: self.choose_model(r, n))
                self.model_groups[role].addAction(action)
        self.problems_action.setEnabled(bool(self.backend.problems))

    def choose_model(self, role: str, name: str) -> None:
        backend = self.backend
        if backend is None or backend.models[role].card.name == name:
            return
        self._switch_backend(
            f"loading {name}…",
            lambda: with_model(backend, role, name),
            lambda c: c.models[role].card.name if c.models[role] is backend.models[role] else None,
        )

    def choose_task(self, task_id: str, then_open: Path | None = None) -> None:
        """Load another task's models; then open ``then_open``, else the new task's example when the old task's
        example (or nothing) was open, else the same audio again at the new rates."""
        backend = self.backend
        if backend is None or backend.task.id == task_id:
            if then_open is not None:
                self.open_file(then_open, switch_task=False)
            return
        showing_example = self.clip is None or Path(self.clip.path) == TASK_EXAMPLES.get(backend.task.id)

        def prepare(switched: bool) -> None:  # other classes and other default rules
            if not switched:
                if then_open is not None:  # the audio still opens, with the task that stays
                    self.open_file(then_open, switch_task=False)
                return
            self._pending_open = then_open or (TASK_EXAMPLES.get(task_id) if showing_example else None)
            self.target_class = None
            self.class_panel.set_target(None)
            self.composites = {}

        self._switch_backend(
            f"switching to task {task_id}…",
            lambda: with_task(backend, task_id),
            lambda c: f"task {backend.task.describe()}" if c.task is backend.task else None,
            prepare,
        )

    def _switch_backend(self, message: str, job, kept, prepare=lambda switched: None) -> None:
        """Load a candidate backend in the worker; ``kept(candidate)`` names what is still in use when the load
        failed (None: it worked), and ``prepare(switched)`` runs before the outcome is shown. A failed load keeps
        the models on screen and says why."""
        self.statusBar().showMessage(message)

        def done(candidate: Backend) -> None:
            still = kept(candidate)
            if still is not None:
                self.backend = candidate
                self._fill_models_menu()
                self.backendChanged.emit(candidate)
                self.show_problem(f"{candidate.problems[-1]}\n\nStill using {still}.", dialog=True)
                prepare(False)
                return
            prepare(True)
            self.set_backend(candidate)

        self.runner.submit("models", lambda progress, cancelled: job(), on_done=done, on_failed=self.show_problem)

    def show_model_problems(self) -> None:
        problems = self.backend.problems if self.backend else []
        QtWidgets.QMessageBox.warning(self, "Model problems", "\n\n".join(problems) or "No problems.")

    # --- opening ----------------------------------------------------------------------------
    def choose_file(self) -> None:
        patterns = " ".join(f"*{ext}" for ext in supported_extensions())
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Open audio", self.start_folder(), f"Audio ({patterns});;All files (*)"
        )
        if path:
            self.open_file(path)

    def open_file(self, path: str | Path, switch_task: bool = True) -> None:
        """Decode in the background; the current analysis stays until the new clip is ready. Regions saved
        beside the audio with another task switch to that task first."""
        path = Path(path)
        if self.backend is None:
            self._pending_open = path
            self._preview_audio(path)
            return
        remembered = sidecar_task(path) if switch_task else ""
        if remembered and remembered != self.backend.task.id:
            if remembered in self.backend.tasks:
                self.choose_task(remembered, then_open=path)
                return
            self.show_problem(f"{path.name}: its regions were made with task {remembered!r}, which is not installed")
        rates = {model.card.sample_rate for model in self.backend.models.values()}
        wanted, max_seconds = seconds_to_open(self, path, rates, self.ask_long_file)
        if not wanted:
            self.notify(f"{shown_path(path.name)} not opened", "info")
            return
        self.statusBar().showMessage(f"opening {shown_path(path.name)}…")
        self.runner.submit(
            "audio",
            lambda progress, cancelled: open_clip(path, rates, max_seconds=max_seconds),
            on_done=self._show_clip,
            on_failed=lambda exc: self._open_failed(path, exc),
        )

    def _preview_audio(self, path: Path) -> None:
        """While torch and the models load, decode the file at its own rate and show its waveform and spectrogram
        (on the grid the task's spectrogram card names: read from the card, no torch; skipped when the file's rate
        is not the grid's, or mel bands would need librosa). open_file decodes it again for the models' rates once
        they are ready; its job supersedes this one."""
        grid = display_grid(self._preview_task)

        def show(clip) -> None:
            if self.backend is not None or self.clip is not None:
                return
            self.setWindowTitle(f"{clip.path.name} — AudioXAI")
            self.stack.panes["waveform"].set_audio(clip.peaks, clip.audio.sample_rate)
            self.stack.set_duration(clip.duration)
            self._milestone("waveform")
            if grid is not None and grid.kind == "stft_db" and grid.sample_rate == clip.audio.sample_rate:
                self.stack.show_spectrogram(clip, grid)  # a long clip: overview and tiles at once
                if not clip.is_long(grid):
                    self.runner.submit(
                        "image",
                        lambda progress, cancelled: clip.image(grid, cancelled),
                        self._preview_image,
                        on_failed=self.show_problem,
                    )

        self.runner.submit(
            "audio",
            lambda progress, cancelled: open_clip(path, set()),
            on_done=show,
            on_failed=lambda exc: None,  # open_file reports a bad file once the models are ready
        )

    def _preview_image(self, image) -> None:
        if self.backend is None and self.clip is None:
            self.stack.show_full_spectrogram(image)
            self._milestone("spectrogram")

    def _open_failed(self, path: Path, exc: BaseException) -> None:
        reason = failure_message(path, exc)
        self.notify(f"Could not open {reason}", "error")
        QtWidgets.QMessageBox.critical(self, "Cannot open audio", reason)

    def _show_clip(self, clip) -> None:
        self.clip = clip
        self._milestone("clip")
        self.playback.stop()
        self._add_recent(clip.path)
        self.setWindowTitle(f"{shown_path(clip.path.name)} — AudioXAI")
        self.displays = dict.fromkeys(ROLES)
        self.drawn, self.pinned = {}, {}
        self._scale_cache.clear()
        self.class_panel.clear()
        self.stack.panes["waveform"].set_audio(clip.peaks, clip.audio.sample_rate)
        self.stack.set_duration(clip.duration)  # after the audio: the amplitude axis fits its peak
        grid = self.backend.models["spectrogram"].card.features
        self.stack.show_spectrogram(clip, grid)  # a long clip: overview and tiles until the full image
        for pane in self.stack.spectrogram_panes():
            pane.set_relevance(None, None)
        self._apply_pending_view()
        self.statusBar().showMessage(
            f"{shown_path(clip.path.name)}: {clip.duration:.2f} s at {clip.audio.sample_rate} Hz", 5000
        )
        self.clipShown.emit(clip)
        self.explain_all()

        def image(progress, cancelled):
            if clip.is_long(grid):  # its overview and tiles cover the view: the view's relevance goes first
                self.explainer.wait_for_view(cancelled)
            return clip.image(grid, cancelled)

        self.runner.submit("image", image, on_done=self._show_background, on_failed=self.show_problem)

    def _show_background(self, image) -> None:
        self.stack.show_full_spectrogram(image)
        self._apply_pending_view()

    # --- explaining -------------------------------------------------------------------------
    def explain_all(self) -> None:
        for role in ROLES:
            self.explain(role)

    def explain(self, role: str) -> None:
        """Request an explanation; any running one for this role is cancelled and will not be drawn."""
        if self.clip is None or self.backend is None:
            return
        clip, engine = self.clip, self.backend.engine
        model = self.backend.models[role]
        classes = model.card.classes
        target = classes.index(self.target_class) if self.target_class in classes else None
        composite = self.composites.get(role)
        grid = self.backend.models["spectrogram"].card.features
        samples = clip.samples_at(model.card.sample_rate)

        def one_window_job(progress, cancelled):
            explanation = engine.explain(
                model,
                samples,
                target=target,
                composite=composite,
                grid=grid,
                progress=progress,
                cancelled=cancelled,
            )
            return prepare_display(explanation, clip, cancelled)

        several_windows = len(samples) > model.card.input_length
        job = self.explainer.job(role, model, clip, target, composite, grid) if several_windows else one_window_job
        channel = f"explain:{role}"
        self._progress[channel] = 0.0
        self.runner.submit(
            channel,
            job,
            on_done=lambda display: self._show_explanation(role, display),
            on_failed=lambda exc: self._explanation_failed(role, exc),
            on_progress=lambda fraction: self._show_progress(channel, fraction),
        )
        self._show_progress(channel, 0.0)

    def _show_progress(self, channel: str, fraction: float) -> None:
        self._progress[channel] = fraction
        active = [value for key, value in self._progress.items() if self.runner.pending(key)]
        for widget in (self.progress, self.cancel_button):
            widget.setVisible(bool(active))
        if active:
            overall = self.explainer.shown_progress(fraction) if self.explainer.timelines else sum(active) / len(active)
            self.progress.setValue(round(1000 * overall))
            self.explainer.show_progress()

    def cancel_explanations(self) -> None:
        for role in ROLES:
            self.runner.cancel(f"explain:{role}")
        self._show_progress("", 0.0)
        self.explainer.cancelled()
        self.statusBar().showMessage("explanation cancelled: what is done stays; Resume finishes the rest", 5000)

    def _explanation_failed(self, role: str, exc: BaseException) -> None:
        self._show_progress(f"explain:{role}", 1.0)
        self.show_problem(f"{role} model explanation failed: {exc}")

    def _show_explanation(self, role: str, display) -> None:
        self.displays[role] = display
        explanation = display.explanation
        self._show_progress(f"explain:{role}", 1.0)
        if role not in self.pinned:
            self.class_panel.show_explanation(role, explanation)
            self.draw_explanation(role, display)
        notes = "; ".join(explanation.notes)
        self._timings[role] = explanation.seconds
        self.timing_label.setText(
            "explained in " + " · ".join(f"{r} {seconds:.2f} s" for r, seconds in self._timings.items())
        )
        if notes:
            self.statusBar().showMessage(notes, 8000)
        self.explanationShown.emit(role)
        if all(self.displays.values()) and "explained" not in self._milestones:
            self._milestone("explained")
            QtCore.QTimer.singleShot(0, import_optional_modules)

    def draw_explanation(self, role: str, display) -> None:
        """Draw ``display``'s maps in the role's panes: the recording's, or one an extension pinned in its place
        (``self.pinned``: a selection explained as one clip) until it unpins it and redraws the recording's."""
        self.drawn[role] = display
        explanation = display.explanation
        panes = self.stack.panes
        if role == "waveform":
            panes["waveform"].set_relevance(display.samples_pyramid, explanation.sample_rate)
            tf_pane = panes["waveform_tf"]
            background = display.background
            if background is not None and tf_pane.background.pyramid is not background.pyramid:  # keeps the zoom
                tf_pane.set_spectrogram(background.pyramid, background.grid, background.db_range)
        else:
            tf_pane = panes["spectrogram"]
        tf_pane.set_relevance(display.tf_pyramid, explanation.grid)
        tf_pane.set_note(display.note)
        self._apply_pending_view()
        self.apply_display()

    # --- user choices -----------------------------------------------------------------------
    def set_target(self, class_name: str | None) -> None:
        """Explain ``class_name`` with both models (None: each model explains its own prediction)."""
        self.target_class = class_name
        self.class_panel.set_target(class_name)
        self.explain_all()

    def set_composite(self, role: str, name: str) -> None:
        if self.composites.get(role) != name:
            self.composites[role] = name
            self.explain(role)

    def set_display(self, settings: DisplaySettings) -> None:
        self.display = settings
        self.apply_display()

    def apply_display(self) -> None:
        """Push the display settings and the relevance colour scales to every pane (no model runs)."""
        settings = self.display
        maps = {}
        if self.drawn.get("spectrogram") is not None:
            maps["spectrogram"] = self._scale(self.drawn["spectrogram"].tf_shares)
        if self.drawn.get("waveform") is not None:
            maps["waveform_tf"] = self._scale(self.drawn["waveform"].tf_shares)
            samples_scale = self._scale(self.drawn["waveform"].samples_pyramid.values)  # what is drawn of it
            self.stack.panes["waveform"].set_display(settings, samples_scale)
        if settings.shared_scale and maps:
            maps = dict.fromkeys(maps, max(maps.values()))
        for pane in self.stack.spectrogram_panes():
            pane.set_display(settings, maps.get(pane.name, 1.0))
        self.stack.set_selection(self.stack.selection)  # a box follows a changed frequency axis

    def _scale(self, relevance) -> float:
        key = (id(relevance), self.display.sign_filter, self.display.clip_percentile)
        if key not in self._scale_cache:
            self._scale_cache[key] = colormaps.relevance_scale(
                relevance, self.display.sign_filter, self.display.clip_percentile
            )
        return self._scale_cache[key]

    # --- playback ---------------------------------------------------------------------------
    def _play_range(self) -> tuple[float, float | None]:
        selection = self.stack.selection
        return (selection.start, selection.end) if selection else (self.stack.cursor_time, None)

    def toggle_playback(self) -> None:
        """Space: stop if playing, else play the selection (looped if asked) or from the cursor to the end."""
        if self.playback.is_playing:
            self.playback.stop()
            return
        if self.clip is None:
            return
        start, end = self._play_range()
        loop = self.loop_action.isChecked() and end is not None
        self.playback.play(self.clip.audio.samples, self.clip.audio.sample_rate, start, end, loop)

    def play_explanation(self, role: str) -> None:
        display = self.displays.get(role)
        if display is None:
            self.show_problem(f"no {role} model explanation yet")
            return
        rate = display.explanation.sample_rate
        start, end = self._play_range()
        loop = self.loop_action.isChecked() and end is not None
        self.playback.play_explanation(self.clip.samples_at(rate), display.explanation, start, end, loop)

    # --- sessions and export ----------------------------------------------------------------
    def session(self) -> Session:
        """The current analysis and view as a Session."""
        if self.clip is None:
            raise SessionError("no audio is open, so there is no session to save")
        y_ranges = {name: tuple(pane.view.viewRange()[1]) for name, pane in self.stack.panes.items()}
        return Session(
            audio_path=str(Path(self.clip.path).resolve()),
            task=self.backend.task.id,
            models={role: model.card.name for role, model in self.backend.models.items()},
            target_class=self.target_class,
            composites=dict(self.composites),
            display=self.display,
            view=ViewState(
                time_range=self.stack.time_range(),
                y_ranges=y_ranges,
                visible_panes=[name for name in PANES if self.stack.visible[name]],
            ),
        )

    def save_session(self, path: str | Path) -> Path:
        return self.session().save(path)

    def open_session(self, path: str | Path) -> None:
        """Restore a session: models, target, rules, display settings, then the audio and the view."""
        session = Session.load(path)
        self.target_class = session.target_class
        self.class_panel.set_target(session.target_class)
        self.composites.update(session.composites)
        self.display = session.display
        self.controls.set_display_settings(session.display)
        for name in PANES:
            self.pane_actions[name].setChecked(name in session.view.visible_panes)
            self.stack.set_visible(name, name in session.view.visible_panes)
        self._pending_view = session.view
        audio = session.resolved_audio_path(path)
        current = {role: m.card.name for role, m in self.backend.models.items()} if self.backend else {}
        task = session.task or None
        if self.backend is None or current != {**current, **session.models} or task not in (None, self.backend.task.id):
            self.backend = None
            self.start(audio, session.models, task)
            return
        self.controls.set_composites(self.backend.composites, self.composites)
        self.open_file(audio)

    def _apply_pending_view(self) -> None:
        """Restore a session's ranges once the panes have data (they reset their ranges when data arrives)."""
        view = self._pending_view
        if view is None or self.clip is None:
            return
        if view.time_range is not None:
            self.stack.set_time_range(*view.time_range)
        for name, (low, high) in view.y_ranges.items():
            self.stack.panes[name].view.setYRange(low, high, padding=0)
        if all(self.displays.values()):
            self._pending_view = None

    def choose_session(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Open session", self.start_folder(), f"Session (*{SESSION_SUFFIX})"
        )
        if path:
            self._run_reporting(lambda: self.open_session(path), SessionError)

    def choose_session_target(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self, "Save session", self.start_folder(), f"Session (*{SESSION_SUFFIX})"
        )
        if path:
            path = path if path.endswith(SESSION_SUFFIX) else path + SESSION_SUFFIX
            self._run_reporting(lambda: self.save_session(path), (SessionError, OSError), f"session saved to {path}")

    def choose_export(self, suffix: str) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export", self.start_folder(), f"*{suffix}")
        if not path:
            return
        path = path if path.lower().endswith(suffix) else path + suffix
        if suffix == ".npz":
            explanations = {role: d.explanation if d else None for role, d in self.displays.items()}
            self._run_reporting(lambda: export_relevance(explanations, path), ExportError, f"exported to {path}")
        else:
            self._run_reporting(lambda: export_view(self.stack.layout, path), ExportError, f"exported to {path}")

    def _run_reporting(self, action, errors, done: str | None = None) -> None:
        """Run a user's file action; its own errors and any other failure (a full disk, no memory) get a dialog and
        stay in the message area; success says ``done`` there."""
        try:
            action()
        except errors as exc:
            self.notify(str(exc), "error")
            QtWidgets.QMessageBox.critical(self, "AudioXAI", str(exc))
        except Exception as exc:  # noqa: BLE001 - reported, never swallowed; the window keeps its state
            self.notify(failure_reason(exc), "error")
            QtWidgets.QMessageBox.critical(self, "AudioXAI", failure_reason(exc))
        else:
            if done:
                self.notify(done, "success")

    # --- recent files, drag and drop, messages ----------------------------------------------
    def start_folder(self) -> str:
        """Where file dialogs open: beside the clip on screen, else the last file opened, else the home folder."""
        examples = {Path(example).resolve() for example in TASK_EXAMPLES.values()}
        candidates = [self.clip.path] if self.clip is not None else []
        candidates += [Path(p) for p in self.recent_files()]
        for path in candidates:
            if Path(path).resolve() not in examples and Path(path).parent.is_dir():
                return str(Path(path).parent)
        return str(Path.home())

    def recent_files(self) -> list[str]:
        value = self.settings.value(RECENT_KEY, [])
        return [value] if isinstance(value, str) else list(value or [])

    def _add_recent(self, path: Path) -> None:
        entry = str(Path(path).resolve())
        recent = [entry] + [p for p in self.recent_files() if p != entry]
        self.settings.setValue(RECENT_KEY, recent[:RECENT_LIMIT])
        self._refresh_recent_menu()

    def _refresh_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self.recent_files():
            self.recent_menu.addAction(path).triggered.connect(lambda _=False, p=path: self.open_file(p))
        self.recent_menu.setEnabled(bool(self.recent_files()))

    def dragEnterEvent(self, event) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if not paths:
            return
        if paths[0].endswith(SESSION_SUFFIX):
            self._run_reporting(lambda: self.open_session(paths[0]), SessionError)
        else:
            self.open_file(paths[0])
        event.acceptProposedAction()

    def notify(self, message, level: str = "info") -> None:
        """A message that matters (saved files, mode changes): the message area and the status bar."""
        message = shown_path(str(message))  # a file name that is not UTF-8 shows U+FFFD, not a broken string
        self.statusBar().showMessage(message, 10000)
        self.notifications.notify(message, level)

    def show_problem(self, message, dialog: bool = False) -> None:
        """Tell the user (message area, or a dialog); an exception is put in plain words (a MemoryError has none)."""
        message = shown_path(failure_reason(message) if isinstance(message, BaseException) else str(message))
        self.notify(message, "error")
        if dialog:
            QtWidgets.QMessageBox.warning(self, "AudioXAI", message)

    def _milestone(self, name: str) -> None:
        """Benchmarks and the screenshot script watch these; first occurrence only."""
        if name in self._milestones:
            return
        self._milestones.add(name)
        if os.environ.get(EVENTS_ENV):
            print(f"AUDIOXAI_EVENT {name} {time.time():.3f}", flush=True)
        screenshot = os.environ.get(SCREENSHOT_ENV)
        if name == "explained" and screenshot:
            QtCore.QTimer.singleShot(400, lambda: self._grab_and_quit(screenshot))
        elif os.environ.get(EXIT_AFTER_ENV) == name:
            QtCore.QTimer.singleShot(0, QtWidgets.QApplication.quit)

    def _grab_and_quit(self, path: str) -> None:
        self.grab().save(path)
        QtWidgets.QApplication.quit()

    def closeEvent(self, event) -> None:
        self.playback.stop()
        for channel in ("models", "audio", "image", *(f"explain:{role}" for role in ROLES)):
            self.runner.cancel(channel)
        super().closeEvent(event)
