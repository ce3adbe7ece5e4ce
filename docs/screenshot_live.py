"""Screenshot of live mode while FSDD digits play into a private PulseAudio microphone (docs/screenshot-live.png).

Usage: python docs/screenshot_live.py   (needs xvfb-run and the PulseAudio tools; models from models/)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "docs" / "screenshot-live.png"
CLIPS = ["3_george_0.wav", "7_jackson_1.wav", "5_nicolas_2.wav"]
GRAB_AFTER_MS = 4200  # the third digit is being analysed: the tracks and the relevance trail are filled


def window_main() -> None:
    from PySide6 import QtCore, QtWidgets

    from audioxai_gui.ui.main_window import MainWindow

    app = QtWidgets.QApplication([sys.argv[0]])
    window = MainWindow()
    window.resize(1366, 740)  # a 1366x768 laptop screen
    window.show()
    window.start(None)
    live = window.extensions["live"]
    recordings = REPO.parent / "shared" / "data" / "fsdd" / "recordings"
    script = "; ".join(f"paplay {recordings / name}; sleep 0.5" for name in CLIPS)

    def start_when_models_loaded() -> None:
        if window.backend is None or len(window.backend.models) < 2:
            QtCore.QTimer.singleShot(100, start_when_models_loaded)
            return
        live.panel.view_seconds.setValue(6.0)
        live.panel.gate_enabled.setChecked(True)
        live.start()
        subprocess.Popen(["sh", "-c", f"sleep 0.6; {script}"])
        QtCore.QTimer.singleShot(GRAB_AFTER_MS, grab)

    def grab() -> None:
        window.grab().save(str(OUTPUT))
        live.stop()
        app.quit()

    start_when_models_loaded()
    app.exec()


def main() -> None:
    sys.path.insert(0, str(REPO / "tests"))
    from pulse import pulse_server

    with pulse_server() as server:
        subprocess.run(
            ["xvfb-run", "-a", "-s", "-screen 0 1366x768x24", sys.executable, __file__, "--window"],
            env={**server.env, "PYTHONPATH": str(REPO)},
            check=True,
            timeout=120,
        )
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    window_main() if "--window" in sys.argv else main()
