"""The scrolling live panes: the analysis window's PaneStack, fed from the ScrollingHistory every tick.

Time on the panes runs 0..N over the history; the bottom axes label it as seconds before now, so the
right edge is always "now". Each model's relevance is drawn where its latest window sits in the history.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from .. import colormaps
from ..lod import ColumnPyramid, PeakPyramid, signed_absmax
from ..pane_stack import PaneStack
from .history import place_on_timeline

TF_PANE_OF_ROLE = {"spectrogram": "spectrogram", "waveform": "waveform_tf"}


class SecondsAgoAxis(pg.AxisItem):
    """A time axis whose labels count back from the right edge ("-3" = three seconds ago, "0" = now)."""

    def __init__(self):
        super().__init__("bottom")
        self.span = 0.0

    def tickStrings(self, values, scale, spacing):
        return [f"{value - self.span:g}" for value in values]


class LiveView:
    """The three panes of the analysis window on a scrolling history, with the latest relevance overlays."""

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
        self.result = None
        self._history = None

    def reset(self, history) -> None:
        """A new session: show all of its history and forget the previous overlays."""
        self._history, self.result = history, None
        self.stack.set_duration(history.seconds)
        for axis in self.axes.values():
            axis.span = history.seconds
        for pane in self.stack.spectrogram_panes():
            pane.set_spectrogram(ColumnPyramid(history.db, np.max), history.grid, self._levels())
            pane.set_relevance(None, None)

    def release(self) -> None:
        """The session ended: drop the history (and its resampler) and the last result."""
        self._history, self.result = None, None

    def set_result(self, result, display_settings) -> None:
        """Newest analysis: its colour scales and the display settings go to the panes now, pixels each tick."""
        self.result = result
        explanations = result.explanations
        waveform_scale = colormaps.relevance_scale(
            explanations["waveform"].relevance, display_settings.sign_filter, display_settings.clip_percentile
        )
        self.stack.panes["waveform"].set_display(display_settings, waveform_scale)
        for role, pane_name in TF_PANE_OF_ROLE.items():
            scale = colormaps.relevance_scale(
                explanations[role].tf_relevance, display_settings.sign_filter, display_settings.clip_percentile
            )
            self.stack.panes[pane_name].set_display(display_settings, scale)

    def refresh(self) -> None:
        """Redraw from the history (called every tick): new audio, overlays moved left with time."""
        history = self._history
        waveform = self.stack.panes["waveform"]
        waveform.set_audio(PeakPyramid(history.samples), history.rate)
        for pane in self.stack.spectrogram_panes():
            pane.background.set_data(ColumnPyramid(history.db, np.max), history.grid, pane.frequency_scale)
            pane.background.item.setLevels(self._levels())
        if self.result is not None:
            self._place_overlays(history)
        for pane in self.stack.spectrogram_panes():
            pane.redraw()

    def _levels(self) -> tuple[float, float]:
        """From the floor to the loudest cell shown (at least 40 dB above the floor, so silence stays dark)."""
        floor = -self._history.grid.top_db
        return floor, max(float(self._history.db.max()), floor + 40.0)

    def _place_overlays(self, history) -> None:
        result, view_seconds = self.result, history.seconds
        waveform_explanation = result.explanations["waveform"]
        start = result.window_start_seconds("waveform") - history.start_seconds
        rate = waveform_explanation.sample_rate
        samples = place_on_timeline(waveform_explanation.relevance, 1 / rate, start, view_seconds)
        self.stack.panes["waveform"].set_relevance(PeakPyramid(samples), rate)
        for role, pane_name in TF_PANE_OF_ROLE.items():
            explanation = result.explanations[role]
            grid = explanation.grid
            start = result.window_start_seconds(role) - history.start_seconds
            step = grid.framing.hop_length / grid.sample_rate
            image = place_on_timeline(explanation.tf_relevance, step, start, view_seconds)
            self.stack.panes[pane_name].set_relevance(ColumnPyramid(image, signed_absmax), grid)
