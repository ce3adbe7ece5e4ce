"""Visible vertical zoom for a pane: +, − and fit buttons in the plot's bottom-left corner (where the
unlabelled pyqtgraph "A" button used to be), so nobody has to know that Ctrl+wheel zooms amplitude or frequency.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from ..glossary import tip

BUTTON_SIZE = 16
BUTTON_GAP = 3
ZOOM_FACTOR = 0.5
BUTTONS = (  # (symbol, what it does)
    ("+", "zoom in"),
    ("−", "zoom out"),
    ("⤢", "fit"),
)


def _symbol_pixmap(symbol: str) -> QtGui.QPixmap:
    pixmap = QtGui.QPixmap(2 * BUTTON_SIZE, 2 * BUTTON_SIZE)
    pixmap.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(pixmap)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    painter.setPen(QtGui.QPen(QtGui.QColor("#909090"), 2))
    painter.setBrush(QtGui.QColor(40, 40, 40))
    painter.drawRoundedRect(1, 1, 2 * BUTTON_SIZE - 2, 2 * BUTTON_SIZE - 2, 5, 5)
    font = painter.font()
    font.setPixelSize(int(1.4 * BUTTON_SIZE))
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QtGui.QColor("#e0e0e0"))
    painter.drawText(pixmap.rect(), QtCore.Qt.AlignmentFlag.AlignCenter, symbol)
    painter.end()
    return pixmap


class VerticalZoomButtons(QtCore.QObject):
    """The three buttons of one pane; ``buttons`` maps the action name to its ButtonItem."""

    def __init__(self, pane):
        super().__init__(pane)
        self.pane = pane
        actions = {
            "zoom in": lambda: pane.zoom_vertical(ZOOM_FACTOR),
            "zoom out": lambda: pane.zoom_vertical(1 / ZOOM_FACTOR),
            "fit": pane.fit_vertical,
        }
        self.buttons: dict[str, pg.ButtonItem] = {}
        for symbol, name in BUTTONS:
            button = pg.ButtonItem(pixmap=_symbol_pixmap(symbol), width=BUTTON_SIZE, parentItem=pane.plot)
            button.setToolTip(f"{name.capitalize()}: {tip('vertical_zoom')}")
            button.setZValue(50)
            button.clicked.connect(lambda _item, action=actions[name]: action())
            self.buttons[name] = button
        pane.plot.geometryChanged.connect(self.place)
        self.place()

    def place(self) -> None:
        """Bottom-left corner, under the vertical axis and left of the time axis."""
        bottom = self.pane.plot.size().height() - BUTTON_SIZE - BUTTON_GAP
        for index, button in enumerate(self.buttons.values()):
            button.setPos(BUTTON_GAP + index * (BUTTON_SIZE + BUTTON_GAP), bottom)
