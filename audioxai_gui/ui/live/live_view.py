"""The scrolling live panes: the analysis window's PaneStack, fed from the ScrollingHistory every tick.

Time on the panes runs 0..N over the history; the bottom axes label it as seconds before now, so the
right edge is always "now". Every analysed window's relevance stays where its window sits and scrolls left
with the spectrogram (the trail, ui/live/trail.py); the prediction tracks under the waveform are the analysis
view's, one slot per hop.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from .. import colormaps
from ..lod import ColumnPyramid, PeakPyramid, signed_absmax
from ..pane_stack import PaneStack
from ..tracks.widget import TracksPlot
from .trail import LiveTrail, as_shares

TF_PANE_OF_ROLE = {"spectrogram": "spectrogram", "waveform": "waveform_tf"}


class SecondsAgoAxis(pg.AxisItem):
    """A time axis whose labels count back from the right edge ("-3" = three seconds ago, "0" = now)."""

    def __init__(self):
        super().__init__("bottom")
        self.span = 0.0

    def tickStrings(self, values, scale, spacing):
        return [f"{value - self.span:g}" for value in values]


class LiveView:
    """The three panes of the analysis window on a scrolling history, with every window's relevance and the
    prediction tracks."""

    def __init__(self):
        self.stack = PaneStack()
        self.widget = self.stack.widget
        self.axes = {}
        self.stack.panes["waveform"].fit_to_audio = False  # a fixed ±1 axis: fitting each block would jump
        for name, pane in self.stack.panes.items():
            axis = SecondsAgoAxis()
            pane.plot.setAxisItems({"bottom": axis})
            pane.plot.setLabel("bottom", "seconds before now")
            self.axes[name] = axis
        self.tracks_plot = TracksPlot(self.stack.time_view)
        self.stack.add_row_below("waveform", self.tracks_plot)
        self.trail: LiveTrail | None = None
        self.tracks: list = []
        self._history = None
        self._models: dict = {}

    def reset(self, history, models: dict, hop_seconds: float) -> None:
        """A new session: show all of its history and forget the previous session's windows."""
        self._history, self._models = history, dict(models)
        self.trail = LiveTrail(
            {role: model.card.classes for role, model in models.items()}, history.seconds, hop_seconds
        )
        self.stack.set_duration(history.seconds)
        for axis in self.axes.values():
            axis.span = history.seconds
        for pane in self.stack.spectrogram_panes():
            pane.set_spectrogram(ColumnPyramid(history.db, np.max), history.grid, self._levels())
            pane.set_relevance(None, None)
        self.tracks_plot.set_tracks([], [], history.seconds)

    def release(self) -> None:
        """The session ended: drop the history (and its resampler) and the trail."""
        self._history, self.trail, self._models = None, None, {}

    @property
    def result(self):
        """The newest analysis on screen (None before the first)."""
        analysed = [entry.result for entry in self.trail.entries if entry.result is not None] if self.trail else []
        return analysed[-1] if analysed else None

    def set_result(self, result, display_settings) -> None:
        """Newest analysis: the colour scales follow its maps (as shares of its own |relevance|, like the trail)."""
        explanations = result.explanations
        waveform_scale = colormaps.relevance_scale(
            as_shares(explanations["waveform"].relevance),
            display_settings.sign_filter,
            display_settings.clip_percentile,
        )
        self.stack.panes["waveform"].set_display(display_settings, waveform_scale)
        for role, pane_name in TF_PANE_OF_ROLE.items():
            scale = colormaps.relevance_scale(
                as_shares(explanations[role].tf_relevance),
                display_settings.sign_filter,
                display_settings.clip_percentile,
            )
            self.stack.panes[pane_name].set_display(display_settings, scale)

    def refresh(self) -> None:
        """Redraw from the history (called every tick): new audio, every window's relevance moved left with time."""
        history = self._history
        waveform = self.stack.panes["waveform"]
        waveform.set_audio(PeakPyramid(history.samples), history.rate)
        for pane in self.stack.spectrogram_panes():
            pane.background.set_data(ColumnPyramid(history.db, np.max), history.grid, pane.frequency_scale)
            pane.background.item.setLevels(self._levels())
        start = history.start_seconds
        self.trail.forget_before(start)
        if self.result is not None:
            self._place_overlays(history)
        self.tracks, marks = self.trail.tracks(start)
        self.tracks_plot.set_tracks(self.tracks, marks, history.seconds)
        for pane in self.stack.spectrogram_panes():
            pane.redraw()

    def _levels(self) -> tuple[float, float]:
        """From the floor to the loudest cell shown (at least 40 dB above the floor, so silence stays dark)."""
        floor = -self._history.grid.top_db
        return floor, max(float(self._history.db.max()), floor + 40.0)

    def _place_overlays(self, history) -> None:
        start = history.start_seconds
        rate = self._models["waveform"].card.sample_rate
        samples = self.trail.samples_relevance("waveform", rate, start)
        self.stack.panes["waveform"].set_relevance(PeakPyramid(samples), rate)
        for role, pane_name in TF_PANE_OF_ROLE.items():
            grid = self.result.explanations[role].grid
            n_columns = round(history.seconds * grid.sample_rate / grid.framing.hop_length)
            image = self.trail.map_relevance(role, grid, n_columns, start)
            self.stack.panes[pane_name].set_relevance(ColumnPyramid(image, signed_absmax), grid)
