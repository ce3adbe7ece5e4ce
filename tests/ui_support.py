"""What the window tests share: a silent output stream, a backend for a model pair, a shown window."""

from __future__ import annotations

from PySide6 import QtCore

from audioxai_gui.audio.playback import Player
from audioxai_gui.ui.backend import Backend
from audioxai_gui.ui.main_window import MainWindow

TIMEOUT_MS = 30_000


class SilentStream:
    """Stands in for a sounddevice stream: starts and stops, never calls back (so it plays until stopped)."""

    def __init__(self, **kwargs):
        self.started = False

    def start(self):
        self.started = True

    def stop(self):
        self.started = False

    def close(self):
        pass


def make_backend(engine, model_pair) -> Backend:
    from audioxai_gui.explain.composites import COMPOSITES

    waveform, spectrogram = model_pair
    return Backend(
        engine,
        [waveform.card, spectrogram.card],
        [],
        {"waveform": waveform, "spectrogram": spectrogram},
        list(COMPOSITES),
    )


def new_window(qtbot, tmp_path, backend, player=None) -> MainWindow:
    """A shown window with its own settings file and a silent player, using ``backend``."""
    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, player=player or Player(stream_factory=SilentStream))
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    window.set_backend(backend)
    return window


def wait_explained(qtbot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: all(window.displays.values()) and not window.runner.pending(), timeout=TIMEOUT_MS)
