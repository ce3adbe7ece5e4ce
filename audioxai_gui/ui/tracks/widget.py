"""The prediction tracks plot: one row per model under the waveform, on the shared time axis.

Each window is drawn over its own share of time (half a hop either side of its centre), coloured by its
top class with the class's probability as opacity; a class label sits on runs wide enough to hold it;
events are outlined; a red strip between the rows marks where the models disagree. Each track is an image
of one pixel per window, drawn scaled (one call), marks are merged per pixel and events outlined only where
they are sparse enough to see, so a pan costs the same on a minute and on an hour.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from ...glossary import tip
from ..panes import LEFT_AXIS_WIDTH
from ..time_axis import TimeAxisItem
from ..viewbox import TimeViewBox
from .model import NO_SOUND, ModelTrack

ROW_HEIGHT = 1.0
MARK_HEIGHT = 0.3
LABEL_MIN_PIXELS = 16
NO_SOUND_COLOUR = QtGui.QColor(70, 70, 70)
DISAGREEMENT_COLOUR = QtGui.QColor(255, 60, 60)
EVENT_PEN = QtGui.QPen(QtGui.QColor(255, 255, 255), 0)
ROLE_TICKS = {"waveform": "wave", "spectrogram": "spec"}
TRACKS_TOOLTIP = "\n\n".join(tip(key) for key in ("prediction_tracks", "sound_events", "disagreement"))


def class_colour(index: int, n_classes: int) -> QtGui.QColor:
    """A distinct, stable hue per class (evenly spaced around the colour wheel)."""
    return QtGui.QColor.fromHsvF((index * 0.618034) % 1.0, 0.75, 0.95)


def strip_image(track: ModelTrack) -> QtGui.QImage:
    """The track's windows as a one-pixel-high image, one pixel per window: its top class's colour with the
    class probability as opacity, grey for no sound, transparent where not explained. Painting draws the
    visible part of it scaled, one call per track, whatever the number of windows."""
    palette = np.array([class_colour(c, len(track.classes)).getRgb()[:3] for c in range(len(track.classes))])
    top = track.top
    rgba = np.zeros((1, top.size, 4), dtype=np.uint8)
    classified = top >= 0
    rgba[0, classified, :3] = palette[top[classified]]
    rgba[0, classified, 3] = np.round(255 * np.clip(track.confidence[classified], 0.15, 1.0))
    silent = top == NO_SOUND
    rgba[0, silent, :3] = NO_SOUND_COLOUR.getRgb()[:3]
    rgba[0, silent, 3] = 255
    image = QtGui.QImage(rgba.data, top.size, 1, 4 * top.size, QtGui.QImage.Format.Format_RGBA8888)
    return image.copy()  # owns its pixels (rgba is freed here)


def covered_runs(
    starts: np.ndarray, ends: np.ndarray, x0: float, x1: float, pixels: float
) -> list[tuple[float, float]]:
    """The stretches of [x0, x1] covered by any (start, end), at the resolution of one pixel: thousands of
    disagreement marks on an hour become at most one rectangle per pixel run."""
    count = int(pixels)
    per_pixel = (x1 - x0) / count
    visible = (ends >= x0) & (starts <= x1)
    if not visible.any():
        return []
    first = np.clip(np.floor((starts[visible] - x0) / per_pixel), 0, count - 1).astype(np.int64)
    last = np.clip(np.ceil((ends[visible] - x0) / per_pixel), 0, count).astype(np.int64)
    depth = np.zeros(count + 1, dtype=np.int64)
    np.add.at(depth, first, 1)
    np.add.at(depth, np.maximum(last, first + 1), -1)
    covered = np.cumsum(depth[:-1]) > 0
    edges = np.flatnonzero(np.diff(np.r_[False, covered, False].astype(np.int8)))
    return [(x0 + a * per_pixel, x0 + b * per_pixel) for a, b in zip(edges[::2], edges[1::2], strict=True)]


class TrackItem(pg.GraphicsObject):
    """Paints the tracks (rows from the top: ``tracks[0]``, the disagreement strip, ``tracks[1]``)."""

    def __init__(self):
        super().__init__()
        self.tracks: list[ModelTrack] = []
        self.marks: list[tuple[float, float]] = []
        self.duration = 1.0
        self._strips: list[QtGui.QImage] = []
        self._mark_edges = (np.zeros(0), np.zeros(0))

    def set_data(self, tracks: list[ModelTrack], marks: list[tuple[float, float]], duration: float) -> None:
        self.prepareGeometryChange()
        self.tracks, self.marks, self.duration = tracks, marks, duration
        self._strips = [strip_image(track) for track in tracks]
        self._mark_edges = tuple(np.array([mark[i] for mark in marks], dtype=np.float64) for i in (0, 1))
        self.update()

    def row_bottom(self, row: int) -> float:
        """y of row ``row``'s bottom edge (row 0 on top)."""
        return (len(self.tracks) - 1 - row) * (ROW_HEIGHT + MARK_HEIGHT)

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt's name)
        height = max(1, len(self.tracks)) * (ROW_HEIGHT + MARK_HEIGHT)
        return QtCore.QRectF(0.0, 0.0, self.duration, height)

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        view = self.getViewBox()
        if view is None or not self.tracks:
            return
        x0, x1 = view.viewRange()[0]
        pixels = max(1.0, view.width())
        for row, (track, strip) in enumerate(zip(self.tracks, self._strips, strict=True)):
            self._paint_track(painter, track, strip, self.row_bottom(row), x0, x1, pixels)
        if len(self.tracks) > 1:
            y = self.row_bottom(0) - MARK_HEIGHT
            for start, end in covered_runs(*self._mark_edges, x0, x1, pixels):
                painter.fillRect(QtCore.QRectF(start, y + 0.05, end - start, MARK_HEIGHT - 0.1), DISAGREEMENT_COLOUR)

    def _paint_track(self, painter, track: ModelTrack, strip, y: float, x0: float, x1: float, pixels: float) -> None:
        centres = track.centres
        if centres.size == 0:
            return
        half = (centres[1] - centres[0]) / 2 if centres.size > 1 else (track.times[0, 1] - track.times[0, 0]) / 2
        first = max(0, int(np.searchsorted(centres, x0 - half)) - 1)
        stop = min(centres.size, int(np.searchsorted(centres, x1 + half)) + 1)
        painter.save()
        painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform, False)  # windows keep sharp edges
        target = QtCore.QRectF(centres[first] - half, y, (stop - first) * 2 * half, ROW_HEIGHT)
        painter.drawImage(target, strip, QtCore.QRectF(first, 0, stop - first, 1))
        painter.restore()
        seconds_per_pixel = (x1 - x0) / pixels
        visible = track.segments_in(x0, x1)
        if len(visible) <= pixels / 4:  # denser, an outline per event would only grey the track
            painter.setPen(EVENT_PEN)
            painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
            for segment in visible:
                width = max(segment.offset - segment.onset, seconds_per_pixel)
                painter.drawRect(QtCore.QRectF(segment.onset, y, width, ROW_HEIGHT))
        self._paint_labels(painter, track, y, first, stop, half, x1 - x0, pixels)

    def _paint_labels(self, painter, track: ModelTrack, y, first, stop, half, span, pixels) -> None:
        """Class names on runs of one class that are wide enough (drawn unscaled, in device coordinates)."""
        top = track.top[first:stop]
        if top.size == 0 or (stop - first) > pixels / 4:
            return
        pixels_per_second = pixels / span
        transform = painter.transform()
        painter.save()
        painter.resetTransform()
        painter.setPen(QtGui.QPen(QtGui.QColor(0, 0, 0)))
        run_start = 0
        for position in range(1, top.size + 1):
            if position < top.size and top[position] == top[run_start]:
                continue
            cls = int(top[run_start])
            width = (position - run_start) * 2 * half * pixels_per_second
            if cls >= 0 and width >= LABEL_MIN_PIXELS:
                centre = (track.centres[first + run_start] + track.centres[first + position - 1]) / 2
                point = transform.map(QtCore.QPointF(centre, y + ROW_HEIGHT / 2))
                rect = QtCore.QRectF(point.x() - width / 2, point.y() - 8, width, 16)
                painter.drawText(rect, QtCore.Qt.AlignmentFlag.AlignCenter, track.classes[cls])
            run_start = position
        painter.restore()


