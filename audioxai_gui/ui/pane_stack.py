"""The panes stacked on one shared time axis in one GraphicsLayout (so one export captures them all).

The stack also feeds its spectrogram panes a long clip's overview and the tiles they ask for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from .clip import GridImage, StagedSpectrogram, TileRequest
from .panes import Pane, SpectrogramPane, WaveformPane
from .worker import TaskRunner

PANE_STRETCH = {"waveform": 2, "spectrogram": 3, "waveform_tf": 3}
MIN_VISIBLE_SECONDS = 0.002


@dataclass
class Selection:
    """A time range, or a time-frequency box when the drag started on a spectrogram pane."""

    start: float
    end: float
    low_hz: float | None = None
    high_hz: float | None = None


class PaneStack(QtCore.QObject):
    """Owns the panes, keeps their time axes linked, and shares cursor, selection and playhead across them."""

    readoutChanged = QtCore.Signal(str)
    selectionChanged = QtCore.Signal(object)  # Selection | None
    cursorMoved = QtCore.Signal(float)
    problem = QtCore.Signal(object)  # an exception of an overview or tile job: the window reports it

    def __init__(self, parent=None):
        super().__init__(parent)
        self.widget = pg.GraphicsLayoutWidget()
        self.widget.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)  # keys go to the window's shortcuts
        self.layout = self.widget.ci
        self.panes: dict[str, Pane] = {
            "waveform": WaveformPane(),
            "spectrogram": SpectrogramPane(
                "spectrogram",
                "Spectrogram model relevance of its input dB bins",
                "spectrogram model",
            ),
            "waveform_tf": SpectrogramPane(
                "waveform_tf",
                "Waveform model relevance of STFT coefficients (DFT-LRP)",
                "waveform model",
            ),
        }
        self.visible = dict.fromkeys(self.panes, True)
        self.extra_rows: dict[str, tuple[pg.GraphicsItem, int]] = {}  # pane name -> (item shown below it, stretch)
        self.duration = 1.0
        self.selection: Selection | None = None
        self.cursor_time = 0.0
        first = self.panes["waveform"].view
        for pane in self.panes.values():
            if pane.view is not first:
                pane.view.setXLink(first)
            pane.view.selectionDragged.connect(lambda rect, done, p=pane: self._on_drag(p, rect, done))
            pane.view.cursorClicked.connect(self.set_cursor)
        self.widget.scene().sigMouseMoved.connect(self._on_mouse_moved)
        # The overview and tiles get a thread of their own: on the window's runner they would queue behind the
        # full spectrogram and an explanation, which hold its threads for exactly as long as tiles are useful.
        self.spectrogram_jobs = TaskRunner(self, threads=1)
        self.staged: StagedSpectrogram | None = None
        self._tile_in_flight: TileRequest | None = None
        for pane in self.spectrogram_panes():
            pane.tileWanted.connect(self._compute_tile)
            pane.view.sigRangeChangedManually.connect(lambda *_, p=pane: self._link_frequencies(p))
        self.relayout()

    @property
    def time_view(self) -> pg.ViewBox:
        return self.panes["waveform"].view

    def relayout(self) -> None:
        """Put the visible panes in rows (hidden ones leave the layout, so they take no space)."""
        self.layout.clear()
        row = 0
        for name, pane in self.panes.items():
            if not self.visible[name]:
                continue
            self.layout.addItem(pane.plot, row=row, col=0)
            if pane.side_item is not None:
                self.layout.addItem(pane.side_item, row=row, col=1)
            self.layout.layout.setRowStretchFactor(row, PANE_STRETCH[name])
            row += 1
            if name in self.extra_rows:
                item, stretch = self.extra_rows[name]
                self.layout.addItem(item, row=row, col=0)
                self.layout.layout.setRowStretchFactor(row, stretch)
                row += 1

    def add_row_below(self, pane_name: str, item: pg.GraphicsItem, stretch: int = 1) -> None:
        """Show ``item`` (an extension's plot on the shared time axis) right below a pane, in every layout."""
        self.extra_rows[pane_name] = (item, stretch)
        self.relayout()

    def set_visible(self, name: str, visible: bool) -> None:
        self.visible[name] = visible
        for pane_name, pane in self.panes.items():
            pane.plot.setVisible(self.visible[pane_name])
            if pane.side_item is not None:
                pane.side_item.setVisible(self.visible[pane_name])
        self.relayout()

    def set_duration(self, seconds: float) -> None:
        """New clip: limit panning to it and show all of it."""
        self.duration = max(seconds, MIN_VISIBLE_SECONDS)
        for pane in self.panes.values():
            pane.view.setLimits(xMin=0.0, xMax=self.duration, minXRange=MIN_VISIBLE_SECONDS)
            pane.time_span = self.duration
        self.clear_selection()
        self.set_cursor(0.0)
        self.fit()

    # --- navigation -------------------------------------------------------------------------
    def time_range(self) -> tuple[float, float]:
        return tuple(self.time_view.viewRange()[0])

    def set_time_range(self, start: float, end: float) -> None:
        self.time_view.setXRange(max(0.0, start), min(self.duration, end), padding=0)

    def fit(self) -> None:
        """Show all of the clip: its whole time, every frequency and its loudest sample."""
        self.set_time_range(0.0, self.duration)
        for pane in self.panes.values():
            pane.fit_vertical()

    def _link_frequencies(self, source: SpectrogramPane) -> None:
        """The spectrogram panes show one time-frequency grid: a frequency zoom in one zooms the others."""
        low_hz, high_hz = source.frequency_scale.to_hz(source.view.viewRange()[1])
        for pane in self.spectrogram_panes():
            if pane is source or pane.background.mapping is None:
                continue
            full_low, full_high = pane.full_y_range()
            low, high = np.clip(pane.frequency_scale.to_display([low_hz, high_hz]), full_low, full_high)
            if high > low:
                pane.view.setYRange(low, high, padding=0)

    def zoom(self, factor: float) -> None:
        """factor < 1 zooms in around the centre of the view."""
        start, end = self.time_range()
        centre, half = (start + end) / 2, (end - start) * factor / 2
        self.set_time_range(centre - half, centre + half)

    def go_to(self, seconds: float) -> None:
        """Scroll so ``seconds`` is visible (keeps the zoom)."""
        start, end = self.time_range()
        width = end - start
        start = min(max(0.0, seconds - (0 if seconds <= 0 else width)), max(0.0, self.duration - width))
        self.set_time_range(start, start + width)
        self.set_cursor(seconds)

    def zoom_to_selection(self) -> None:
        if self.selection is None:
            return
        self.set_time_range(self.selection.start, self.selection.end)
        if self.selection.low_hz is not None:
            for pane in self.spectrogram_panes():
                low, high = pane.frequency_scale.to_display([self.selection.low_hz, self.selection.high_hz])
                pane.view.setYRange(low, high, padding=0)

    def spectrogram_panes(self) -> list[SpectrogramPane]:
        return [pane for pane in self.panes.values() if isinstance(pane, SpectrogramPane)]

    # --- the spectrogram in stages ---------------------------------------------------------
    def show_spectrogram(self, clip, grid) -> None:
        """A new clip: a long one shows its overview within milliseconds and tiles of the view on demand, until
        ``show_full_spectrogram``; a short one just waits for that."""
        self.spectrogram_jobs.cancel("overview")
        self._cancel_tile()
        if not clip.is_long(grid):
            self.staged = None
            return
        staged = self.staged = StagedSpectrogram(clip, grid)
        for pane in self.spectrogram_panes():
            pane.show_staged(staged)
        self.spectrogram_jobs.submit(
            "overview",
            lambda progress, cancelled: clip.overview(grid),
            on_done=lambda image: self._overview_ready(staged, image),
            on_failed=self.problem.emit,
        )

    def show_full_spectrogram(self, image: GridImage) -> None:
        """The full-resolution spectrogram: it replaces the overview and every tile."""
        if self.staged is not None and self.staged.grid == image.grid:
            self._cancel_tile()
            self.staged.set_full(image)
            self._redraw_spectrograms()
            return
        for pane in self.spectrogram_panes():
            pane.set_spectrogram(image.pyramid, image.grid, image.db_range)

    def _overview_ready(self, staged: StagedSpectrogram, image: GridImage) -> None:
        staged.overview = image
        self._redraw_spectrograms()

    def _compute_tile(self, request: TileRequest) -> None:
        """Compute the tile a pane asked for; a newer request supersedes it (the panes share one view)."""
        staged = self.staged
        if staged is None or request == self._tile_in_flight:
            return
        self._tile_in_flight = request
        self.spectrogram_jobs.submit(
            "tile",
            lambda progress, cancelled: staged.clip.tile(staged.grid, request, cancelled),
            on_done=lambda image: self._tile_ready(staged, request, image),
            on_failed=self._tile_failed,
        )

    def _cancel_tile(self) -> None:
        self.spectrogram_jobs.cancel("tile")
        self._tile_in_flight = None

    def _tile_failed(self, exc: BaseException) -> None:
        self._tile_in_flight = None  # the next view change asks again
        self.problem.emit(exc)

    def _tile_ready(self, staged: StagedSpectrogram, request: TileRequest, image: GridImage) -> None:
        self._tile_in_flight = None
        staged.add_tile(request, image)
        self._redraw_spectrograms()

    def _redraw_spectrograms(self) -> None:
        for pane in self.spectrogram_panes():
            pane.schedule_redraw()

    # --- cursor, selection, playhead --------------------------------------------------------
    def set_cursor(self, seconds: float) -> None:
        self.cursor_time = min(max(0.0, seconds), self.duration)
        for pane in self.panes.values():
            pane.cursor.setValue(self.cursor_time)
        self.clear_selection()
        self.cursorMoved.emit(self.cursor_time)

    def set_selection(self, selection: Selection | None) -> None:
        self.selection = selection
        for pane in self.panes.values():
            if selection is None:
                pane.clear_selection()
            else:
                pane.set_selection(selection.start, selection.end, selection.low_hz, selection.high_hz)
        self.selectionChanged.emit(selection)

    def clear_selection(self) -> None:
        if self.selection is not None:
            self.set_selection(None)

    def set_playhead(self, seconds: float | None) -> None:
        for pane in self.panes.values():
            pane.set_playhead(seconds)

    def _on_drag(self, pane: Pane, rect: QtCore.QRectF, finished: bool) -> None:
        start, end = max(0.0, rect.left()), min(self.duration, rect.right())
        if end <= start:
            return
        if isinstance(pane, SpectrogramPane):
            low, high = sorted((pane.hz_at(rect.top()), pane.hz_at(rect.bottom())))
            self.set_selection(Selection(start, end, low, high))
        else:
            self.set_selection(Selection(start, end))

    def _on_mouse_moved(self, scene_pos) -> None:
        for name, pane in self.panes.items():
            if self.visible[name] and pane.view.sceneBoundingRect().contains(scene_pos):
                point = pane.view.mapSceneToView(scene_pos)
                self.readoutChanged.emit(pane.readout(point.x(), point.y()))
                return
