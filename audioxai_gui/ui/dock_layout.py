"""Docks that fit a laptop screen: each scrolls instead of forcing the window's minimum size, and the
right-hand docks that cannot all fit one above the other become tabs (and split again when there is room).

Without this the window asked for the sum of its docks' heights (over 1000 px), so on a 768 px screen
the status bar was cut off and Qt painted docks over each other when squeezed.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

RIGHT = QtCore.Qt.DockWidgetArea.RightDockWidgetArea
DOCK_TITLE_HEIGHT = 24  # a dock's title bar and frame, beyond its contents
BOTTOM_DOCK_SHARE = 0.25  # on a resize, a bottom dock (the region table) keeps at most this share of the height
SPLIT_MARGIN = 40  # hysteresis: split again only with this much room to spare, so a resize never flickers
ARRANGE_DELAY_MS = 0


def make_scrollable(dock: QtWidgets.QDockWidget) -> None:
    """Put the dock's widget in a scroll area (once): the dock may then be smaller than its contents."""
    widget = dock.widget()
    if widget is None or isinstance(widget, QtWidgets.QScrollArea):
        return
    area = QtWidgets.QScrollArea()
    area.setObjectName(f"{dock.objectName()} scroll")
    area.setWidgetResizable(True)
    area.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(widget)
    area.setMinimumWidth(widget.minimumSizeHint().width() + area.verticalScrollBar().sizeHint().width())
    # No taller than the contents need: a scroll area's own minimum (room for its scroll bars) kept a one-line
    # dock (the empty region table) 84 px tall.
    area.setMinimumHeight(min(area.minimumSizeHint().height(), widget.minimumSizeHint().height()))
    dock.setWidget(area)


def present_floating(window: QtWidgets.QMainWindow, dock: QtWidgets.QDockWidget, size: tuple[int, int]) -> None:
    """First time: a floating window of ``size`` (narrower on a small screen) above the window's bottom left,
    leaving the bottom dock area short for the panes; later the user's placement is kept."""
    if not getattr(dock, "presented", False):
        dock.presented = True
        dock.setFloating(True)
        width = min(size[0], max(600, window.width() - 80))
        dock.resize(width, size[1])
        corner = window.geometry().bottomLeft()
        dock.move(corner.x() + 40, max(0, corner.y() - size[1] - 40))
    dock.raise_()


def contents_height(dock: QtWidgets.QDockWidget) -> int:
    """The height the dock's contents want (its title bar included), whether or not it scrolls."""
    widget = dock.widget()
    if isinstance(widget, QtWidgets.QScrollArea) and widget.widget() is not None:
        widget = widget.widget()
    return widget.sizeHint().height() + DOCK_TITLE_HEIGHT


def available_height(window: QtWidgets.QMainWindow) -> int:
    """The height between the toolbars above and below: what a full-height right column gets."""
    height = window.height() - window.menuBar().height() - window.statusBar().height()
    for bar in window.findChildren(QtWidgets.QToolBar):
        area = window.toolBarArea(bar)
        vertical_areas = (QtCore.Qt.ToolBarArea.TopToolBarArea, QtCore.Qt.ToolBarArea.BottomToolBarArea)
        if bar.isVisible() and area in vertical_areas and bar.parent() is window:
            height -= bar.height()
    return height


def fit_bottom_dock(window: QtWidgets.QMainWindow, dock: QtWidgets.QDockWidget, wanted: int | None = None) -> None:
    """Give a bottom dock ``wanted`` pixels (None: what its contents ask for), at most its share of the window."""
    height = contents_height(dock) if wanted is None else wanted
    if window.isVisible():
        height = min(height, int(available_height(window) * BOTTOM_DOCK_SHARE))
    window.resizeDocks([dock], [height], QtCore.Qt.Orientation.Vertical)


