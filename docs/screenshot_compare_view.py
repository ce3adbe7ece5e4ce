"""Screenshot of the Compare view with a compare run's results (run under Xvfb; needs imagemagick's `import`).

Usage: DISPLAY=:NN python docs/screenshot_compare_view.py RESULTS_FOLDER docs/screenshot-compare-view.png
Opens the results, sorts by the spectrogram model's AOPC, opens the least faithful clip and shoots the screen.
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
    next(a for menu in menus for a in menu.actions() if a.text().startswith("&Compare")).trigger()
    window.extensions["compare"].open_folder(sys.argv[1])


def open_first_clip():
    widget = next(d for d in window.findChildren(QtWidgets.QDockWidget) if d.objectName() == "Compare").compare_widget
    if window.extensions["compare"].results is None:
        QtCore.QTimer.singleShot(1000, open_first_clip)
        return
    widget.table.selectRow(0)
    widget.open_selected()
    QtCore.QTimer.singleShot(1000, shoot_when_explained)


def shoot_when_explained():
    if window.runner.pending():
        QtCore.QTimer.singleShot(1000, shoot_when_explained)
        return
    QtCore.QTimer.singleShot(1500, lambda: (subprocess.run(["import", "-window", "root", sys.argv[2]]), app.quit()))


QtCore.QTimer.singleShot(8000, open_view)
QtCore.QTimer.singleShot(12000, open_first_clip)
QtCore.QTimer.singleShot(600_000, app.quit)
app.exec()
