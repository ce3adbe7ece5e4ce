"""The Free Spoken Digit Dataset (FSDD) as used for the built-in models.

Files are ``{digit}_{speaker}_{take}.wav`` (8 kHz mono). Official split: takes 0-4 are the test set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio.io import load_audio

DEFAULT_FSDD = Path(__file__).resolve().parents[3] / "shared" / "data" / "fsdd"
FSDD_CREDIT = {
    "name": "Free Spoken Digit Dataset (FSDD)",
    "credit": "Free Spoken Digit Dataset (FSDD), Z. Jackson et al.",
    "license": "CC BY-SA 4.0",
    "source": "Jakobovski/free-spoken-digit-dataset, commit 26eb9aaf, recordings/",
}
_NAME = re.compile(r"^(\d)_([a-z]+)_(\d+)\.wav$")


@dataclass
class Recording:
    samples: np.ndarray
    digit: int
    speaker: str
    take: int
    source: str = "fsdd"  # "synthetic" for voices we synthesise (classifiers/voices.py): always training data

    @property
    def label(self) -> int:
        return self.digit

    @property
    def is_official_test(self) -> bool:
        return self.source == "fsdd" and self.take < 5


def load_fsdd(root: Path = DEFAULT_FSDD, sample_rate: int = 8000) -> list[Recording]:
    """Every recording under ``root/recordings`` as float32 at ``sample_rate``."""
    folder = Path(root) / "recordings"
    paths = sorted(folder.glob("*.wav"))
    if not paths:
        raise FileNotFoundError(f"no FSDD recordings in {folder}; pass --data to point at the FSDD folder")
    recordings = []
    for path in paths:
        match = _NAME.match(path.name)
        if not match:
            continue
        samples = load_audio(path, sample_rate).samples
        recordings.append(Recording(samples, int(match[1]), match[2], int(match[3])))
    return recordings
