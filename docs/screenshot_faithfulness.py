"""Screenshot of the Faithfulness view on the built-in example (run under Xvfb; needs imagemagick's `import`).

Usage: DISPLAY=:NN python docs/screenshot_faithfulness.py docs/screenshot-faithfulness.png
"""

import sys

from PySide6 import QtCore
from screenshot_support import laptop_window, shoot_and_quit, trigger_menu_action

app, window = laptop_window()


def open_view():
    trigger_menu_action(window, "&Faithfulness")


def shoot_when_ready():
    model = window.extensions["faithfulness"]
    if model.result is not None and model.removal is not None:
        timer.stop()
        shoot_and_quit(app, sys.argv[1], 500)


QtCore.QTimer.singleShot(8000, open_view)
timer = QtCore.QTimer()
timer.timeout.connect(shoot_when_ready)
timer.start(500)
QtCore.QTimer.singleShot(300_000, app.quit)
app.exec()
