"""Screenshot of the Faithfulness view on the built-in example (run under Xvfb; needs imagemagick's `import`).

Usage: DISPLAY=:NN python docs/screenshot_faithfulness.py docs/screenshot-faithfulness.png
"""

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6 import QtCore, QtWidgets  # noqa: E402

from audioxai_gui.ui.main_window import MainWindow  # noqa: E402

app = QtWidgets.QApplication([])
window = MainWindow()
window.resize(1366, 768)
window.show()
window.start(None, {}, None)


def open_view():
    menus = [m.menu() for m in window.menuBar().actions() if m.menu()]
    next(a for menu in menus for a in menu.actions() if a.text().startswith("&Faithfulness")).trigger()


def shoot_when_ready():
    model = window.extensions["faithfulness"]
    if model.result is not None and model.removal is not None:
        timer.stop()
        QtCore.QTimer.singleShot(500, lambda: (subprocess.run(["import", "-window", "root", sys.argv[1]]), app.quit()))


QtCore.QTimer.singleShot(8000, open_view)
timer = QtCore.QTimer()
timer.timeout.connect(shoot_when_ready)
timer.start(500)
QtCore.QTimer.singleShot(300_000, app.quit)
app.exec()
