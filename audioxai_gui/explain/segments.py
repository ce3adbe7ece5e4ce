"""Sound event segments: when a model hears what, as (onset, offset, label, confidence) per model.

A long recording holds many decisions, one per model window. Consecutive windows whose top class is the
same, confident enough and over sound (not silence) merge into one segment; its onset and offset are then
taken from the level envelope inside those windows (a 1 s window says *that* a digit is in it, the level
says *where*). Overlapping segments of different classes (a window catching the edge of a sound) are
resolved in favour of the one with more evidence: confidence times duration. Exported as DCASE,
Audacity or Raven files via ``annotate.formats``, or turned into editable regions.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..annotate.regions import Region

LEVEL_FRAME_S = 0.01
"""Hop and length of the level envelope's frames."""
GAP_BRIDGE_S = 0.15
"""Quieter stretches shorter than this inside a sound (a stop consonant) do not split it."""
MIN_SOUND_S = 0.05
"""Sounds shorter than this (clicks) are not events."""
MAX_OVERLAP = 0.5
"""A segment overlapping a better one (of another class) by more than this fraction of its length is dropped."""


@dataclass(frozen=True)
class SegmentRules:
    """When windows count as an event: top-class probability and level (dB below the recording's loud parts)."""

    min_confidence: float = 0.5
    min_level_db: float = -35.0

    def validate(self) -> None:
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ValueError(f"confidence threshold {self.min_confidence} is outside 0..1")
        if self.min_level_db >= 0:
            raise ValueError(f"level threshold {self.min_level_db} dB must be below 0 dB (the loud parts)")


@dataclass(frozen=True)
class Segment:
    onset: float
    offset: float
    label: str
    confidence: float

    def to_region(self, model_role: str) -> Region:
        """An editable region holding this event (label = class; the note says who found it, how sure)."""
        return Region(self.onset, self.offset, label=self.label, note=f"{model_role} model, {self.confidence:.0%}")


