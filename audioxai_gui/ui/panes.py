"""The plots on the shared time axis: a waveform pane and spectrogram panes with a relevance overlay.

Each pane redraws only what is visible, at about screen resolution, from level-of-detail pyramids
(see lod.py), so zoom and pan cost the same on a one-second clip and on an hour. A long clip's
spectrogram arrives in stages (clip.StagedSpectrogram): each redraw draws the best stage there is
and asks for a tile of the view when that is coarser than the screen.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ..glossary import tip
from ..session import DisplaySettings
from . import colormaps
from .clip import StagedSpectrogram
from .freq_scale import FREQUENCY_SCALES, RowMapping, round_hz_ticks
from .lod import ColumnPyramid, PeakPyramid, one_per_column
from .time_axis import TimeAxisItem, format_reading
from .viewbox import TimeViewBox
from .zoom_buttons import VerticalZoomButtons

LEFT_AXIS_WIDTH = 64
VIEW_MARGIN = 0.5  # redraw half a view beyond each edge, so a pan never shows an empty strip for a frame
REDRAW_ZOOM_TOLERANCE = 1.5
"""A moved view still inside the stretch drawn last, at a width within this factor of the width then, keeps
that drawing (it is in data coordinates: Qt moves it); a precise redraw follows once the view rests for
REDRAW_SETTLE_MS. Redrawing every pane on every frame of a pan re-rendered images and curves of ~2 views' width
each time."""
REDRAW_SETTLE_MS = 150
PLAYHEAD_PEN = pg.mkPen("#ffb000", width=2)
CURSOR_PEN = pg.mkPen("#ffb000", width=1, style=QtCore.Qt.PenStyle.DashLine)
SELECTION_BRUSH = pg.mkBrush(255, 255, 160, 30)  # light: the relevance beneath keeps its colour
BOX_PEN = pg.mkPen("#ffff80", width=1.5, style=QtCore.Qt.PenStyle.DashLine)
WAVE_PEN = pg.mkPen("#c8c8c8", width=1)
POSITIVE_PEN = pg.mkPen((230, 40, 40, 170), width=1)
NEGATIVE_PEN = pg.mkPen((50, 100, 240, 170), width=1)
EMPTY_FREQUENCY_RANGE_HZ = 4000.0
AMPLITUDE_HEADROOM = 1.05  # the fitted amplitude axis leaves the loudest sample 5 % below the edge
MIN_AMPLITUDE_PEAK = 1e-4  # a silent clip still gets a usable axis
# Maps are drawn as shares of their own total |relevance| (explain.engine.MAP_NORMALISATION), in percent.
SHARE_LABEL = "% of map |R|"
SHARE_HELP = (
    "Colours show each bin's share of this map's total |relevance|, in percent (negative: evidence against). "
    "Each map is divided by its own total so the two models compare as shares: their raw values decompose "
    "different quantities (dB bins of the input spectrogram vs STFT coefficients of the waveform)."
)
BACKGROUND_LUT = np.linspace(0, 215, 256).astype(np.ubyte)[:, None].repeat(3, axis=1)  # black..light grey


def format_hz(hz: float) -> str:
    if abs(hz) >= 1000:
        return f"{hz / 1000:g}k"
    return f"{hz:.0f}"


def format_relevance(value: float) -> str:
    return f"{value:+.3g}"


class Pane(QtCore.QObject):
    """One plot on the shared time axis, with the playhead, cursor and selection every pane shows."""

    def __init__(self, name: str, title: str, left_axis: pg.AxisItem | None = None):
        super().__init__()
        self.name = name
        self.title = title
        self.view = TimeViewBox()
        axis_items = {"bottom": TimeAxisItem()} | ({"left": left_axis} if left_axis is not None else {})
        self.plot = pg.PlotItem(viewBox=self.view, axisItems=axis_items)
        self.plot.setTitle(title, size="10pt")
        self.plot.titleLabel.setToolTip(f"{tip('pane_' + name)}\n\n{tip('red_blue')}")
        self.plot.setLabel("bottom", "time (s)")
        self.plot.getAxis("left").setWidth(LEFT_AXIS_WIDTH)
        self.plot.setClipToView(True)
        self.plot.hideButtons()  # pyqtgraph's unlabelled "A" (auto-range): the zoom buttons and Ctrl+F replace it
        self.side_item: pg.GraphicsObject | None = None  # drawn right of the plot (colour bar)
        self.time_span = 0.0  # the recording's duration: readouts read a clock on long ones, as the axis does
        self.selection = pg.LinearRegionItem(movable=False, brush=SELECTION_BRUSH, pen=pg.mkPen(None))
        self.selection.setZValue(20)
        self.selection.hide()
        self.cursor = pg.InfiniteLine(angle=90, pen=CURSOR_PEN, movable=False)
        self.playhead = pg.InfiniteLine(angle=90, pen=PLAYHEAD_PEN, movable=False)
        self.playhead.setZValue(30)
        self.playhead.hide()
        for item in (self.selection, self.cursor, self.playhead):
            self.plot.addItem(item, ignoreBounds=True)
        self._drawn: tuple[float, float, float] | None = None  # (first s, last s, view width s) drawn last
        self._redraw_timer = QtCore.QTimer(self, singleShot=True, interval=0)
        self._redraw_timer.timeout.connect(self._redraw_for_view)
        self._settle_timer = QtCore.QTimer(self, singleShot=True, interval=REDRAW_SETTLE_MS)
        self._settle_timer.timeout.connect(self._redraw_for_view)
        self.view.sigXRangeChanged.connect(lambda *_: self._view_moved())
        self.view.sigResized.connect(lambda *_: self._redraw_timer.start())
        self.zoom_buttons = VerticalZoomButtons(self)

    def _view_moved(self) -> None:
        """Redraw now unless the last drawing still covers the view (see REDRAW_ZOOM_TOLERANCE)."""
        x0, x1 = self.view.viewRange()[0]
        drawn = self._drawn
        if drawn is not None and drawn[0] <= x0 and x1 <= drawn[1]:
            if 1 / REDRAW_ZOOM_TOLERANCE <= (x1 - x0) / drawn[2] <= REDRAW_ZOOM_TOLERANCE:
                self._settle_timer.start()
                return
        self._redraw_timer.start()

    def _redraw_for_view(self) -> None:
        self._settle_timer.stop()
        t0, t1, _ = self.padded_span()
        x0, x1 = self.view.viewRange()[0]
        self._drawn = (t0, t1, x1 - x0)
        self.redraw()

    def full_y_range(self) -> tuple[float, float]:
        """The vertical range that shows all of the data (amplitude or frequency)."""
        return tuple(self.view.viewRange()[1])

    def fit_vertical(self) -> None:
        self.view.setYRange(*self.full_y_range(), padding=0)

    def zoom_vertical(self, factor: float) -> None:
        """factor < 1 zooms in around the middle of the visible range, never beyond the data."""
        low, high = self.view.viewRange()[1]
        full_low, full_high = self.full_y_range()
        centre, half = (low + high) / 2, (high - low) * factor / 2
        half = min(half, (full_high - full_low) / 2)
        centre = min(max(centre, full_low + half), full_high - half)
        self.view.setYRange(centre - half, centre + half, padding=0)
        self.view.sigRangeChangedManually.emit(self.view.state["mouseEnabled"])

    def set_note(self, note: str) -> None:
        """A short remark after the title (e.g. what the map leaves out); empty for none."""
        self.plot.setTitle(f"{self.title}  ·  {note}" if note else self.title, size="10pt")

    def padded_span(self) -> tuple[float, float, int]:
        """(start s, end s, pixels) of the visible time range widened by VIEW_MARGIN on each side."""
        x0, x1 = self.view.viewRange()[0]
        margin = (x1 - x0) * VIEW_MARGIN
        return x0 - margin, x1 + margin, max(64, int(self.view.width() * (1 + 2 * VIEW_MARGIN)))

    def set_selection(self, start: float, end: float, low_hz: float | None = None, high_hz: float | None = None):
        self.selection.setRegion((start, end))
        self.selection.show()

    def clear_selection(self) -> None:
        self.selection.hide()

    def set_playhead(self, seconds: float | None) -> None:
        self.playhead.setVisible(seconds is not None)
        if seconds is not None:
            self.playhead.setValue(seconds)

    def schedule_redraw(self) -> None:
        """Redraw once control returns to the event loop (several requests make one redraw)."""
        self._redraw_timer.start()

    def redraw(self) -> None:
        """Redraw the visible range; panes with data override this."""

    def time_text(self, seconds: float) -> str:
        return f"t = {format_reading(seconds, self.time_span)}"

    def readout(self, seconds: float, y: float) -> str:
        return self.time_text(seconds)


class WaveformPane(Pane):
    """The waveform with the waveform model's per-sample relevance as bars from zero (one per screen column)."""

    def __init__(self):
        super().__init__("waveform", "Waveform · waveform model relevance (red: for the class, blue: against)")
        self.plot.setLabel("left", "amplitude")
        self.plot.getAxis("left").setToolTip(tip("amplitude"))
        self.plot.getAxis("left").enableAutoSIPrefix(False)  # "×0.001" beside a quiet clip's axis says less than 0.02
        # The relevance scale sits in the colour-bar column (not inside the plot), so every pane's time axis
        # has the same width and the panes line up.
        self.relevance_axis = pg.AxisItem("right")
        self.relevance_axis.linkToView(self.view)
        self.relevance_axis.setLabel("relevance")
        self.relevance_axis.enableAutoSIPrefix(False)
        self.relevance_axis.setToolTip(tip("relevance_axis"))
        self.side_item = self.relevance_axis
        # The relevance as one bar per screen column from zero (pairs of points), not a filled curve: pyqtgraph
        # fills a curve as ~50 small paths per redraw, ~9 ms a frame while panning an hour (cProfile).
        self.positive = pg.PlotCurveItem(pen=POSITIVE_PEN, connect="pairs")
        self.negative = pg.PlotCurveItem(pen=NEGATIVE_PEN, connect="pairs")
        self.wave = pg.PlotCurveItem(pen=WAVE_PEN)
        for item in (self.positive, self.negative, self.wave):
            self.plot.addItem(item)
        self.view.setYRange(-1.05, 1.05, padding=0)
        self.view.setLimits(yMin=-2.0, yMax=2.0)
        self.fit_to_audio = True  # False (live mode): a fixed ±1 axis that does not jump with every block
        self.amplitude_peak = 1.0  # the peak the amplitude axis is fitted to; the relevance curve is drawn to it
        self.peaks: PeakPyramid | None = None
        self.rate = 1
        self.relevance: PeakPyramid | None = None
        self.relevance_rate = 1
        self.sign_filter = "all"
        self.scale = 1.0

    def set_audio(self, peaks: PeakPyramid, rate: int) -> None:
        self.peaks, self.rate = peaks, rate
        if self.fit_to_audio:
            self.amplitude_peak = min(1.0, max(MIN_AMPLITUDE_PEAK, peaks.peak()))
            self.plot.setLabel("left", f"amplitude (peak {peaks.peak():.3g})" if peaks.peak() < 0.5 else "amplitude")
            self.relevance_axis.setScale(self.scale / self.amplitude_peak)
        self.clear_relevance()

    def full_y_range(self) -> tuple[float, float]:
        return -self.amplitude_peak * AMPLITUDE_HEADROOM, self.amplitude_peak * AMPLITUDE_HEADROOM

    def set_relevance(self, relevance: PeakPyramid, rate: int) -> None:
        self.relevance, self.relevance_rate = relevance, rate
        self._redraw_timer.start()

    def clear_relevance(self) -> None:
        self.relevance = None
        self._redraw_timer.start()

    def set_display(self, settings: DisplaySettings, scale: float) -> None:
        self.sign_filter, self.scale = settings.sign_filter, scale
        self.relevance_axis.setScale(scale / self.amplitude_peak)
        for curve in (self.positive, self.negative):
            curve.setOpacity(settings.opacity)
        self._redraw_timer.start()

    def redraw(self) -> None:
        if self.peaks is None:
            return
        t0, t1, pixels = self.padded_span()
        x, low, high = self.peaks.envelope(math.floor(t0 * self.rate), math.ceil(t1 * self.rate) + 1, pixels)
        self.wave.setData(np.repeat(x / self.rate, 2), np.column_stack([low, high]).ravel())
        self._redraw_relevance(t0, t1, pixels)

    def _redraw_relevance(self, t0: float, t1: float, pixels: int) -> None:
        if self.relevance is None:
            self.positive.setData([], [])
            self.negative.setData([], [])
            return
        rate = self.relevance_rate
        x, low, high = self.relevance.envelope(math.floor(t0 * rate), math.ceil(t1 * rate) + 1, pixels)
        seconds = x / rate
        upper = np.maximum(high, 0.0)
        lower = np.minimum(low, 0.0)
        if self.sign_filter == "absolute":
            upper, lower = np.maximum(upper, -lower), None
        elif self.sign_filter == "positive":
            lower = None
        elif self.sign_filter == "negative":
            upper = None
        for curve, values, reduce in ((self.positive, upper, np.maximum), (self.negative, lower, np.minimum)):
            if values is None:
                curve.setData([], [])
                continue
            x, values = one_per_column(seconds, values, t0, t1, pixels, reduce)
            heights = np.clip(values / self.scale, -1.0, 1.0) * self.amplitude_peak
            curve.setData(np.repeat(x, 2), np.column_stack([np.zeros_like(heights), heights]).ravel())

    def readout(self, seconds: float, y: float) -> str:
        parts = [self.time_text(seconds)]
        if self.peaks is not None and 0 <= seconds * self.rate < len(self.peaks):
            parts.append(f"amplitude = {self.peaks.values[int(seconds * self.rate)]:+.3f}")
        value = self.relevance.value(int(seconds * self.relevance_rate)) if self.relevance is not None else None
        if value is not None:
            parts.append(f"R(waveform model) = {format_relevance(value)}")
        return "   ".join(parts)