class RightColumn(QtCore.QObject):
    """Keeps ``docks`` (right dock area, in order) one above the other when they fit, else tabbed."""

    def __init__(self, window: QtWidgets.QMainWindow, docks: list[QtWidgets.QDockWidget]):
        super().__init__(window)
        self.window = window
        others = [d for d in window.findChildren(QtWidgets.QDockWidget) if window.dockWidgetArea(d) == RIGHT]
        self.docks = docks + [dock for dock in others if dock not in docks]  # the window's own first, then Live…
        self.tabbed = False
        self._to_raise: QtWidgets.QDockWidget | None = None
        window.setCorner(QtCore.Qt.Corner.TopRightCorner, RIGHT)
        window.setCorner(QtCore.Qt.Corner.BottomRightCorner, RIGHT)  # the column takes the full height
        for dock in window.findChildren(QtWidgets.QDockWidget):
            make_scrollable(dock)
        self._timer = QtCore.QTimer(self, singleShot=True, interval=ARRANGE_DELAY_MS)
        self._timer.timeout.connect(self.arrange)
        window.installEventFilter(self)
        window.explanationShown.connect(lambda _role: self._timer.start())  # the class bars arrive
        for dock in self.docks:  # contents that grow (the class bars arrive) may no longer fit
            inner = dock.widget().widget() if isinstance(dock.widget(), QtWidgets.QScrollArea) else dock.widget()
            inner.installEventFilter(self)
            dock.toggleViewAction().toggled.connect(lambda shown, d=dock: self._shown_or_hidden(d, shown))

    def _shown_or_hidden(self, dock: QtWidgets.QDockWidget, shown: bool) -> None:
        """A dock opened (the Live dock when live mode starts) is brought to the front of the tabs."""
        if shown:
            self._to_raise = dock
        self._timer.start()

    def eventFilter(self, watched, event) -> bool:
        if event.type() in (QtCore.QEvent.Type.Resize, QtCore.QEvent.Type.Show, QtCore.QEvent.Type.LayoutRequest):
            self._timer.start()
        if watched is self.window and event.type() in (QtCore.QEvent.Type.Resize, QtCore.QEvent.Type.Show):
            QtCore.QTimer.singleShot(0, self.cap_bottom_docks)
        return False

    def cap_bottom_docks(self) -> None:
        """Keep the panes the largest part of a small window: bottom docks get at most a quarter of it."""
        most = int(available_height(self.window) * BOTTOM_DOCK_SHARE)
        bottom = QtCore.Qt.DockWidgetArea.BottomDockWidgetArea
        docks = [
            dock
            for dock in self.window.findChildren(QtWidgets.QDockWidget)
            if self.window.dockWidgetArea(dock) == bottom and dock.isVisible() and dock.height() > most
        ]
        if docks:
            self.window.resizeDocks(docks, [most] * len(docks), QtCore.Qt.Orientation.Vertical)

    def wanted_height(self) -> int:
        return sum(contents_height(dock) for dock in self._open_docks())

    def _open_docks(self) -> list[QtWidgets.QDockWidget]:
        """Docks in the column that the user has not closed (a dock behind another's tab counts as open)."""
        return [dock for dock in self.docks if not dock.isFloating() and dock.toggleViewAction().isChecked()]

    def arrange(self) -> None:
        available, wanted = available_height(self.window), self.wanted_height()
        if not self.tabbed and wanted > available:
            self.set_tabbed(True)
        elif self.tabbed and wanted + SPLIT_MARGIN < available:
            self.set_tabbed(False)
        if not self.tabbed:
            self.give_each_its_height()
        elif self._to_raise is not None and self._to_raise.toggleViewAction().isChecked():
            self._to_raise.raise_()
        self._to_raise = None

    def give_each_its_height(self) -> None:
        """Split: each dock but the last gets the height its contents want, the last the rest (Qt would share
        the height evenly, scrolling the class bars while the settings below had room to spare)."""
        docks = self._open_docks()
        if len(docks) < 2:
            return
        heights = [contents_height(dock) for dock in docks]
        column = sum(dock.height() for dock in docks)
        heights[-1] = max(heights[-1], column - sum(heights[:-1]))  # Qt scales the sizes to fill the column
        if any(dock.height() < height for dock, height in zip(docks, heights, strict=True)):
            self.window.resizeDocks(docks, heights, QtCore.Qt.Orientation.Vertical)

    def set_tabbed(self, tabbed: bool) -> None:
        first, *others = [dock for dock in self.docks if not dock.isFloating()] or [None]
        if first is None or self.tabbed == tabbed:
            return
        self.tabbed = tabbed
        shown = {dock: dock.toggleViewAction().isChecked() for dock in others}  # tabs behind others count
        for dock in others:
            if tabbed:
                self.window.tabifyDockWidget(first, dock)
            else:
                self.window.removeDockWidget(dock)
                self.window.addDockWidget(RIGHT, dock, QtCore.Qt.Orientation.Vertical)
            dock.setVisible(shown[dock])
        (self._to_raise if self._to_raise in others else first).raise_()
