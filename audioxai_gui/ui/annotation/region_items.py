"""Regions drawn on the panes: time regions on every pane, boxes on the spectrogram panes (and, lightly, their
time span on the waveform pane), each with its label.

The overlay only draws and reports: a click or a drag becomes a signal carrying the region id and the new
edges in seconds and Hz; the controller turns that into document edits, and the document's change
notification redraws every pane, so all panes follow one drag.

Only the regions in view are drawn, and as items (movable, labelled) only while at most ``MAX_ITEMS`` of them
are: each item costs milliseconds to build and to paint, so 1,000 regions as items froze the window for 22 s.
Beyond that, the regions in view are one outline curve per pane and a note says to zoom in; the selected
region is always an item.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from ...annotate.regions import Region
from ..panes import Pane, SpectrogramPane

REGION_RGB = (40, 220, 150)  # green: apart from the red/blue relevance, the amber cursor and the yellow selection
PROPOSAL_RGB = (235, 235, 235)
REGION_Z = 15  # above the relevance image (10), below the selection (20) and the playhead (30)
LABEL_HEIGHTS = (0.97, 0.84, 0.71)  # neighbouring regions' labels take turns at these heights (share of the view)
BOX_TAG_SPAN = (0.9, 1.0)  # a box on the waveform pane: a tag along the top, not a band that looks like a region
DISPLAY_TOLERANCE = 1e-9
LABEL_FILL = pg.mkBrush(0, 0, 0, 170)  # labels stay readable over bright spectrograms and the selection
MAX_ITEMS = 40  # regions in view drawn as items; more are drawn as outlines (labels of more would overlap anyway)
OUTLINE_ALPHA = 90
REDRAW_DELAY_MS = 30  # gather the range changes of one pan or zoom into one redraw


@dataclass(frozen=True)
class RegionStyle:
    pen: QtGui.QPen
    brush: QtGui.QBrush
    shadow_brush: QtGui.QBrush  # a box's time span on the waveform pane
    text_color: tuple[int, int, int]
    editable: bool
    labelled: bool = True  # proposals go unlabelled: the dialog lists them, and stacked tags hid the thin boxes


def _style(rgb, width: float, fill_alpha: int, editable: bool, dashed=False, labelled=True) -> RegionStyle:
    pen = pg.mkPen(*rgb, width=width, style=QtCore.Qt.PenStyle.DashLine if dashed else QtCore.Qt.PenStyle.SolidLine)
    brushes = pg.mkBrush(*rgb, fill_alpha), pg.mkBrush(*rgb, fill_alpha // 2)
    return RegionStyle(pen, *brushes, rgb, editable, labelled)


# Fills stay faint so the relevance beneath keeps its colour (red/blue under a green wash read as grey);
# the outline carries the region, and a selected region gets a thicker outline rather than a heavier fill.
STYLES = {
    "region": _style(REGION_RGB, 1.5, 14, editable=True),
    "selected": _style(REGION_RGB, 3.0, 24, editable=True),
    "proposal": _style(PROPOSAL_RGB, 2.5, 0, editable=False, dashed=True, labelled=False),
}


def region_text(region: Region) -> str:
    return region.label or "(no label)"


class _ClickReporting:
    """Left clicks (and double clicks) on a region item go to its overlay; other buttons to pyqtgraph."""

    def mouseClickEvent(self, ev):
        if ev.button() == QtCore.Qt.MouseButton.LeftButton:
            ev.accept()
            self.overlay.item_clicked(self, ev.double())
        else:
            super().mouseClickEvent(ev)


class _SpanItem(_ClickReporting, pg.LinearRegionItem):
    """A region's time span on one pane (a box's, read-only, on the waveform pane)."""

    def __init__(self, overlay: RegionOverlay, region_id: str, movable: bool, span=(0.0, 1.0)):
        super().__init__(movable=movable, span=span)
        self.overlay, self.region_id, self.movable_edges = overlay, region_id, movable
        self.setZValue(REGION_Z)
        self.label = pg.InfLineLabel(
            self.lines[0], "", position=LABEL_HEIGHTS[0], anchors=[(0, 0), (0, 0)], fill=LABEL_FILL
        )
        self.sigRegionChanged.connect(lambda: overlay.item_moved(self, finished=False))
        self.sigRegionChangeFinished.connect(lambda: overlay.item_moved(self, finished=True))

    def show_region(self, region: Region, pane: Pane, style: RegionStyle, duration: float, label_row: int = 0):
        self.region = region
        self.label.setPosition(LABEL_HEIGHTS[label_row % len(LABEL_HEIGHTS)])
        brush = style.brush if self.movable_edges or not style.editable else style.shadow_brush
        self.setBrush(brush)
        self.setHoverBrush(brush)
        for line in self.lines:
            line.setPen(style.pen)
        self.setBounds((0.0, duration))
        self.setRegion((region.start, region.end))
        # An InfLineLabel redraws its text from its format whenever it is shown or its line moves: set the format
        # (braces escaped), not just the text, or the label goes blank.
        self.label.setFormat(region_text(region).replace("{", "{{").replace("}", "}}"))
        self.label.setColor(style.text_color)
        self.label.setVisible(style.labelled)
        self.label.valueChanged()

    def edges(self) -> dict[str, float]:
        start, end = self.getRegion()
        return {"start": float(start), "end": float(end)}


class _BoxItem(_ClickReporting, pg.ROI):
    """A time-frequency box on a spectrogram pane; y is the pane's display coordinate (linear, log or mel)."""

    def __init__(self, overlay: RegionOverlay, region_id: str, editable: bool):
        super().__init__((0, 0), (1, 1), movable=editable, resizable=editable, rotatable=False, removable=False)
        self.overlay, self.region_id = overlay, region_id
        self.setZValue(REGION_Z + 1)
        self.setAcceptedMouseButtons(QtCore.Qt.MouseButton.LeftButton)
        if editable:
            for corner in ((0, 0), (1, 0), (0, 1), (1, 1)):
                self.addScaleHandle(corner, (1 - corner[0], 1 - corner[1]))
        self.label = pg.TextItem("", anchor=(0, 1), fill=LABEL_FILL)  # above the box: a thin box stays visible
        self.label.setParentItem(self)
        self.pane: SpectrogramPane | None = None
        self.shown_display = (0.0, 0.0)
        self.sigRegionChanged.connect(lambda: overlay.item_moved(self, finished=False))
        self.sigRegionChangeFinished.connect(lambda: overlay.item_moved(self, finished=True))

    def show_region(self, region: Region, pane: SpectrogramPane, style: RegionStyle, duration: float, label_row=0):
        self.region, self.pane = region, pane
        low, high = (float(y) for y in pane.frequency_scale.to_display([region.low_hz, region.high_hz]))
        self.shown_display = (low, high)
        self.setPen(style.pen)
        self.setPos((region.start, low), update=False, finish=False)
        self.setSize((region.end - region.start, high - low), update=True, finish=False)
        self.label.setText(region_text(region), color=style.text_color)
        self.label.setPos(0.0, high - low)
        self.label.setVisible(style.labelled)
        mapping = pane.background.mapping
        if mapping is not None:
            self.maxBounds = QtCore.QRectF(0.0, mapping.low, duration, mapping.high - mapping.low)

    def edges(self) -> dict[str, float]:
        (start, low), (width, height) = self.pos(), self.size()
        displayed = (float(low), float(low + height))
        if np.allclose(displayed, self.shown_display, rtol=0, atol=DISPLAY_TOLERANCE):
            low_hz, high_hz = self.region.low_hz, self.region.high_hz  # a time-only drag keeps Hz exactly
        else:
            low_hz, high_hz = (float(hz) for hz in self.pane.frequency_scale.to_hz(displayed))
        return {"start": float(start), "end": float(start + width), "low_hz": max(0.0, low_hz), "high_hz": high_hz}


