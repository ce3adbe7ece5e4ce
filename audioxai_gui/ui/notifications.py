"""The message area under the toolbars: the latest message that matters, in plain words, until dismissed.

The status bar keeps the transient chatter (cursor readout, "opening…"); problems, saved files and mode
changes also go here, where they stay visible on a small screen and do not vanish after a few seconds.
Earlier messages stay one click away in the history menu.
"""

from __future__ import annotations

import time

from PySide6 import QtCore, QtWidgets

from ..glossary import tip

LEVEL_STYLES = {  # background, text: readable on light and dark themes
    "info": ("#e8f0fe", "#1a3a6b"),
    "success": ("#e6f4ea", "#185c2c"),
    "warning": ("#fef7e0", "#6b4a00"),
    "error": ("#fce8e6", "#8c1d18"),
}
LEVEL_SIGNS = {"info": "ℹ", "success": "✓", "warning": "⚠", "error": "✖"}
HISTORY_LIMIT = 30
IDLE_HINT = "Open an audio file with Ctrl+O or drop one here; F1 explains every term."
"""Shown while no file is open; extensions replace it (help.py: the example's hint, the open file's)."""


class NotificationBar(QtWidgets.QToolBar):
    """A fixed toolbar row showing one message; ``notify`` replaces it, × returns to the idle hint."""

    def __init__(self, parent=None):
        super().__init__("Messages", parent)
        self.setObjectName("Messages")
        self.setMovable(False)
        self.setFloatable(False)
        self.toggleViewAction().setEnabled(False)  # never hidden: it is where problems are explained
        self.label = QtWidgets.QLabel()
        self.label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Preferred)
        self.label.setMinimumWidth(200)  # a long message is cut at the window's edge; its tooltip has it all
        self.label.setContentsMargins(6, 2, 6, 2)
        self.label.setToolTip(tip("notifications"))
        self.history_button = QtWidgets.QToolButton()
        self.history_button.setText("Earlier")
        self.history_button.setToolTip("The earlier messages of this session, newest first")
        self.history_button.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
        self.history_menu = QtWidgets.QMenu(self.history_button)
        self.history_button.setMenu(self.history_menu)
        self.dismiss_button = QtWidgets.QToolButton()
        self.dismiss_button.setText("×")
        self.dismiss_button.setToolTip("Dismiss this message")
        self.dismiss_button.clicked.connect(self.dismiss)
        self.addWidget(self.label)
        self.addWidget(self.history_button)
        self.addWidget(self.dismiss_button)
        self.history: list[tuple[str, str, str]] = []  # (time, level, text), oldest first
        self.level = "info"
        self.idle_text = IDLE_HINT
        self.dismiss()

    @property
    def text(self) -> str:
        return self.label.text()

    def notify(self, text: str, level: str = "info") -> None:
        """Show ``text`` (one of LEVEL_STYLES' levels) until the next message or a dismissal."""
        text = " ".join(str(text).split())  # one line: multi-line messages read fine joined
        self.history.append((time.strftime("%H:%M:%S"), level, text))
        del self.history[:-HISTORY_LIMIT]
        self._refresh_history()
        self._show(text, level, dismissable=True)

    def set_idle_text(self, text: str) -> None:
        """The hint shown when there is no message (e.g. how to go on from the built-in example)."""
        self.idle_text = text
        if not self.dismiss_button.isEnabled():
            self._show(text, "info", dismissable=False)

    def dismiss(self) -> None:
        self._show(self.idle_text, "info", dismissable=False)

    def _show(self, text: str, level: str, dismissable: bool) -> None:
        self.level = level
        background, foreground = LEVEL_STYLES[level]
        self.label.setStyleSheet(f"background: {background}; color: {foreground}; border-radius: 3px;")
        self.label.setText(f"{LEVEL_SIGNS[level]}  {text}")
        self.label.setToolTip(f"{text}\n\n{tip('notifications')}" if dismissable else tip("notifications"))
        self.dismiss_button.setEnabled(dismissable)

    def _refresh_history(self) -> None:
        self.history_menu.clear()
        for stamp, level, text in reversed(self.history):
            self.history_menu.addAction(f"{stamp}  {LEVEL_SIGNS[level]}  {text}")
