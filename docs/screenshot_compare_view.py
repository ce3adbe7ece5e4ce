"""Screenshot of the Compare view with a compare run's results (run under Xvfb; needs imagemagick's `import`).

Usage: DISPLAY=:NN python docs/screenshot_compare_view.py RESULTS_FOLDER docs/screenshot-compare-view.png
Opens the results, sorts by the spectrogram model's AOPC, opens the least faithful clip and shoots the screen.
"""

import sys

from PySide6 import QtCore, QtWidgets
from screenshot_support import laptop_window, shoot_and_quit, trigger_menu_action

app, window = laptop_window()


def open_view():
    trigger_menu_action(window, "&Compare")
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
    shoot_and_quit(app, sys.argv[2], 1500)


QtCore.QTimer.singleShot(8000, open_view)
QtCore.QTimer.singleShot(12000, open_first_clip)
QtCore.QTimer.singleShot(600_000, app.quit)
app.exec()
