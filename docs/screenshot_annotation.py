"""Screenshot of the annotation feature: a few regions on the example clip, the region table and the agreement panel.

Usage: xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/screenshot_annotation.py
Uses the models in models/ when there are any, else random-weight stand-ins (tests/conftest.py), which is
enough to show the layout; the numbers then mean nothing.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "docs" / "screenshot-annotation.png"


def main() -> None:
    sys.path[:0] = [str(REPO), str(REPO / "tests")]
    from PySide6 import QtCore, QtWidgets

    from audioxai_gui.resources import EXAMPLE_AUDIO
    from audioxai_gui.ui.main_window import MainWindow
    from audioxai_gui.ui.pane_stack import Selection

    app = QtWidgets.QApplication([sys.argv[0]])
    folder = Path(tempfile.mkdtemp())
    audio = folder / "example.wav"
    shutil.copy(EXAMPLE_AUDIO, audio)
    settings = QtCore.QSettings(str(folder / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.resize(1600, 1000)
    window.show()
    if any((REPO / "models").glob("*.card.json")):
        window.start(audio)
    else:
        from conftest import make_random_pair

        from audioxai_gui.explain.composites import COMPOSITES
        from audioxai_gui.explain.engine import ExplanationEngine
        from audioxai_gui.ui.backend import Backend

        waveform, spectrogram = make_random_pair(folder)
        models = {"waveform": waveform, "spectrogram": spectrogram}
        window.set_backend(Backend(ExplanationEngine("cpu"), [m.card for m in models.values()], [], models, COMPOSITES))
        window.open_file(audio)
    annotation = window.extensions["annotation"]

    def annotate_when_explained() -> None:
        if not all(window.displays.values()) or window.runner.pending():
            QtCore.QTimer.singleShot(100, annotate_when_explained)
            return
        annotation.sync()
        classes, duration = annotation.class_names(), window.clip.duration
        for start, end, low, high, label in (
            (0.12, 0.3, None, None, classes[1]),
            (0.38, 0.62, 150.0, 1100.0, classes[7]),
            (0.68, 0.85, 1500.0, 3200.0, "fricative"),
        ):
            window.stack.set_selection(Selection(start * duration, end * duration, low, high))
            region = annotation.add_from_selection()
            annotation.document.update(region.id, label=label)
        annotation.select(annotation.document.regions[1].id)
        annotation.annotate_action.setChecked(True)
        QtCore.QTimer.singleShot(800, grab)

    def grab() -> None:
        window.grab().save(str(OUTPUT))
        app.quit()

    annotate_when_explained()
    app.exec()
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
