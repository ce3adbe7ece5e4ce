"""The selection bar (as in Audacity): start, end and length of the selection, and the low and high
frequency of a time-frequency box; it follows every drag, and typing a value moves the selection.

With no selection it shows the cursor (start = end, length 0); typing an end or a length there makes
a selection from the cursor.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from ..glossary import tip
from .pane_stack import PaneStack, Selection
from .time_axis import format_reading, parse_time

TIME_DECIMALS = 3
FIELD_TIPS = {
    "start": "Start of the selection. Type a time (seconds, or m:ss.mmm like the axis) to move it.",
    "end": "End of the selection. Type a time (seconds, or m:ss.mmm like the axis) to move it.",
    "length": "Length of the selection. Type a length (seconds, or m:ss.mmm) to change the end.",
    "low_hz": "Lowest frequency of a time-frequency box (Hz). Type a value to make the selection a box.",
    "high_hz": "Highest frequency of a time-frequency box (Hz). Type a value to make the selection a box.",
}
FIELD_LABELS = {"start": "Start", "end": "End", "length": "Length", "low_hz": "Low", "high_hz": "High"}
TIME_FIELDS = ("start", "end", "length")


class TimeSpinBox(QtWidgets.QDoubleSpinBox):
    """A time field that reads like the time axis ("12.345 s", or "30:05.677" on a recording of a minute or more)
    and takes either form typed, plain seconds included."""

    def __init__(self, parent=None):
        self.span = 0.0  # the recording's duration: decides seconds or clock, as on the axis (set before Qt asks)
        super().__init__(parent)
        self.setDecimals(TIME_DECIMALS)

    def set_span(self, seconds: float) -> None:
        self.span = seconds
        self.setMaximum(seconds)

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt's name)
        return format_reading(value, self.span, TIME_DECIMALS)

    def valueFromText(self, text: str) -> float:  # noqa: N802 (Qt's name)
        try:
            return parse_time(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> QtGui.QValidator.State:
        try:
            seconds = parse_time(text)
        except ValueError:  # half typed ("30:", "1:0") may still become a time; letters never do
            partial = text.strip().removesuffix("s").strip()
            typing = all(c.isdigit() or c in ":." for c in partial)
            return QtGui.QValidator.State.Intermediate if typing else QtGui.QValidator.State.Invalid
        inside = self.minimum() <= seconds <= self.maximum()
        return QtGui.QValidator.State.Acceptable if inside else QtGui.QValidator.State.Intermediate


class SelectionBar(QtWidgets.QToolBar):
    """Shows ``stack``'s selection and writes typed values back to it."""

    def __init__(self, stack: PaneStack, parent=None):
        super().__init__("Selection", parent)
        self.setObjectName("Selection")
        self.setMovable(False)
        self.stack = stack
        self.fields: dict[str, QtWidgets.QDoubleSpinBox] = {}
        title = QtWidgets.QLabel(" Selection ")
        title.setToolTip(tip("selection_bar"))
        self.addWidget(title)
        for name, label in FIELD_LABELS.items():
            is_time = name in TIME_FIELDS
            field = TimeSpinBox() if is_time else QtWidgets.QDoubleSpinBox()
            field.setObjectName(f"selection {name}")
            if not is_time:
                field.setDecimals(0)
                field.setSuffix(" Hz")
            field.setSingleStep(0.01 if is_time else 50.0)
            field.setKeyboardTracking(False)  # act on Enter / focus out, not on every digit typed
            field.setAccelerated(True)
            field.setToolTip(FIELD_TIPS[name])
            field.setMinimumWidth(90)
            field.valueChanged.connect(lambda _value, n=name: self._typed(n))
            caption = QtWidgets.QLabel(f" {label} ")
            caption.setToolTip(FIELD_TIPS[name])
            caption.setBuddy(field)
            self.addWidget(caption)
            self.addWidget(field)
            self.fields[name] = field
        stack.selectionChanged.connect(lambda _: self.refresh())
        stack.cursorMoved.connect(lambda _: self.refresh())
        self.refresh()

    def nyquist(self) -> float:
        """The highest frequency a box can reach: half the spectrogram's sample rate."""
        for pane in self.stack.spectrogram_panes():
            if pane.background.grid is not None:
                return pane.background.grid.sample_rate / 2
        return 0.0

    def refresh(self) -> None:
        """Show the stack's selection (or cursor) without treating it as typed."""
        stack, selection = self.stack, self.stack.selection
        start = selection.start if selection else stack.cursor_time
        end = selection.end if selection else stack.cursor_time
        has_box = selection is not None and selection.low_hz is not None
        values = {
            "start": start,
            "end": end,
            "length": end - start,
            "low_hz": selection.low_hz if has_box else 0.0,
            "high_hz": selection.high_hz if has_box else 0.0,
        }
        nyquist = self.nyquist()
        blockers = [QtCore.QSignalBlocker(field) for field in self.fields.values()]
        for name, field in self.fields.items():
            if name in TIME_FIELDS:
                field.set_span(stack.duration)
            else:
                field.setRange(0.0, nyquist)
            field.setValue(values[name])
        for name in ("low_hz", "high_hz"):
            self.fields[name].setSpecialValueText("–" if not has_box else "")
        del blockers

    def _typed(self, name: str) -> None:
        value = {n: field.value() for n, field in self.fields.items()}
        start, end = value["start"], value["end"]
        if name == "length":
            end = start + value["length"]
        elif name == "start" and self.stack.selection is not None:
            end = start + (self.stack.selection.end - self.stack.selection.start)  # typing a start moves it
        end = min(end, self.stack.duration)
        if end <= start:
            self.refresh()  # nothing to select; show the real state again
            return
        old = self.stack.selection
        low = high = None
        if name in ("low_hz", "high_hz") or (old is not None and old.low_hz is not None):
            low, high = value["low_hz"], value["high_hz"]
            if old is None or old.low_hz is None:  # a time range becoming a box: the untouched edge spans all
                low, high = (low, self.nyquist()) if name == "low_hz" else (0.0, high)
            if high <= low:
                self.refresh()
                return
        self.stack.set_selection(Selection(start, end, low, high))
