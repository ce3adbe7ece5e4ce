"""The Live dock: input device, live settings, level meter, counters and both models' classes (their history is
the prediction tracks under the live waveform)."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from ...glossary import tip
from ...live.scheduler import SILENCE_FLOOR_DBFS
from ..class_panel import ClassPanel
from .pipeline import HOP_SECONDS_RANGE, VIEW_SECONDS_RANGE, LiveSettings

METER_FLOOR_DBFS = -60.0
DEFAULT_DEVICE_TEXT = "System default input"


class LivePanel(QtWidgets.QWidget):
    """Widgets only; the controller reads the settings from it and pushes measurements into it."""

    refreshDevicesRequested = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QtWidgets.QVBoxLayout(self)
        form = QtWidgets.QFormLayout()
        device_row = QtWidgets.QHBoxLayout()
        self.device = QtWidgets.QComboBox()
        self.device.setToolTip("Microphone to record from; captured at its own rate, resampled for each model")
        self.refresh_devices = QtWidgets.QPushButton("↻")
        self.refresh_devices.setToolTip("List the input devices again")
        self.refresh_devices.setMaximumWidth(32)
        self.refresh_devices.clicked.connect(self.refreshDevicesRequested)
        device_row.addWidget(self.device, 1)
        device_row.addWidget(self.refresh_devices)
        form.addRow("Input", device_row)
        self.view_seconds = self._spin(*VIEW_SECONDS_RANGE, 1.0, " s", "Seconds of history the scrolling view shows")
        self.hop_seconds = self._spin(*HOP_SECONDS_RANGE, 0.05, " s", "A new window is analysed this often")
        self.gate_enabled = QtWidgets.QCheckBox("floor + 10 dB, at least")
        self.gate_enabled.setToolTip(tip("live_gate"))
        self.gate_dbfs = self._spin(-120.0, 0.0, 1.0, " dBFS", tip("live_gate"))
        gate_row = QtWidgets.QHBoxLayout()
        gate_row.addWidget(self.gate_enabled)
        gate_row.addWidget(self.gate_dbfs, 1)
        form.addRow("History", self.view_seconds)
        form.addRow("Analyse every", self.hop_seconds)
        form.addRow("Gate", gate_row)
        self.onset_trigger = QtWidgets.QCheckBox("analyse a sound as it starts")
        self.onset_trigger.setToolTip(tip("live_onset"))
        form.addRow("Onsets", self.onset_trigger)
        self.level = QtWidgets.QProgressBar()
        self.level.setRange(round(METER_FLOOR_DBFS * 10), 0)
        self.level.setToolTip("Input level (RMS of the last 0.1 s, dB re full scale)")
        form.addRow("Level", self.level)
        self.counters = QtWidgets.QLabel("not running")
        self.counters.setWordWrap(True)
        self.counters.setToolTip(tip("live_counters"))
        form.addRow("Status", self.counters)
        layout.addLayout(form)
        self.classes = ClassPanel()
        self.classes.agreement.setText("Live mode is off")
        layout.addWidget(self.classes, 1)
        self.set_settings(LiveSettings())
        self.show_level(SILENCE_FLOOR_DBFS)

    @staticmethod
    def _spin(low, high, step, suffix, tip) -> QtWidgets.QDoubleSpinBox:
        spin = QtWidgets.QDoubleSpinBox()
        spin.setRange(low, high)
        spin.setSingleStep(step)
        spin.setDecimals(2 if step < 1 else 0)
        spin.setSuffix(suffix)
        spin.setToolTip(tip)
        return spin

    def set_devices(self, devices, problem: str | None = None) -> None:
        """Fill the picker (keeping the current choice when it is still there)."""
        current = self.device.currentData()
        self.device.clear()
        self.device.addItem(DEFAULT_DEVICE_TEXT, None)
        for device in devices:
            default = " (default)" if device.is_default else ""
            self.device.addItem(f"{device.name} · {device.default_sample_rate / 1000:g} kHz{default}", device.index)
        if problem:
            self.device.addItem(problem, None)
        self.device.setCurrentIndex(max(0, self.device.findData(current)))

    def selected_device(self) -> int | None:
        return self.device.currentData()

    def settings(self) -> LiveSettings:
        return LiveSettings(
            view_seconds=self.view_seconds.value(),
            hop_seconds=self.hop_seconds.value(),
            gate_enabled=self.gate_enabled.isChecked(),
            gate_dbfs=self.gate_dbfs.value(),
            onset_trigger=self.onset_trigger.isChecked(),
        )

    def set_settings(self, settings: LiveSettings) -> None:
        self.view_seconds.setValue(settings.view_seconds)
        self.hop_seconds.setValue(settings.hop_seconds)
        self.gate_enabled.setChecked(settings.gate_enabled)
        self.gate_dbfs.setValue(settings.gate_dbfs)
        self.onset_trigger.setChecked(settings.onset_trigger)

    def set_running(self, running: bool) -> None:
        """Settings apply when live mode starts; they are locked while it runs."""
        for widget in (self.device, self.refresh_devices, self.view_seconds, self.hop_seconds):
            widget.setEnabled(not running)

    def show_level(self, dbfs: float) -> None:
        self.level.setValue(round(max(dbfs, METER_FLOOR_DBFS) * 10))
        self.level.setFormat("silence" if dbfs <= SILENCE_FLOOR_DBFS else f"{dbfs:.1f} dBFS")
