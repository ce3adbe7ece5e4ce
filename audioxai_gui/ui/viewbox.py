"""Mouse semantics of an audio editor (Audacity, Sonic Visualiser) on a pyqtgraph ViewBox.

Wheel zooms time around the pointer, Ctrl+wheel zooms the vertical axis (frequency), left-drag
selects, middle-drag or Shift+drag pans, a click places the cursor.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtCore

WHEEL_ZOOM_PER_STEP = 1.25  # one wheel notch (120 eighths of a degree)


class TimeViewBox(pg.ViewBox):
    """A ViewBox whose gestures select and navigate time (and frequency on spectrogram panes)."""

    selectionDragged = QtCore.Signal(object, bool)  # QRectF in view coordinates, drag finished
    cursorClicked = QtCore.Signal(float)  # time (s)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.setMouseMode(pg.ViewBox.PanMode)
        self.setMenuEnabled(True)

    def wheelEvent(self, ev, axis=None):
        modifiers = ev.modifiers()
        vertical = axis == 1 or bool(modifiers & QtCore.Qt.KeyboardModifier.ControlModifier)
        factor = WHEEL_ZOOM_PER_STEP ** (-ev.delta() / 120.0)
        centre = self.mapToView(ev.pos())
        if vertical:
            self.scaleBy(y=factor, center=centre)
        else:
            self.scaleBy(x=factor, center=centre)
        self.sigRangeChangedManually.emit(self.state["mouseEnabled"])
        ev.accept()

    def mouseDragEvent(self, ev, axis=None):
        button, modifiers = ev.button(), ev.modifiers()
        pans = button == QtCore.Qt.MouseButton.MiddleButton or (
            button == QtCore.Qt.MouseButton.LeftButton and modifiers & QtCore.Qt.KeyboardModifier.ShiftModifier
        )
        if pans:
            ev.accept()
            delta = self.mapToView(ev.pos()) - self.mapToView(ev.lastPos())
            self.translateBy(x=-delta.x(), y=-delta.y() if axis != 0 else 0.0)
            self.sigRangeChangedManually.emit(self.state["mouseEnabled"])
        elif button == QtCore.Qt.MouseButton.LeftButton:
            ev.accept()
            rect = QtCore.QRectF(self.mapToView(ev.buttonDownPos()), self.mapToView(ev.pos())).normalized()
            self.selectionDragged.emit(rect, ev.isFinish())
        else:
            ev.ignore()

    def mouseClickEvent(self, ev):
        if ev.button() == QtCore.Qt.MouseButton.LeftButton:
            ev.accept()
            self.cursorClicked.emit(self.mapToView(ev.pos()).x())
        else:
            super().mouseClickEvent(ev)
