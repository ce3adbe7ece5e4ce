"""Which class each model predicted over the last seconds: one coloured lane per model, newest at the right."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ...session import ROLES
from ..class_panel import ROLE_TITLES

NO_SOUND = "no sound"
NO_SOUND_COLOUR = QtGui.QColor(90, 90, 90)
LANE_HEIGHT = 22
LABEL_WIDTH = 84
MAX_ENTRIES = 400


@dataclass(frozen=True)
class Prediction:
    end_seconds: float  # stream time of the analysed window's end
    class_name: str
    class_index: int
    n_classes: int
    probability: float


def class_colour(index: int, n_classes: int) -> QtGui.QColor:
    """The same class always gets the same hue (for a given class count)."""
    return pg.intColor(index, hues=max(n_classes, 1), values=1, maxValue=220)


class HistoryStrip(QtWidgets.QWidget):
    """Each prediction fills the time from the previous one to its own window end, in its class colour."""

    def __init__(self, span_seconds: float = 10.0, parent=None):
        super().__init__(parent)
        self.span_seconds = span_seconds
        self.now_seconds = 0.0
        self.lanes: dict[str, deque[Prediction]] = {role: deque(maxlen=MAX_ENTRIES) for role in ROLES}
        self.setMinimumHeight(LANE_HEIGHT * len(ROLES) + 18)
        self.setToolTip("Predicted class over the last seconds (newest at the right); faint = low probability")

    def clear(self, span_seconds: float) -> None:
        self.span_seconds = span_seconds
        self.now_seconds = 0.0
        for lane in self.lanes.values():
            lane.clear()
        self.update()

    def add_result(self, result) -> None:
        for role, explanation in result.explanations.items():
            predicted = explanation.predicted
            self.lanes[role].append(
                Prediction(
                    result.request.end_seconds,
                    explanation.classes[predicted],
                    predicted,
                    len(explanation.classes),
                    float(explanation.probabilities[predicted]),
                )
            )
        self.update()

    def add_silence(self, end_seconds: float) -> None:
        """A window the energy gate skipped: both lanes say "no sound" there rather than a class."""
        for lane in self.lanes.values():
            lane.append(Prediction(end_seconds, NO_SOUND, -1, 1, 1.0))
        self.update()

    def set_now(self, seconds: float) -> None:
        self.now_seconds = seconds
        self.update()

    def paintEvent(self, event) -> None:
        painter = QtGui.QPainter(self)
        painter.fillRect(self.rect(), self.palette().window())
        plot_width = max(1, self.width() - LABEL_WIDTH)

        def x_of(seconds: float) -> float:
            return LABEL_WIDTH + plot_width * (1 - (self.now_seconds - seconds) / self.span_seconds)

        for row, role in enumerate(ROLES):
            top = row * LANE_HEIGHT
            painter.setPen(self.palette().windowText().color())
            label_rect = QtCore.QRectF(0, top, LABEL_WIDTH - 4, LANE_HEIGHT)
            painter.drawText(label_rect, QtCore.Qt.AlignmentFlag.AlignVCenter, ROLE_TITLES[role].split()[0])
            previous_end = None
            for prediction in self.lanes[role]:
                left = x_of(previous_end if previous_end is not None else prediction.end_seconds - 0.25)
                right = x_of(prediction.end_seconds)
                previous_end = prediction.end_seconds
                if right < LABEL_WIDTH:
                    continue
                rect = QtCore.QRectF(max(left, LABEL_WIDTH), top + 2, right - max(left, LABEL_WIDTH), LANE_HEIGHT - 4)
                if prediction.class_index < 0:
                    colour = QtGui.QColor(NO_SOUND_COLOUR)
                else:
                    colour = class_colour(prediction.class_index, prediction.n_classes)
                    colour.setAlphaF(0.35 + 0.65 * prediction.probability)
                painter.fillRect(rect, colour)
                if rect.width() > 12:
                    painter.setPen(QtGui.QColor("black"))
                    painter.drawText(rect, QtCore.Qt.AlignmentFlag.AlignCenter, prediction.class_name)
        painter.setPen(self.palette().windowText().color())
        axis_rect = QtCore.QRectF(LABEL_WIDTH, LANE_HEIGHT * len(ROLES), plot_width, 16)
        painter.drawText(axis_rect, QtCore.Qt.AlignmentFlag.AlignLeft, f"-{self.span_seconds:g} s")
        painter.drawText(axis_rect, QtCore.Qt.AlignmentFlag.AlignRight, "now")
        painter.end()