class TracksPlot(pg.PlotItem):
    """The plot holding the TrackItem, linked in time to the panes, with one y tick per model."""

    def __init__(self, time_view: pg.ViewBox):
        self.time_viewbox = TimeViewBox()
        super().__init__(viewBox=self.time_viewbox, axisItems={"bottom": TimeAxisItem()})
        self.hideAxis("bottom")
        self.getAxis("left").setWidth(LEFT_AXIS_WIDTH)
        self.setMaximumHeight(90)
        self.setMinimumHeight(60)
        self.items_ = TrackItem()
        self.addItem(self.items_)
        self.time_viewbox.setXLink(time_view)
        self.time_viewbox.setMouseEnabled(x=True, y=False)
        self.time_viewbox.setMenuEnabled(False)
        self.hideButtons()  # pyqtgraph's "A" (auto-range) button: the tracks always show every row
        # The terms go on the row names; over the tracks themselves the hover shows both models' top 3 at that
        # time, which a standing tooltip of three paragraphs would cover.
        self.getAxis("left").setToolTip(TRACKS_TOOLTIP)
        self.time_viewbox.sigXRangeChanged.connect(lambda *_: self.items_.update())

    def set_tracks(self, tracks: list[ModelTrack], marks, duration: float) -> None:
        self.items_.set_data(tracks, marks, duration)
        height = max(1, len(tracks)) * (ROW_HEIGHT + MARK_HEIGHT)
        self.time_viewbox.setYRange(0, height - MARK_HEIGHT, padding=0.02)
        ticks = [
            (self.items_.row_bottom(row) + ROW_HEIGHT / 2, ROLE_TICKS.get(t.role, t.role))
            for row, t in enumerate(tracks)
        ]
        self.getAxis("left").setTicks([ticks])