def _same_drawing(old: tuple | None, new: tuple) -> bool:
    """Whether an item already shows ``new`` (region, style, duration, label row): the same objects, not equal ones."""
    return old is not None and old[0] is new[0] and old[1] is new[1] and old[2:] == new[2:]


def _outline_points(regions: list[Region], pane: Pane) -> tuple[np.ndarray, np.ndarray]:
    """x and y of each region's rectangle on ``pane`` (five corners and a NaN break); time spans fill the view."""
    starts = np.array([r.start for r in regions], dtype=float)
    ends = np.array([r.end for r in regions], dtype=float)
    bottom, top = pane.view.viewRange()[1]
    lows, highs = np.full(len(regions), bottom), np.full(len(regions), top)
    if isinstance(pane, SpectrogramPane):
        boxes = [i for i, r in enumerate(regions) if r.is_box]
        if boxes:
            hz = np.array([[regions[i].low_hz, regions[i].high_hz] for i in boxes], dtype=float)
            lows[boxes] = pane.frequency_scale.to_display(hz[:, 0])
            highs[boxes] = pane.frequency_scale.to_display(hz[:, 1])
    nan = np.full(len(regions), np.nan)
    x = np.stack([starts, ends, ends, starts, starts, nan], axis=1).ravel()
    y = np.stack([lows, lows, highs, highs, lows, nan], axis=1).ravel()
    return x, y


