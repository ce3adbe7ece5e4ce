"""Which clips a comparison runs on: a folder (labels from sub-folder names), a CSV manifest, or a shortcut.

Only references are made here (path, class, fold); audio is read where the clip is measured, so a Dask worker
reads its own files and no audio crosses the network.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from ..audio.io import supported_extensions

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
_FSDD_NAME = re.compile(r"^(\d)_([a-z]+)_(\d+)\.wav$")
_NUMBER_PREFIX = re.compile(r"^\d+\s*-\s*")


class DatasetError(ValueError):
    """The data set cannot be listed; the message names it and the reason."""


@dataclass(frozen=True)
class ClipRef:
    path: str
    label: str
    fold: str = ""


def _normal(name: str) -> str:
    return _NUMBER_PREFIX.sub("", name).strip().casefold()


def class_index(label: str, classes: list[str]) -> int:
    """The index of ``label`` among the model's classes (exact, then ignoring case and a "001 - " prefix)."""
    if label in classes:
        return classes.index(label)
    normal = [_normal(c) for c in classes]
    if _normal(label) in normal:
        return normal.index(_normal(label))
    if label.isdigit() and int(label) < len(classes) and not any(c.isdigit() for c in classes):
        return int(label)
    raise DatasetError(f"class {label!r} is not one of the models' classes ({', '.join(classes)})")


def _audio_files(folder: Path) -> list[Path]:
    extensions = {f".{ext.lower().lstrip('.')}" for ext in supported_extensions()}
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in extensions)


def from_folder(folder: Path) -> list[ClipRef]:
    subfolders = sorted(p for p in folder.iterdir() if p.is_dir())
    refs = [ClipRef(str(path), sub.name) for sub in subfolders for path in _audio_files(sub)]
    if not refs:
        raise DatasetError(f"data set {folder}: no audio files in sub-folders (one sub-folder per class expected)")
    return refs


def from_manifest(path: Path) -> list[ClipRef]:
    """Rows ``path,label[,fold]`` (a header naming path/file, label/class and fold is optional); relative paths
    are relative to the manifest's folder."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = [row for row in csv.reader(f) if row and any(cell.strip() for cell in row)]
    if not rows:
        raise DatasetError(f"manifest {path}: empty")
    columns = (0, 1, 2)
    header = [cell.strip().casefold() for cell in rows[0]]
    if {"path", "file"} & set(header):
        pick = [next((header.index(n) for n in names if n in header), None) for names in _HEADER_NAMES]
        if pick[1] is None:
            raise DatasetError(f"manifest {path}: the header names no label/class column")
        columns, rows = tuple(pick), rows[1:]
    refs = []
    for number, row in enumerate(rows, start=2 if columns != (0, 1, 2) else 1):
        if len(row) < 2:
            raise DatasetError(f"manifest {path}, line {number}: expected path,label[,fold]")
        clip = Path(row[columns[0]].strip())
        fold = row[columns[2]].strip() if columns[2] is not None and columns[2] < len(row) else ""
        refs.append(ClipRef(str(clip if clip.is_absolute() else path.parent / clip), row[columns[1]].strip(), fold))
    return refs


_HEADER_NAMES = (("path", "file"), ("label", "class"), ("fold",))


def fsdd_test(root: Path = SHARED_DATA / "fsdd") -> list[ClipRef]:
    """The FSDD official test split: takes 0-4 of every digit and speaker (300 clips)."""
    refs = []
    for path in sorted((root / "recordings").glob("*.wav")):
        match = _FSDD_NAME.match(path.name)
        if match and int(match[3]) < 5:
            refs.append(ClipRef(str(path), match[1], "test"))
    if not refs:
        raise DatasetError(f"no FSDD recordings in {root / 'recordings'}")
    return refs


def esc10_fold5(root: Path = SHARED_DATA / "esc10") -> list[ClipRef]:
    """ESC-10 fold 5, the usual held-out fold."""
    manifest = root / "manifest.csv"
    if not manifest.is_file():
        raise DatasetError(f"no ESC-10 manifest at {manifest}")
    return [ref for ref in from_manifest(manifest) if ref.fold == "5"]


# Shortcuts: name -> (clip list, the task id of the model pair it belongs to).
SHORTCUTS = {"fsdd-test": (fsdd_test, "digits"), "esc10-fold5": (esc10_fold5, "events")}


def list_clips(dataset: str) -> list[ClipRef]:
    """The clips of a shortcut name, a folder or a CSV manifest, in a stable order."""
    if dataset in SHORTCUTS:
        return SHORTCUTS[dataset][0]()
    path = Path(dataset)
    if path.is_dir():
        return from_folder(path)
    if path.is_file() and path.suffix.lower() == ".csv":
        return from_manifest(path)
    if path.exists():
        raise DatasetError(f"data set {path}: expected a folder or a .csv manifest")
    raise DatasetError(f"data set {dataset!r}: no such folder or file, and not one of {', '.join(SHORTCUTS)}")
