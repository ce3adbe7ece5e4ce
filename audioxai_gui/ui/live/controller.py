"""Live mode on the analysis window: toolbar actions, the Live dock, the scrolling view and the GUI tick.

The audio callback only copies into the capture's RingBuffer; a QTimer here polls the LivePipeline
(which drains the ring, schedules hops and collects analyses from its worker thread) and draws. A
finished analysis also ticks at once, rather than waiting up to a tick (20 ms on average) to be drawn.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from ...audio.io import save_wav
from ...batch import failure_message
from ...live.capture import CaptureError, LiveCapture, list_input_devices
from ...session import ROLES
from .live_view import LiveView
from .panel import LivePanel
from .pipeline import LivePipeline, LiveSettingsError

TICK_MS = 40
NO_SOUND_TEXT = "no sound (quieter than the gate)"
FREEZE_PREFIX = "live-"
FREEZE_FOLDER_PREFIX = "audioxai-live-"  # + "<process id>-<random>" in the temporary folder


class LiveController(QtCore.QObject):
    """Owns one LivePipeline per live session; ``capture_factory`` and ``device_lister`` are swappable."""

    stateChanged = QtCore.Signal(bool)
    resultReady = QtCore.Signal()  # emitted by the analysis thread; queued, so the tick runs in the GUI thread

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.capture_factory = LiveCapture  # (device, block_seconds, buffer_seconds) -> capture
        self.device_lister = list_input_devices
        self.pipeline: LivePipeline | None = None
        self.latest_result = None
        self.view = LiveView()
        self.panel = LivePanel()
        self.timer = QtCore.QTimer(self, interval=TICK_MS)
        self.timer.timeout.connect(self.tick)
        self.resultReady.connect(self.tick, QtCore.Qt.ConnectionType.QueuedConnection)
        self._analysis_widget = None
        self._hidden_docks: list[QtWidgets.QDockWidget] = []
        self._disabled_actions: list[QtGui.QAction] = []
        self._freeze_dir: Path | None = None
        self._build_actions()
        self._build_dock()
        self.panel.refreshDevicesRequested.connect(self.refresh_devices)
        self.panel.classes.targetChosen.connect(self._set_target)
        self.panel.gate_enabled.toggled.connect(self._apply_running_settings)
        self.panel.gate_dbfs.valueChanged.connect(self._apply_running_settings)
        self.panel.onset_trigger.toggled.connect(self._apply_running_settings)
        QtWidgets.QApplication.instance().aboutToQuit.connect(self._remove_freeze_files)
        window.installEventFilter(self)  # closing the window also removes the frozen captures it showed
        window.backendChanged.connect(self._models_changed)

    # --- construction -----------------------------------------------------------------------------
    def _build_actions(self) -> None:
        window = self.window
        self.live_action = QtGui.QAction("● Live", window, checkable=True)
        self.live_action.setShortcut(QtGui.QKeySequence("Ctrl+R"))
        self.live_action.setToolTip("Live microphone analysis (Ctrl+R)")
        self.live_action.toggled.connect(self._live_toggled)
        self.freeze_action = QtGui.QAction("Freeze", window, enabled=False)
        self.freeze_action.setShortcut(QtGui.QKeySequence("Space"))
        self.freeze_action.setToolTip("Stop live mode and open the last seconds in the analysis view (Space)")
        self.freeze_action.triggered.connect(self.freeze)
        self.record_action = QtGui.QAction("Record", window, checkable=True, enabled=False)
        self.record_action.setToolTip("Record the stream from now until pressed again, then save it as WAV")
        self.record_action.toggled.connect(self._record_toggled)
        self.save_buffer_action = QtGui.QAction("Save history…", window, enabled=False)
        self.save_buffer_action.setToolTip("Save the audio of the scrolling view as WAV")
        self.save_buffer_action.triggered.connect(self.choose_buffer_target)
        self.toolbar = QtWidgets.QToolBar("Live", window)
        self.toolbar.setObjectName("Live toolbar")
        menu = window.menuBar().addMenu("&Live")
        for action in (self.live_action, self.freeze_action, self.record_action, self.save_buffer_action):
            self.toolbar.addAction(action)
            menu.addAction(action)
            window.addAction(action)
        window.addToolBar(self.toolbar)

    def _build_dock(self) -> None:
        self.dock = QtWidgets.QDockWidget("Live", self.window)
        self.dock.setObjectName("Live")
        self.dock.setWidget(self.panel)
        self.window.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.hide()

    # --- starting and stopping --------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.pipeline is not None

    def _live_toggled(self, on: bool) -> None:
        if on and not self.active:
            self.start()
        elif not on and self.active:
            self.stop()

    def start(self) -> bool:
        """Open the selected device and start analysing; on failure say why and stay in analysis mode."""
        if self.active:
            return True
        backend = self.window.backend
        if backend is None or any(role not in backend.models for role in ROLES):
            return self._refuse("Live mode needs both models; they are still loading")
        if self.panel.device.count() == 0:
            self.refresh_devices()
        try:
            settings = self.panel.settings().validate()
            capture = self.capture_factory(
                self.panel.selected_device(),
                buffer_seconds=LivePipeline.capture_seconds(settings, backend.models),
            )
            pipeline = LivePipeline(capture, backend.engine, backend.models, settings, self.window.composites)
            pipeline.analyser.target_class = self.window.target_class
            pipeline.analyser.on_result = self.resultReady.emit
            pipeline.start()
        except (CaptureError, LiveSettingsError) as exc:
            return self._refuse(f"Cannot start live mode: {exc}")
        self.pipeline = pipeline
        self.latest_result = None
        self._enter_live_layout()
        self.view.reset(pipeline.history, backend.models, settings.hop_seconds)
        for role in ROLES:
            self.panel.classes.show_explanation(role, None)
        self.panel.classes.agreement.setText("Listening…")
        self._set_running_ui(True)
        self.timer.start()
        self.stateChanged.emit(True)
        return True

    def stop(self) -> None:
        """Stop capture and worker, restore the analysis view; a running recording is discarded."""
        pipeline, self.pipeline = self.pipeline, None
        if pipeline is None:
            return
        self.timer.stop()
        if pipeline.recording:
            pipeline.stop_recording()
            self.window.show_problem("Live mode stopped: the unfinished recording was discarded")
        try:
            pipeline.stop()
        finally:
            self._set_running_ui(False)
            self._leave_live_layout()
            self.view.release()
            self.panel.classes.agreement.setText("Live mode is off")
            self.panel.counters.setText("not running")
            self.stateChanged.emit(False)

    def _models_changed(self, backend) -> None:
        """Other models (or another task): a running session restarts with them, at their rates and windows."""
        if self.active and any(self.pipeline.models.get(role) is not model for role, model in backend.models.items()):
            self.stop()
            self.start()

    def _refuse(self, message: str) -> bool:
        self.window.show_problem(message, dialog=not _headless())
        self._set_running_ui(False)
        return False

    def _set_running_ui(self, running: bool) -> None:
        blocker = QtCore.QSignalBlocker(self.live_action)
        self.live_action.setChecked(running)
        del blocker
        for action in (self.freeze_action, self.record_action, self.save_buffer_action):
            action.setEnabled(running)
        blocker = QtCore.QSignalBlocker(self.record_action)
        self.record_action.setChecked(False)
        del blocker
        self.panel.set_running(running)

    def _enter_live_layout(self) -> None:
        """Swap the analysis panes for the live ones, hide the analysis docks, give Space to Freeze."""
        window = self.window
        self._analysis_widget = window.takeCentralWidget()
        window.setCentralWidget(self.view.widget)
        self.view.widget.show()
        self._hidden_docks = [
            dock for dock in window.findChildren(QtWidgets.QDockWidget) if dock is not self.dock and dock.isVisible()
        ]
        for dock in self._hidden_docks:
            dock.hide()
        self.dock.show()
        space = QtGui.QKeySequence("Space")
        self._disabled_actions = [
            action
            for action in window.actions()
            if action is not self.freeze_action and action.isEnabled() and space in action.shortcuts()
        ]
        for action in self._disabled_actions:
            action.setEnabled(False)
        self.view.stack.readoutChanged.connect(window.readout.setText)

    def _leave_live_layout(self) -> None:
        window = self.window
        self.view.stack.readoutChanged.disconnect(window.readout.setText)
        window.takeCentralWidget()  # ownership stays with the LiveView, so it is not deleted
        window.setCentralWidget(self._analysis_widget)
        self._analysis_widget.show()
        self.dock.hide()
        for dock in self._hidden_docks:
            dock.show()
        for action in self._disabled_actions:
            action.setEnabled(True)
        self._hidden_docks, self._disabled_actions = [], []

    # --- the tick ---------------------------------------------------------------------------------
    def tick(self) -> None:
        """Drain the capture, schedule hops, draw new analyses and the scrolled view (GUI thread)."""
        pipeline = self.pipeline
        if pipeline is None:
            return
        update = pipeline.poll()
        if update.error is not None:
            self.stop()
            self.window.show_problem(f"Live mode stopped: {update.error}", dialog=not _headless())
            return
        for seconds in update.silent:
            self.view.trail.add_silence(seconds)
        for result in update.results:
            self.view.trail.add_result(result)
        if update.results:
            self._show_result(update.results[-1])
        if update.silent and max(update.silent) > self.view.trail.latest.end_seconds - 1e-9:
            self._show_no_sound()
        self.view.refresh()
        self.panel.show_level(pipeline.capture.level_dbfs())
        self.panel.counters.setText(self._counters_text(pipeline))

    def _show_result(self, result) -> None:
        self.latest_result = result
        for role, explanation in result.explanations.items():
            self.panel.classes.show_explanation(role, explanation)
        self.view.set_result(result, self.window.display)

    def _show_no_sound(self) -> None:
        """The newest hop was gated as quiet: the panel says so instead of showing the last class."""
        for role in ROLES:
            self.panel.classes.show_explanation(role, None)
        self.panel.classes.agreement.setText(NO_SOUND_TEXT)

    def _counters_text(self, pipeline: LivePipeline) -> str:
        analyser, capture = pipeline.analyser, pipeline.capture
        parts = [
            f"{capture.sample_rate / 1000:g} kHz from {capture.device.name if capture.device else '?'}",
            f"analysed {analyser.analysed} windows, dropped {analyser.dropped} (the analysis could not keep up)",
            f"skipped {pipeline.gated} quiet, {pipeline.onset_analyses} analysed at once when a sound began",
            f"input dropouts {capture.overflow_count}, lost samples {pipeline.lost_samples}",
        ]
        if self.latest_result is not None:
            parts.append(f"latest analysis ready {self.latest_result.latency_seconds * 1000:.0f} ms after its hop")
        return "\n".join(parts)

    # --- device list, target, gate and onsets -----------------------------------------------------
    def refresh_devices(self) -> None:
        try:
            devices, problem = self.device_lister(), None
        except CaptureError as exc:
            devices, problem = [], str(exc)
        if not devices and problem is None:
            problem = "no input device found"
        self.panel.set_devices(devices, problem)

    def _set_target(self, class_name) -> None:
        self.panel.classes.set_target(class_name)
        if self.pipeline is not None:
            self.pipeline.analyser.target_class = class_name

    def _apply_running_settings(self, *_) -> None:
        """The gate and the onset trigger take effect while live mode runs (the other settings are locked)."""
        if self.pipeline is not None:
            self.pipeline.settings.gate_enabled = self.panel.gate_enabled.isChecked()
            self.pipeline.settings.gate_dbfs = self.panel.gate_dbfs.value()
            self.pipeline.settings.onset_trigger = self.panel.onset_trigger.isChecked()

    # --- freeze, record, save ---------------------------------------------------------------------
    def freeze(self) -> Path | None:
        """Stop scrolling and open the captured history in the analysis view; returns the WAV it opened."""
        pipeline = self.pipeline
        if pipeline is None:
            return None
        samples, rate = pipeline.buffer_samples(), pipeline.sample_rate
        self.stop()
        if len(samples) == 0:
            self.window.show_problem("Nothing was captured yet, so there is nothing to open")
            return None
        if self._freeze_dir is None:
            remove_orphan_freeze_folders()
            self._freeze_dir = Path(tempfile.mkdtemp(prefix=f"{FREEZE_FOLDER_PREFIX}{os.getpid()}-"))
        path = self._freeze_dir / f"{FREEZE_PREFIX}{time.strftime('%Y%m%d-%H%M%S')}-{time.monotonic_ns()}.wav"
        save_wav(path, samples, rate)
        self.window.open_file(path)
        return path

    def _record_toggled(self, on: bool) -> None:
        if on:
            self.start_recording()
            return
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self.window, "Save recording", "", "WAV (*.wav)")
        self.stop_recording(path or None)

    def start_recording(self) -> None:
        if self.pipeline is not None:
            self.pipeline.start_recording()

    def stop_recording(self, path: str | Path | None) -> Path | None:
        """Save what was recorded to ``path`` (WAV, atomic); None discards it."""
        if self.pipeline is None or not self.pipeline.recording:
            return None
        samples = self.pipeline.stop_recording()
        if path is None:
            return None
        return self._save(path, samples, "recording")

    def choose_buffer_target(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self.window, "Save live history", "", "WAV (*.wav)")
        if path:
            self.save_buffer(path)

    def save_buffer(self, path: str | Path) -> Path | None:
        """Save the audio of the scrolling view (at the capture rate) as WAV."""
        if self.pipeline is None:
            return None
        return self._save(path, self.pipeline.buffer_samples(), "live history")

    def _save(self, path: str | Path, samples, what: str) -> Path | None:
        path = Path(path)
        path = path if path.suffix.lower() == ".wav" else path.with_suffix(".wav")
        if len(samples) == 0:
            self.window.show_problem(f"The {what} is empty: nothing was saved to {path}")
            return None
        try:
            save_wav(path, samples, self.pipeline.sample_rate)
        except Exception as exc:  # noqa: BLE001 - a full disk, a name too long, no memory: reported, the audio stays
            self.window.show_problem(f"Cannot save the {what}: {failure_message(path, exc)}", dialog=not _headless())
            return None
        self.window.notify(f"saved {len(samples) / self.pipeline.sample_rate:.1f} s to {path}", "success")
        return path

    def _remove_freeze_files(self) -> None:
        if self._freeze_dir is not None:
            shutil.rmtree(self._freeze_dir, ignore_errors=True)
            self._freeze_dir = None

    def eventFilter(self, watched, event) -> bool:
        if watched is self.window and event.type() == QtCore.QEvent.Type.Close:
            self._remove_freeze_files()
        return False


def remove_orphan_freeze_folders(folder: str | Path | None = None) -> list[Path]:
    """Remove the frozen-capture folders of AudioXAI processes that no longer run (killed or crashed before they
    could clean up); returns what was removed. A running process's folder is left alone."""
    removed = []
    for path in Path(folder or tempfile.gettempdir()).glob(f"{FREEZE_FOLDER_PREFIX}*-*"):
        pid = path.name[len(FREEZE_FOLDER_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not _process_runs(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _process_runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it runs, under another user
        return True
    return True


def _headless() -> bool:
    """No modal dialogs when nobody can click them away (offscreen tests, benchmarks)."""
    return QtWidgets.QApplication.platformName() in ("offscreen", "minimal")
