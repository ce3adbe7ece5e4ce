"""What live mode keeps of every analysed window while it scrolls by: its relevance (the trail) and its decision
(the prediction tracks), on the scrolling history's timeline.

Qt-free. Each analysis explains one model window ending at its hop; the trail pastes every window's relevance at
its place, newer windows over older ones, each as shares of its own total |relevance| (percent), so windows of
different loudness draw on one colour scale. The tracks are the analysis view's (ui/tracks/model.py): one slot per
hop, holding the decision of the window that ended in it, "no sound" where the energy gate found the window quiet.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from ..tracks.model import ModelTrack, disagreements


def paste(timeline: np.ndarray, values: np.ndarray, step_seconds: float, start_seconds: float) -> None:
    """Write ``values`` (last axis in steps of ``step_seconds``) into ``timeline`` from ``start_seconds`` on, in
    place; what falls outside the timeline is cut off."""
    first = round(start_seconds / step_seconds)
    low, high = max(first, 0), min(first + values.shape[-1], timeline.shape[-1])
    if high > low:
        timeline[..., low:high] = values[..., low - first : high - first]


def as_shares(values: np.ndarray) -> np.ndarray:
    """``values`` as percent of their total |value| (zeros stay zeros)."""
    total = float(np.abs(values).sum(dtype=np.float64))
    return (values * (100.0 / total)).astype(np.float32) if total > 0 else np.zeros_like(values, dtype=np.float32)


@dataclass(frozen=True)
class TrailEntry:
    """One hop: the analysis of the window that ended at ``end_seconds`` (stream time), or None: gated as quiet."""

    end_seconds: float
    result: object | None  # LiveResult


class LiveTrail:
    """Every analysis (and gated hop) of the last ``view_seconds``; ``classes``: role -> class names."""

    def __init__(self, classes: dict[str, list[str]], view_seconds: float, hop_seconds: float):
        self.classes = {role: list(names) for role, names in classes.items()}
        self.view_seconds = view_seconds
        self.hop_seconds = hop_seconds
        self.entries: deque[TrailEntry] = deque()

    def add_result(self, result) -> None:
        self.entries.append(TrailEntry(result.request.end_seconds, result))

    def add_silence(self, end_seconds: float) -> None:
        self.entries.append(TrailEntry(end_seconds, None))

    def forget_before(self, start_seconds: float) -> None:
        """Drop entries whose windows have scrolled out entirely (the longest window is at most the view)."""
        while self.entries and self.entries[0].end_seconds < start_seconds:
            self.entries.popleft()

    @property
    def latest(self) -> TrailEntry | None:
        return self.entries[-1] if self.entries else None

    # --- relevance -------------------------------------------------------------------------------------------
    def samples_relevance(self, role: str, rate: int, history_start: float) -> np.ndarray:
        """The ``role`` model's per-sample relevance of every window, at ``rate``, over the history's seconds."""
        timeline = np.zeros(round(self.view_seconds * rate), dtype=np.float32)
        for entry in self._analysed():
            explanation = entry.result.explanations[role]
            start = entry.result.window_start_seconds(role) - history_start
            paste(timeline, as_shares(explanation.relevance), 1 / rate, start)
        return timeline

    def map_relevance(self, role: str, grid, n_columns: int, history_start: float) -> np.ndarray:
        """The ``role`` model's time-frequency relevance of every window on ``grid``'s columns of the history."""
        timeline = np.zeros((grid.n_bands, n_columns), dtype=np.float32)
        step = grid.framing.hop_length / grid.sample_rate
        for entry in self._analysed():
            explanation = entry.result.explanations[role]
            start = entry.result.window_start_seconds(role) - history_start
            paste(timeline, as_shares(explanation.tf_relevance), step, start)
        return timeline

    def _analysed(self):
        return (entry for entry in self.entries if entry.result is not None)

    # --- decisions -------------------------------------------------------------------------------------------
    def tracks(self, history_start: float) -> tuple[list[ModelTrack], list[tuple[float, float]]]:
        """Both models' tracks on the history's timeline (0 = its oldest sample) and where they disagree."""
        hop = self.hop_seconds
        first = math.floor(history_start / hop)
        n_slots = math.ceil(self.view_seconds / hop) + 1
        starts = (first + np.arange(n_slots)) * hop - history_start
        times = np.stack([starts, starts + hop], axis=1)
        tracks = []
        for role, classes in self.classes.items():
            probabilities = np.zeros((n_slots, len(classes)), dtype=np.float32)
            done = np.zeros(n_slots, dtype=bool)
            sound = np.zeros(n_slots, dtype=bool)
            for entry in self.entries:  # oldest first: a later window ending in the same slot wins
                slot = math.ceil(entry.end_seconds / hop - 1e-9) - 1 - first
                if not 0 <= slot < n_slots:
                    continue
                done[slot] = True
                sound[slot] = entry.result is not None
                if entry.result is not None:
                    probabilities[slot] = entry.result.explanations[role].probabilities
            tracks.append(ModelTrack(role, classes, times, probabilities, done, sound))
        marks = disagreements(tracks[0], tracks[1]) if len(tracks) == 2 else []
        return tracks, marks