class FrequencyAxis(pg.AxisItem):
    """A left axis in Hz whatever the display scale (linear, log, mel); ticks at round frequencies."""

    def __init__(self):
        super().__init__("left")
        self.hz_scale = FREQUENCY_SCALES["linear"]
        self.enableAutoSIPrefix(False)
        self.setLabel("frequency (Hz)")

    def set_hz_scale(self, scale) -> None:
        self.hz_scale = scale
        self.picture = None
        self.update()

    def tickValues(self, minVal, maxVal, size):
        if not self.hz_scale.nice_hz:
            return super().tickValues(minVal, maxVal, size)
        low_hz, high_hz = self.hz_scale.to_hz([minVal, maxVal])
        ticks = [hz for hz in self.hz_scale.nice_hz if low_hz <= hz <= high_hz]
        if len(ticks) < 2:  # zoomed in between the nice frequencies: plain round Hz instead of a bare axis
            return [(1.0, list(self.hz_scale.to_display(round_hz_ticks(low_hz, high_hz, size / 28))))]
        keep_every = max(1, math.ceil(len(ticks) / max(2, size / 28)))
        return [(1.0, list(self.hz_scale.to_display(ticks[::keep_every])))]

    def tickStrings(self, values, scale, spacing):
        return [format_hz(hz) for hz in self.hz_scale.to_hz(values)]