def sound_mask(samples: np.ndarray, sample_rate: int, min_level_db: float) -> np.ndarray:
    """Per LEVEL_FRAME_S frame: whether it is sound (RMS within ``min_level_db`` of the 99th-percentile frame).

    Relative to the recording's loud parts, so a quiet recording's events count as much as a loud one's;
    short gaps are bridged and too-short blips dropped.
    """
    frame = max(1, round(LEVEL_FRAME_S * sample_rate))
    n_frames = max(1, len(samples) // frame)
    frames = np.asarray(samples[: n_frames * frame], dtype=np.float32).reshape(n_frames, -1)
    power = np.einsum("ij,ij->i", frames, frames, dtype=np.float64) / frames.shape[1]  # no squared copy of an hour
    level = 10 * np.log10(power + 1e-20)
    reference = np.percentile(level, 99)
    mask = level >= reference + min_level_db
    _fill_runs(mask, False, round(GAP_BRIDGE_S / LEVEL_FRAME_S))
    _fill_runs(mask, True, round(MIN_SOUND_S / LEVEL_FRAME_S))
    return mask


def _fill_runs(mask: np.ndarray, value: bool, shorter_than: int) -> None:
    """Flip runs of ``value`` shorter than ``shorter_than`` frames, in place (gaps: only between sounds)."""
    for start, stop in _runs(mask == value):
        between_sounds = value or (start > 0 and stop < len(mask))
        if stop - start < shorter_than and between_sounds:
            mask[start:stop] = not value


def find_segments(
    window_probabilities: np.ndarray,
    window_starts: np.ndarray,
    window_length: int,
    samples: np.ndarray,
    sample_rate: int,
    classes: list[str],
    rules: SegmentRules = SegmentRules(),
    done: np.ndarray | None = None,
    sound: np.ndarray | None = None,
) -> list[Segment]:
    """Segments from per-window probabilities (windows at ``window_starts`` samples, ``window_length`` long).

    ``done`` marks the windows explained so far (a partly explained recording has segments where it is known);
    ``sound``: ``sound_mask`` of ``samples`` with ``rules.min_level_db``, when the caller has it already.
    """
    rules.validate()
    sound = sound_mask(samples, sample_rate, rules.min_level_db) if sound is None else sound
    frame = max(1, round(LEVEL_FRAME_S * sample_rate))
    n = len(window_starts)
    done = np.ones(n, dtype=bool) if done is None else done
    top = window_probabilities.argmax(axis=1)
    confidence = window_probabilities.max(axis=1)
    first_frame = np.clip(np.asarray(window_starts) // frame, 0, len(sound))
    last_frame = np.clip((np.asarray(window_starts) + window_length) // frame, 0, len(sound))
    sound_before = np.r_[0, np.cumsum(sound)]  # sound frames before each frame: any sound in a window, at once
    has_sound = sound_before[last_frame] > sound_before[first_frame]
    eligible = done & has_sound & (confidence >= rules.min_confidence)

    # Runs of consecutive eligible windows of one class, then the sound inside each run: all as array operations
    # (an hour has thousands of runs).
    key = np.where(eligible, top, -1)
    run_starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if n else np.zeros(0, dtype=np.int64)
    run_stops = np.r_[run_starts[1:], n].astype(np.int64)
    chosen = key[run_starts] >= 0
    run_starts, run_stops = run_starts[chosen], run_stops[chosen]
    confidence_before = np.r_[0.0, np.cumsum(confidence, dtype=np.float64)]
    run_confidence = (confidence_before[run_stops] - confidence_before[run_starts]) / (run_stops - run_starts)
    first, last = first_frame[run_starts], last_frame[run_stops - 1]  # each run's frames [first, last)
    sound_on, sound_off = _run_edges(sound)
    from_run = np.searchsorted(sound_off, first, side="right").tolist()  # the first sound ending after a run starts
    to_run = np.searchsorted(sound_on, last, side="left").tolist()  # the sounds starting before it ends
    sound_on, sound_off, first, last = sound_on.tolist(), sound_off.tolist(), first.tolist(), last.tolist()
    labels = [classes[int(t)] for t in top[run_starts]]
    candidates = [
        Segment(
            max(sound_on[j], first[r]) * frame / sample_rate,  # plain floats: they reach Qt models
            min(sound_off[j], last[r]) * frame / sample_rate,
            labels[r],
            float(run_confidence[r]),
        )
        for r in range(len(labels))
        for j in range(from_run[r], to_run[r])
    ]
    return _suppress_overlaps(candidates)


def _run_edges(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and stops of the runs of True in ``mask``."""
    edges = np.flatnonzero(np.diff(np.r_[False, mask, False].astype(np.int8)))
    return edges[::2], edges[1::2]


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    return list(zip(*(edges.tolist() for edges in _run_edges(mask)), strict=True))


def _suppress_overlaps(candidates: list[Segment]) -> list[Segment]:
    """Keep the segments in order of confidence x length, each unless it lies more than MAX_OVERLAP inside a kept
    segment of another class. Only kept segments near in time are compared (an hour has thousands)."""
    kept: list[Segment] = []  # by onset
    onsets: list[float] = []
    longest = max((s.offset - s.onset for s in candidates), default=0.0)
    for segment in sorted(candidates, key=lambda s: -s.confidence * (s.offset - s.onset)):
        length = max(segment.offset - segment.onset, 1e-9)
        overlap = 0.0
        index = bisect.bisect_left(onsets, segment.offset) - 1
        while index >= 0 and onsets[index] >= segment.onset - longest:
            other = kept[index]
            if other.label != segment.label:
                overlap = max(overlap, min(segment.offset, other.offset) - max(segment.onset, other.onset))
            index -= 1
        if overlap / length <= MAX_OVERLAP:
            position = bisect.bisect_right(onsets, segment.onset)
            onsets.insert(position, segment.onset)
            kept.insert(position, segment)
    return _merge_touching(kept)


def _merge_touching(segments: list[Segment]) -> list[Segment]:
    """Same-class segments that overlap (two runs split by one unsure window) become one."""
    merged: list[Segment] = []
    for segment in segments:
        last = merged[-1] if merged else None
        if last is not None and last.label == segment.label and segment.onset <= last.offset:
            merged[-1] = Segment(
                last.onset, max(last.offset, segment.offset), last.label, max(last.confidence, segment.confidence)
            )
        else:
            merged.append(segment)
    return merged


def segments_from_explanation(
    explanation, samples: np.ndarray, window_length: int, rules: SegmentRules = SegmentRules()
) -> list[Segment]:
    """Segments of an engine ``Explanation`` of ``samples`` (at the explanation's rate, model windows of
    ``window_length`` samples)."""
    return find_segments(
        explanation.window_probabilities,
        explanation.window_starts,
        window_length,
        samples,
        explanation.sample_rate,
        explanation.classes,
        rules,
    )


EXPORT_FORMATS = {"dcase": ".events.tsv", "audacity": ".txt", "raven": ".selections.txt"}
"""Event list formats (names in ``annotate.formats.FORMATS``) and their file endings."""


def write_segments(
    path: str | Path, segments: list[Segment], model_role: str, sample_rate: int, format: str = "dcase"
) -> list[str]:
    """Write ``segments`` with the annotation format ``format`` (atomically); returns what it could not keep
    beyond the confidence notes, which only Raven keeps."""
    from ..annotate.formats import write_regions

    if format not in EXPORT_FORMATS:
        raise ValueError(f"event format {format!r} is not one of {', '.join(EXPORT_FORMATS)}")
    regions = [segment.to_region(model_role) for segment in segments]
    return [w for w in write_regions(path, regions, format, sample_rate=sample_rate) if "note" not in w]
