"""Screenshot of the window with a Flat composite on the waveform model: the map must look like relevance.

Flat first layers put relevance on exact-zero samples, which FSDD recordings hold inside the clip; the
projection keeps that relevance out of the map and the map's title says how much it is (issue 9).

Usage: xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python docs/screenshot_flat.py [CLIP] [OUTPUT]
CLIP defaults to an official-test FSDD recording (../shared/data/fsdd), else the built-in example.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FSDD_CLIP = REPO.parent / "shared" / "data" / "fsdd" / "recordings" / "9_nicolas_2.wav"
OUTPUT = REPO / "docs" / "screenshot-flat.png"
COMPOSITE = "EpsilonPlusFlat"


def main() -> None:
    sys.path.insert(0, str(REPO))
    from PySide6 import QtCore, QtWidgets

    from audioxai_gui.resources import EXAMPLE_AUDIO
    from audioxai_gui.ui.main_window import MainWindow

    clip = Path(sys.argv[1]) if len(sys.argv) > 1 else FSDD_CLIP if FSDD_CLIP.exists() else EXAMPLE_AUDIO
    output = Path(sys.argv[2]) if len(sys.argv) > 2 else OUTPUT
    app = QtWidgets.QApplication([sys.argv[0]])
    settings_file = Path(tempfile.mkdtemp()) / "settings.ini"
    window = MainWindow(settings=QtCore.QSettings(str(settings_file), QtCore.QSettings.Format.IniFormat))
    window.resize(1366, 768)
    window.composites["waveform"] = COMPOSITE  # kept when the models load (the card default fills the rest)
    window.show()
    window.start(clip)

    def grab_when_explained() -> None:
        if not all(window.displays.values()) or window.runner.pending():
            QtCore.QTimer.singleShot(100, grab_when_explained)
            return
        QtCore.QTimer.singleShot(800, grab)

    def grab() -> None:
        window.grab().save(str(output))
        app.quit()

    grab_when_explained()
    app.exec()
    print(f"wrote {output} ({clip.name}, waveform model explained with {COMPOSITE})")


if __name__ == "__main__":
    main()
