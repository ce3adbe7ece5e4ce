"""What the view screenshot scripts share: the window at laptop size, a menu action by its text, one screen shot.

Run the scripts under Xvfb (they need imagemagick's `import`); see README, "Screenshots".
"""

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6 import QtCore, QtWidgets  # noqa: E402

from audioxai_gui.ui.main_window import MainWindow  # noqa: E402


def laptop_window() -> tuple[QtWidgets.QApplication, MainWindow]:
    """The application and its window at 1366×768 (the smallest screen we design for), on the built-in example."""
    app = QtWidgets.QApplication([])
    window = MainWindow()
    window.resize(1366, 768)
    window.show()
    window.start(None, {}, None)
    return app, window


def trigger_menu_action(window: MainWindow, text: str) -> None:
    """Trigger the menu action whose text starts with ``text`` (with its '&' mnemonic), as a user would."""
    menus = [action.menu() for action in window.menuBar().actions() if action.menu()]
    next(action for menu in menus for action in menu.actions() if action.text().startswith(text)).trigger()


def shoot_and_quit(app: QtWidgets.QApplication, path: str, delay_ms: int) -> None:
    """Take the screen shot after ``delay_ms`` (the last repaint) and end the application."""
    QtCore.QTimer.singleShot(delay_ms, lambda: (subprocess.run(["import", "-window", "root", path]), app.quit()))