def _pane_kind(pane: Pane) -> str:
    return "spectrogram" if isinstance(pane, SpectrogramPane) else "waveform"


# (region kind, pane kind) -> the item drawing it there, given (overlay, region id, editable)
ITEM_FACTORIES = {
    ("time", "waveform"): lambda overlay, rid, editable: _SpanItem(overlay, rid, movable=editable),
    ("time", "spectrogram"): lambda overlay, rid, editable: _SpanItem(overlay, rid, movable=editable),
    ("box", "waveform"): lambda overlay, rid, editable: _SpanItem(overlay, rid, movable=False, span=BOX_TAG_SPAN),
    ("box", "spectrogram"): lambda overlay, rid, editable: _BoxItem(overlay, rid, editable),
}


class RegionOverlay(QtCore.QObject):
    """Draws a set of regions on every pane of a PaneStack in one style; one selected region is emphasised."""

    regionClicked = QtCore.Signal(str, bool)  # region id, double click
    regionEdited = QtCore.Signal(str, dict, bool)  # region id, new edges (start, end[, low_hz, high_hz]), finished

    def __init__(self, stack, style: str = "region"):
        super().__init__(stack)
        self.stack = stack
        self.style = STYLES[style]
        self._items: dict[tuple[str, str, str], _SpanItem | _BoxItem] = {}  # (region id, pane, kind) -> item
        self._shown: dict[tuple[str, str, str], tuple] = {}  # key -> what its item last drew (skip if unchanged)
        self._spare: dict[tuple[str, str], list] = {}  # (region kind, pane) -> hidden items to reuse
        self._outlines: dict[str, pg.PlotCurveItem] = {}  # pane name -> the outlines of many regions in view
        self._note: pg.TextItem | None = None
        self._applying = False
        self.outlined: list[Region] = []  # regions in view drawn as outlines only (too many for items)
        self._regions: list[Region] = []
        self._starts = self._ends = np.zeros(0)
        self._selected_id: str | None = None
        self._redraw_timer = QtCore.QTimer(self, singleShot=True, interval=REDRAW_DELAY_MS)
        self._redraw_timer.timeout.connect(self._draw)
        for pane in stack.panes.values():
            pane.view.sigRangeChanged.connect(self._redraw_timer.start)

    def show(self, regions: Iterable[Region], selected_id: str | None = None) -> None:
        """Draw exactly ``regions`` (those in view): items are updated in place (a drag in progress continues)."""
        self._regions = sorted(regions, key=lambda region: (region.start, region.end))
        self._starts = np.array([region.start for region in self._regions], dtype=float)
        self._ends = np.array([region.end for region in self._regions], dtype=float)
        self._selected_id = selected_id
        self._shown.clear()  # an edit the document refused puts its item back: redraw every item in view
        self._draw()

    def _draw(self) -> None:
        self._redraw_timer.stop()
        start, end = self.stack.time_range()
        in_view = [self._regions[i] for i in np.flatnonzero((self._starts <= end) & (self._ends >= start))]
        selected = next((region for region in self._regions if region.id == self._selected_id), None)
        as_items, outlined = (in_view, []) if len(in_view) <= MAX_ITEMS else ([], in_view)
        if selected is not None and all(region is not selected for region in as_items):
            as_items = [*as_items, selected]
        self.outlined = [region for region in outlined if region is not selected]
        self._draw_items(as_items, {region.id: index for index, region in enumerate(self._regions)})
        self._draw_outlines(self.outlined)

    def _draw_items(self, regions: list[Region], order: dict[str, int]) -> None:
        wanted = {}
        for region in regions:
            for pane in self.stack.panes.values():
                wanted[(region.id, pane.name, region.kind)] = (region, pane)
        for key in set(self._items) - set(wanted):
            self._remove(key)
        self._applying = True
        try:
            for key, (region, pane) in wanted.items():
                item = self._items.get(key)
                if item is None:
                    item = self._items[key] = self._take_item(region, pane)
                style = STYLES["selected"] if region.id == self._selected_id and self.style.editable else self.style
                shown = (region, style, self.stack.duration, order[region.id] % len(LABEL_HEIGHTS))
                if not _same_drawing(self._shown.get(key), shown):
                    item.show_region(region, pane, style, self.stack.duration, shown[3])
                    self._shown[key] = shown
        finally:
            self._applying = False

    def _draw_outlines(self, regions: list[Region]) -> None:
        """Every region as a rectangle outline, all of one pane in one curve (NaN breaks between them)."""
        for pane in self.stack.panes.values():
            curve = self._outlines.get(pane.name)
            if not regions:
                if curve is not None:
                    curve.setData([], [])
                continue
            if curve is None:
                pen = pg.mkPen(*self.style.text_color, OUTLINE_ALPHA, width=1)  # the data stays visible beneath
                curve = self._outlines[pane.name] = pg.PlotCurveItem(pen=pen, connect="finite")
                curve.setZValue(REGION_Z)
                pane.plot.addItem(curve, ignoreBounds=True)
            x, y = _outline_points(regions, pane)
            curve.setData(x, y)
        self._show_note(len(regions))

    def _show_note(self, count: int) -> None:
        pane = next(iter(self.stack.panes.values()))
        if self._note is None:
            self._note = pg.TextItem("", anchor=(0, 0), fill=LABEL_FILL, color=self.style.text_color)
            self._note.setZValue(REGION_Z + 2)
            pane.plot.addItem(self._note, ignoreBounds=True)
        self._note.setVisible(count > 0)
        if count:
            (start, _), (_, top) = pane.view.viewRange()
            action = "move or edit them" if self.style.editable else "see them one by one"
            self._note.setText(f"{count:,} regions in view, drawn as outlines: zoom in to {action}")
            self._note.setPos(start, top)

    def clear(self) -> None:
        self.show(())

    def items_for(self, region_id: str) -> dict[str, _SpanItem | _BoxItem]:
        """Pane name -> the item drawing ``region_id`` there."""
        return {pane: item for (rid, pane, _), item in self._items.items() if rid == region_id}

    def _take_item(self, region: Region, pane: Pane):
        """An item for ``region`` on ``pane``: a hidden one of the same kind when there is one (building one costs
        milliseconds; panning over many regions reuses them), else a new one."""
        spare = self._spare.get((region.kind, pane.name))
        if spare:
            item = spare.pop()
            item.region_id = region.id
            item.show()
            return item
        item = ITEM_FACTORIES[(region.kind, _pane_kind(pane))](self, region.id, self.style.editable)
        pane.plot.addItem(item, ignoreBounds=True)
        return item

    def _remove(self, key) -> None:
        item = self._items.pop(key)
        self._shown.pop(key, None)
        item.hide()
        self._spare.setdefault((key[2], key[1]), []).append(item)

    # --- reports from the items -------------------------------------------------------------
    def item_moved(self, item, finished: bool) -> None:
        if not self._applying:
            self.regionEdited.emit(item.region_id, item.edges(), finished)

    def item_clicked(self, item, double: bool) -> None:
        self.regionClicked.emit(item.region_id, double)
