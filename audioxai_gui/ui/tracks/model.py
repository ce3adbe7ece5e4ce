"""What the prediction tracks show, Qt-free: each model's top class per window, events, disagreements.

A track is one model's decisions over the recording: per window its top class and that class's
probability (the confidence), "no sound" where the window holds only silence, nothing where the window
is not explained yet. Events are the sound event segments (explain/segments.py); a disagreement is a
stretch where both models heard sound and name different classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ...explain.segments import LEVEL_FRAME_S, Segment, SegmentRules, find_segments

NOT_DONE = -1
NO_SOUND = -2


@dataclass
class ModelTrack:
    """One model's track; built once and not changed afterwards (its top classes and centres are computed once)."""

    role: str
    classes: list[str]
    times: np.ndarray  # (n, 2) window start and end, seconds
    probabilities: np.ndarray  # (n, classes); rows of windows not explained are zero
    done: np.ndarray  # (n,) bool
    has_sound: np.ndarray  # (n,) bool
    segments: list[Segment] = field(default_factory=list)

    @cached_property
    def top(self) -> np.ndarray:
        """Per window: the top class index, NOT_DONE or NO_SOUND."""
        top = self.probabilities.argmax(axis=1)
        top = np.where(self.has_sound, top, NO_SOUND)
        return np.where(self.done, top, NOT_DONE)

    @cached_property
    def confidence(self) -> np.ndarray:
        return self.probabilities.max(axis=1)

    @cached_property
    def centres(self) -> np.ndarray:
        return self.times.mean(axis=1)

    @cached_property
    def segment_onsets(self) -> np.ndarray:
        """Onsets of ``segments`` (find_segments returns them in time order): visible ones found by bisection."""
        return np.array([segment.onset for segment in self.segments], dtype=np.float64)

    @cached_property
    def longest_segment(self) -> float:
        return max((segment.offset - segment.onset for segment in self.segments), default=0.0)

    def segments_in(self, x0: float, x1: float) -> list[Segment]:
        """The segments overlapping [x0, x1]."""
        first = int(np.searchsorted(self.segment_onsets, x0 - self.longest_segment, side="left"))
        stop = int(np.searchsorted(self.segment_onsets, x1, side="right"))
        return [segment for segment in self.segments[first:stop] if segment.offset >= x0]

    def window_at(self, seconds: float) -> int | None:
        """The explained window whose centre is nearest ``seconds`` among those containing it, else None."""
        inside = np.flatnonzero((self.times[:, 0] <= seconds) & (seconds <= self.times[:, 1]) & self.done)
        if inside.size == 0:
            return None
        return int(inside[np.argmin(np.abs(self.centres[inside] - seconds))])

    def label_at(self, seconds: float) -> str:
        """The class (or "no sound", "not explained yet") this model names at ``seconds``."""
        index = self.window_at(seconds)
        if index is None:
            return "not explained yet"
        return self.classes[int(self.top[index])] if self.has_sound[index] else "no sound"

    def top_classes_at(self, seconds: float, count: int = 3) -> list[tuple[str, float]]:
        index = self.window_at(seconds)
        if index is None:
            return []
        order = np.argsort(-self.probabilities[index])[:count]
        return [(self.classes[int(i)], float(self.probabilities[index, i])) for i in order]


def window_sound(sound: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Per window: whether any level frame inside it is sound (``sound`` from segments.sound_mask)."""
    first = np.clip((times[:, 0] / LEVEL_FRAME_S).astype(np.int64), 0, len(sound))
    last = np.clip(np.ceil(times[:, 1] / LEVEL_FRAME_S).astype(np.int64), 0, len(sound))
    counts = np.r_[0, np.cumsum(sound)]
    return counts[last] > counts[first]


def build_track(
    role: str,
    explanation,
    window_length: int,
    samples: np.ndarray,
    sound: np.ndarray,
    done: np.ndarray | None = None,
    rules: SegmentRules | None = None,
) -> ModelTrack:
    """The track of an engine Explanation (``done`` marks the explained windows of a partial one)."""
    rate = explanation.sample_rate
    starts = np.asarray(explanation.window_starts) / rate
    times = np.stack([starts, starts + window_length / rate], axis=1)
    probabilities = np.asarray(explanation.window_probabilities, dtype=np.float32)
    done = np.ones(len(starts), dtype=bool) if done is None else done
    segments = find_segments(
        probabilities,
        explanation.window_starts,
        window_length,
        samples,
        rate,
        explanation.classes,
        rules or SegmentRules(),
        done,
        sound,
    )
    return ModelTrack(role, list(explanation.classes), times, probabilities, done, window_sound(sound, times), segments)


def disagreements(first: ModelTrack, second: ModelTrack) -> list[tuple[float, float]]:
    """Stretches (start, end) where both models hear sound and name different classes.

    Compared at the first track's window centres; each mark spans half a hop either side of its centre.
    """
    centres = first.centres
    if centres.size == 0:
        return []
    half = (centres[1] - centres[0]) / 2 if centres.size > 1 else (first.times[0, 1] - first.times[0, 0]) / 2
    other_index = np.clip(np.searchsorted(second.centres, centres), 0, len(second.centres) - 1)
    previous = np.clip(other_index - 1, 0, len(second.centres) - 1)
    nearer = np.where(
        np.abs(second.centres[previous] - centres) < np.abs(second.centres[other_index] - centres),
        previous,
        other_index,
    )
    mine, theirs = first.top, second.top[nearer]
    differ = (mine >= 0) & (theirs >= 0) & (mine != theirs)
    marks: list[tuple[float, float]] = []
    for index in np.flatnonzero(differ):
        start, end = centres[index] - half, centres[index] + half
        if marks and start <= marks[-1][1] + 1e-9:
            marks[-1] = (marks[-1][0], end)
        else:
            marks.append((start, end))
    return marks


def next_time(times: list[float], now: float, forward: bool) -> float | None:
    """The first of ``times`` after ``now`` (forward) or before it (backward), else None."""
    epsilon = 1e-6
    if forward:
        later = [t for t in times if t > now + epsilon]
        return min(later) if later else None
    earlier = [t for t in times if t < now - epsilon]
    return max(earlier) if earlier else None