class _ImageLayer:
    """One map on a time-frequency grid: the image item, the full-resolution data and its pyramid."""

    def __init__(self, item: pg.ImageItem):
        self.item = item
        self.pyramid: ColumnPyramid | None = None
        self.grid = None
        self.mapping: RowMapping | None = None

    def set_data(self, pyramid: ColumnPyramid | None, grid, scale) -> None:
        self.pyramid, self.grid = pyramid, grid
        self.mapping = RowMapping(grid.band_frequencies(), scale) if grid is not None else None
        if pyramid is None:
            self.item.clear()

    def set_frequency_scale(self, scale) -> None:
        if self.grid is not None:
            self.mapping = RowMapping(self.grid.band_frequencies(), scale)

    def _column_timing(self) -> tuple[float, float]:
        """(left edge of column 0 in s, column width in s)."""
        framing = self.grid.framing
        step = framing.hop_length / self.grid.sample_rate
        return float(framing.frame_times(1, self.grid.sample_rate)[0]) - step / 2, step

    def columns(self, t0: float, t1: float) -> tuple[int, int]:
        """The grid columns [start, stop) that the times t0..t1 touch."""
        left, step = self._column_timing()
        return math.floor((t0 - left) / step), math.ceil((t1 - left) / step)

    def redraw(self, t0: float, t1: float, columns: int, transform=None) -> None:
        if self.pyramid is None:
            return
        left, step = self._column_timing()
        image, first, stride = self.pyramid.view(*self.columns(t0, t1), columns)
        if image.shape[1] == 0:  # a map of part of the clip (a selection's) lies outside the view
            self.item.clear()
            return
        image = self.mapping.apply(image if transform is None else transform(image))
        self.item.setImage(image, autoLevels=False)
        self.item.setRect(
            QtCore.QRectF(
                left + first * step,
                self.mapping.low,
                image.shape[1] * stride * step,
                self.mapping.high - self.mapping.low,
            )
        )

    def value_at(self, seconds: float, y: float) -> float | None:
        if self.pyramid is None:
            return None
        left, step = self._column_timing()
        if not self.mapping.low <= y <= self.mapping.high:
            return None
        band = int(self.mapping.band_at(self.mapping.scale.to_hz(y)))
        return self.pyramid.value(band, int((seconds - left) // step))


class SpectrogramPane(Pane):
    """A greyscale spectrogram with a relevance map overlaid (diverging colours, alpha grows with |R|)."""

    tileWanted = QtCore.Signal(object)  # TileRequest: the staged spectrogram has nothing this sharp for the view

    def __init__(self, name: str, title: str, relevance_label: str):
        self.frequency_axis = FrequencyAxis()
        super().__init__(name, title, left_axis=self.frequency_axis)
        self.relevance_label = relevance_label
        self.background = _ImageLayer(pg.ImageItem(axisOrder="row-major"))
        self.background.item.setLookupTable(BACKGROUND_LUT)
        self.overlay = _ImageLayer(pg.ImageItem(axisOrder="row-major"))
        self.overlay.item.setZValue(10)
        self.plot.addItem(self.background.item)
        self.plot.addItem(self.overlay.item)
        self.colorbar = pg.ColorBarItem(
            values=(-1, 1),
            colorMap=pg.ColorMap([0.0, 1.0], [(0, 0, 0), (255, 255, 255)]),
            interactive=False,
            label=SHARE_LABEL,  # short: a longer label collides with the next pane's on a 768 px screen
            width=14,
            colorMapMenu=False,
        )
        self.colorbar.setToolTip(f"{tip('colour_bar')} {SHARE_HELP}\n\n{tip('red_blue')}")
        self.frequency_axis.setToolTip(tip("frequency_axis"))
        self.side_item = self.colorbar
        self.frequency_scale = FREQUENCY_SCALES["linear"]
        self.sign_filter = "all"
        self.box = QtWidgets.QGraphicsRectItem()  # the time-frequency part of a selection
        self.box.setPen(BOX_PEN)
        self.box.setBrush(QtGui.QBrush(QtCore.Qt.BrushStyle.NoBrush))
        self.box.setZValue(25)
        self.box.hide()
        self.plot.addItem(self.box, ignoreBounds=True)
        self.staged: StagedSpectrogram | None = None
        self.view.setYRange(0.0, EMPTY_FREQUENCY_RANGE_HZ, padding=0)  # before any clip: Hz ticks, not "0 0 0 -0"

    def set_spectrogram(self, pyramid: ColumnPyramid, grid, db_range: tuple[float, float]) -> None:
        """A complete spectrogram: show it and every frequency."""
        self.staged = None
        self.background.set_data(pyramid, grid, self.frequency_scale)
        self.background.item.setLevels(db_range)
        self._show_every_frequency()

    def show_staged(self, staged: StagedSpectrogram) -> None:
        """A long clip's spectrogram, drawn from its best stage at each redraw; shows every frequency now, so
        later stages change only the pixels, never the view."""
        self.staged = staged
        self.background.set_data(None, staged.grid, self.frequency_scale)
        self._show_every_frequency()

    def full_y_range(self) -> tuple[float, float]:
        mapping = self.background.mapping
        return (mapping.low, mapping.high) if mapping is not None else super().full_y_range()

    def _show_every_frequency(self) -> None:
        mapping = self.background.mapping
        self.view.setLimits(yMin=mapping.low, yMax=mapping.high)
        self.view.setYRange(mapping.low, mapping.high, padding=0)
        self._redraw_timer.start()

    def set_relevance(self, pyramid: ColumnPyramid | None, grid) -> None:
        self.overlay.set_data(pyramid, grid, self.frequency_scale)
        self._redraw_timer.start()

    def set_display(self, settings: DisplaySettings, scale: float) -> None:
        self.sign_filter = settings.sign_filter
        levels = colormaps.value_range(settings.sign_filter, scale)
        self.overlay.item.setLookupTable(colormaps.overlay_lut(settings.colormap, settings.sign_filter))
        self.overlay.item.setLevels(levels)
        self.overlay.item.setOpacity(settings.opacity)
        table = colormaps.colour_table(settings.colormap, settings.sign_filter)
        self.colorbar.setColorMap(pg.ColorMap(np.linspace(0.0, 1.0, len(table)), table))
        self.colorbar.setLevels(levels)
        if settings.frequency_axis != self.frequency_scale.name:
            self.set_frequency_scale(settings.frequency_axis)
        self._redraw_timer.start()

    def set_frequency_scale(self, name: str) -> None:
        old = self.background.mapping
        visible = self.view.viewRange()[1]
        visible_hz = old.scale.to_hz(visible) if old is not None else None
        # The whole old range stays the whole new range: through Hz, log would clamp its bottom at 20 Hz and
        # a later switch back would then hide half of the 0 Hz band.
        tolerance = 1e-3 * (old.high - old.low) if old is not None else 0.0
        showed_all = old is not None and visible[0] <= old.low + tolerance and visible[1] >= old.high - tolerance
        self.frequency_scale = FREQUENCY_SCALES[name]
        self.frequency_axis.set_hz_scale(self.frequency_scale)
        for layer in (self.background, self.overlay):
            layer.set_frequency_scale(self.frequency_scale)
        mapping = self.background.mapping
        if mapping is not None:
            self.view.setLimits(yMin=mapping.low, yMax=mapping.high)
            if showed_all:
                low, high = mapping.low, mapping.high
            else:
                low, high = np.clip(self.frequency_scale.to_display(visible_hz), mapping.low, mapping.high)
            self.view.setYRange(low, high if high > low else mapping.high, padding=0)
        self._redraw_timer.start()

    def set_selection(self, start, end, low_hz=None, high_hz=None):
        super().set_selection(start, end)
        self.box.setVisible(low_hz is not None and high_hz is not None)
        self.selection.setVisible(not self.box.isVisible())  # a box alone: a full-height band would read as time
        if self.box.isVisible():
            low, high = self.frequency_scale.to_display([low_hz, high_hz])
            self.box.setRect(QtCore.QRectF(start, low, end - start, high - low))

    def clear_selection(self) -> None:
        super().clear_selection()
        self.box.hide()

    def redraw(self) -> None:
        t0, t1, pixels = self.padded_span()
        if self.staged is not None:
            self._pick_stage(t0, t1, pixels)
        self.background.redraw(t0, t1, pixels)
        sign_filter = self.sign_filter
        self.overlay.redraw(t0, t1, pixels, lambda image: colormaps.apply_sign_filter(image, sign_filter))

    def _pick_stage(self, t0: float, t1: float, pixels: int) -> None:
        visible = self.background.columns(*self.view.viewRange()[0])
        image, wanted = self.staged.pick(visible, self.background.columns(t0, t1), pixels)
        if image is not None and image.pyramid is not self.background.pyramid:
            self.background.pyramid = image.pyramid
            self.background.item.setLevels(image.db_range)
        if wanted is not None:
            self.tileWanted.emit(wanted)

    def hz_at(self, y: float) -> float:
        return float(self.frequency_scale.to_hz(y))

    def readout(self, seconds: float, y: float) -> str:
        parts = [self.time_text(seconds), f"f = {self.hz_at(y):.0f} Hz"]
        level = self.background.value_at(seconds, y)
        if level is not None:
            parts.append(f"level = {level:.1f} dB")
        relevance = self.overlay.value_at(seconds, y)
        if relevance is not None:
            parts.append(f"R({self.relevance_label}) = {format_relevance(relevance)} % of the map's |R|")
        return "   ".join(parts)
