"""Recordings of known events, made by laying clips end to end with silence between (tests, benchmarks).

A long recording whose true onsets and labels we know lets tests and benchmarks check when a model hears
what; the clips come from the FSDD copy in ``../shared/data/fsdd`` or any other labelled folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .io import load_audio


@dataclass
class ComposedRecording:
    samples: np.ndarray
    sample_rate: int
    onsets: list[float]  # seconds, one per clip
    offsets: list[float]
    labels: list[str]


def compose_recording(
    clips: list[tuple[Path, str]], sample_rate: int, gap_s: float, lead_s: float = 1.0, length_s: float | None = None
) -> ComposedRecording:
    """``clips`` (path, label) at ``sample_rate``, ``lead_s`` of silence first and ``gap_s`` between; padded with
    silence to ``length_s`` (when given, it must hold them all)."""
    gap, cursor = round(gap_s * sample_rate), round(lead_s * sample_rate)
    pieces, onsets, offsets, labels = [np.zeros(cursor, dtype=np.float32)], [], [], []
    for path, label in clips:
        samples = load_audio(path, sample_rate).samples
        onsets.append(cursor / sample_rate)
        offsets.append((cursor + len(samples)) / sample_rate)
        labels.append(label)
        pieces += [samples, np.zeros(gap, dtype=np.float32)]
        cursor += len(samples) + gap
    samples = np.concatenate(pieces)
    if length_s is not None:
        total = round(length_s * sample_rate)
        if total < offsets[-1] * sample_rate:
            raise ValueError(f"{len(clips)} clips with {gap_s} s gaps do not fit in {length_s} s")
        samples = np.pad(samples[:total], (0, max(0, total - len(samples))))
    return ComposedRecording(samples, sample_rate, onsets, offsets, labels)


def fsdd_test_clips(fsdd: Path, count: int, speaker: str | None = None) -> list[tuple[Path, str]]:
    """``count`` clips of FSDD's official test split (takes 0-4), cycling through the digits 0..9."""
    clips = []
    for index in range(count):
        digit, take = index % 10, (index // 10) % 5
        speakers = [speaker] if speaker else ["george", "jackson", "lucas", "nicolas", "theo", "yweweler"]
        who = speakers[(index // 50) % len(speakers)]
        clips.append((fsdd / "recordings" / f"{digit}_{who}_{take}.wav", str(digit)))
    return clips
