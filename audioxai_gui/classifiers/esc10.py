"""ESC-10 (K. J. Piczak, 10 environmental sound classes) as used for the built-in event models.

Files are ``{class folder}/{fold}-{freesound id}-{take}.ogg``; the fold is the first character of the file
name, and clips cut from one source recording share a fold, so only the predefined folds give honest
cross-validation. Every clip is cropped or zero-padded to 5.0 s. Decoding and resampling 398 Ogg files
takes a while on two cores, so the decoded clips are cached as ``.npy`` (per rate) under
``$XDG_CACHE_HOME/audioxai`` (default ``~/.cache/audioxai``).
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic import atomic_output
from ..audio.io import load_audio

DEFAULT_ESC10 = Path(__file__).resolve().parents[3] / "shared" / "data" / "esc10"
CLIP_SECONDS = 5.0
ESC10_CREDIT = {
    "name": "ESC-10",
    "credit": "ESC-10, K. J. Piczak, CC BY 3.0; clips from freesound.org, see CREDITS",
    "license": "CC BY 3.0 (dataset); each clip CC0 or CC BY 3.0",
    "source": "karoldvl/ESC-10, commit 553c8f1 (398 of 400 clips: two CC Sampling+ Rooster clips left out)",
    "credits_file": "esc10-CREDITS.md",
}
_NAME = re.compile(r"^([1-5])-(\d+)-([A-Z])\.ogg$")


@dataclass
class EventClip:
    """One ESC-10 clip: 5 s of samples, its class index, fold and per-clip credit."""

    samples: np.ndarray
    label: int
    fold: int
    file: str
    author: str
    licence: str
    url: str


def class_name(folder: str) -> str:
    """``"001 - Dog bark"`` -> ``"Dog bark"``: the name the models' cards list."""
    return folder.split(" - ", 1)[-1]


def fit_length(samples: np.ndarray, length: int) -> np.ndarray:
    """Crop (keeping the start) or zero-pad at the end to exactly ``length`` samples."""
    out = np.zeros(length, dtype=np.float32)
    out[: min(length, len(samples))] = samples[:length]
    return out


def fold_of(file_name: str) -> int:
    """The predefined fold (1-5) from an ESC-10 file name such as ``1-100032-A.ogg``."""
    match = _NAME.match(Path(file_name).name)
    if not match:
        raise ValueError(f"{file_name}: not an ESC-10 file name ({{fold}}-{{freesound id}}-{{take}}.ogg)")
    return int(match[1])


def read_manifest(root: Path = DEFAULT_ESC10) -> list[dict]:
    """The rows of ``manifest.csv`` (file, class, fold, freesound_url, author, licence)."""
    path = Path(root) / "manifest.csv"
    if not path.is_file():
        raise FileNotFoundError(f"no ESC-10 manifest at {path}; pass --data to point at the ESC-10 folder")
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "audioxai" / "esc10"


def _cached_samples(path: Path, sample_rate: int) -> np.ndarray:
    """Decoded, resampled, 5 s samples; cached under a key of path, size, mtime and rate."""
    stat = path.stat()
    key = hashlib.sha256(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{sample_rate}".encode()).hexdigest()
    cached = cache_folder() / f"{key[:24]}.npy"
    if cached.is_file():
        try:
            return np.load(cached)
        except (OSError, ValueError):
            pass  # a damaged cache entry is decoded again below
    samples = fit_length(load_audio(path, sample_rate).samples, round(CLIP_SECONDS * sample_rate))
    cached.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(cached) as temp:
        with open(temp, "wb") as f:
            np.save(f, samples)
    return samples


def esc10_classes(root: Path = DEFAULT_ESC10) -> list[str]:
    return [class_name(folder) for folder in sorted({row["class"] for row in read_manifest(root)})]


def load_esc10(root: Path = DEFAULT_ESC10, sample_rate: int = 16000) -> list[EventClip]:
    """Every clip in the manifest as float32 at ``sample_rate``, 5 s long, in manifest order."""
    root = Path(root)
    rows = read_manifest(root)
    folders = sorted({row["class"] for row in rows})
    clips = []
    for row in rows:
        path = root / row["file"]
        if fold_of(path.name) != int(row["fold"]):
            raise ValueError(f"{path}: fold {row['fold']} in manifest.csv but {fold_of(path.name)} in the name")
        clips.append(
            EventClip(
                samples=_cached_samples(path, sample_rate),
                label=folders.index(row["class"]),
                fold=int(row["fold"]),
                file=row["file"],
                author=row["author"],
                licence=row["licence"],
                url=row["freesound_url"],
            )
        )
    return clips


def credits_markdown(root: Path = DEFAULT_ESC10) -> str:
    """Per-clip credits (author, licence, source) from the manifest, for shipping beside the weights."""
    rows = read_manifest(root)
    lines = [
        "# ESC-10 clip credits",
        "",
        'The event models (`esc10-*`) were trained on ESC-10 (K. J. Piczak, "ESC: Dataset for Environmental Sound',
        'Classification", ACM Multimedia 2015; CC BY 3.0). Every clip comes from freesound.org; its author and',
        "licence are listed below (CC-BY = Creative Commons Attribution 3.0, CC0 = public domain dedication).",
        "Generated from the dataset's manifest.csv by `python -m audioxai_gui train --task events`.",
        "",
        "| file | class | fold | author | licence | source |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['file']} | {class_name(row['class'])} | {row['fold']} | {row['author']} | {row['licence']} "
            f"| {row['freesound_url']} |"
        )
    return "\n".join(lines) + "\n"
