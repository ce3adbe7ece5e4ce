"""On-disk cache of explained windows, so reopening a long recording shows its explanations at once.

One entry per (audio, model, composite, target mode, target, hop): the key hashes the decoded samples at the
model's rate (not the file name: a renamed or copied file hits, an edited one misses), the weights' SHA-256
from the model card and the explanation rules. An entry is a folder of ``.npy`` files, a ``Timeline``'s
arrays, partial ones too, so a cancelled run resumes where it stopped. They are memory-mapped copy-on-write
when loaded: an explained hour (~600 MB) is ready in milliseconds and read as it is drawn, where reading a
zipped ``.npz`` took a second, and the pages stay the file's until a resumed run writes to them. Written
atomically: a crash leaves the old entry or none. (Windows cannot move a folder whose files are mapped: there,
re-saving an entry the open recording was loaded from fails and is logged, and the old entry stays.)
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
from pathlib import Path

import numpy as np

from ..atomic import atomic_folder
from .timeline import Timeline

CACHE_ENV = "AUDIOXAI_CACHE"
"""Folder for cached explanations (default: ~/.cache/audioxai/explanations); "off" disables the cache."""
CACHE_VERSION = 3
ENTRY_SUFFIX = ".timeline"
"""An entry's folder name: its key and this, so eviction never touches anything else in a folder the user chose."""
LEGACY_ENTRY = re.compile(r"[0-9a-f]{32}\.npz")
"""Entries of the zipped format before version 3: no key can reach them any more, so eviction deletes them."""
CACHE_LIMIT_ENV = "AUDIOXAI_CACHE_MB"
"""Most megabytes the cache keeps (default 4096): an explained hour takes about 560 MB, so an unbounded cache
would fill a laptop's disk; the entries used longest ago go first."""
DEFAULT_LIMIT_MB = 4096


def default_limit_bytes() -> int:
    try:
        return int(float(os.environ.get(CACHE_LIMIT_ENV, DEFAULT_LIMIT_MB)) * 1024 * 1024)
    except ValueError:
        logging.getLogger(__name__).warning(
            "ignoring %s=%r: not a number of megabytes", CACHE_LIMIT_ENV, os.environ[CACHE_LIMIT_ENV]
        )
        return DEFAULT_LIMIT_MB * 1024 * 1024


def default_cache_dir() -> Path | None:
    value = os.environ.get(CACHE_ENV)
    if value == "off":
        return None
    return Path(value) if value else Path.home() / ".cache" / "audioxai" / "explanations"


class ExplanationCache:
    """Load and save timelines by key; a missing, foreign or damaged entry is a miss, never an error."""

    def __init__(self, folder: str | os.PathLike | None = None, limit_bytes: int | None = None):
        self.folder = Path(folder) if folder is not None else default_cache_dir()
        self.limit_bytes = default_limit_bytes() if limit_bytes is None else limit_bytes

    def key(self, audio_digest: str, timeline: Timeline) -> str:
        card = timeline.card
        parts = {
            "version": CACHE_VERSION,
            "audio": audio_digest,
            "model": card.sha256 or card.name,
            "composite": timeline.composite,
            "target_mode": timeline.target_mode,
            "target": timeline.target,
            "hop": timeline.hop_fraction,
        }
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]

    def path(self, key: str) -> Path | None:
        return None if self.folder is None else self.folder / f"{key}{ENTRY_SUFFIX}"

    def load(self, key: str, timeline: Timeline) -> bool:
        """Fill ``timeline`` from the cache; True when a fitting entry was found."""
        path = self.path(key)
        if path is None or not path.is_dir():
            return False
        try:  # pickles are refused (allow_pickle is off): loading never runs code
            restored = timeline.restore({file.stem: np.load(file, mmap_mode="c") for file in path.glob("*.npy")})
            if restored:
                os.utime(path)  # used now: the last to be evicted
            return restored
        except (OSError, ValueError) as exc:
            logging.getLogger(__name__).warning("ignoring damaged cache entry %s: %s", path, exc)
            return False

    def save(self, key: str, timeline: Timeline) -> Path | None:
        """Write the timeline's arrays atomically; a full disk or a read-only folder only logs a warning."""
        path = self.path(key)
        if path is None:
            return None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_folder(path) as temp:
                for name, array in timeline.arrays().items():
                    np.save(temp / f"{name}.npy", array, allow_pickle=False)
        except OSError as exc:
            logging.getLogger(__name__).warning("cannot write the explanation cache %s: %s", path, exc)
            return None
        self.evict(keep=path)
        return path

    def evict(self, keep: Path | None = None) -> list[Path]:
        """Delete the entries used longest ago until the cache fits its limit (never ``keep``, the entry just
        written), and any entry of the old zipped format; returns what was deleted."""
        entries, deleted = [], []
        for entry in self.folder.iterdir():
            try:
                if LEGACY_ENTRY.fullmatch(entry.name):
                    entry.unlink()
                    deleted.append(entry)
                elif entry.name.endswith(ENTRY_SUFFIX) and entry.is_dir():
                    entries.append((entry.stat().st_mtime_ns, entry_bytes(entry), entry))
            except OSError:
                continue  # deleted meanwhile by another window
        total = sum(size for _, size, _ in entries)
        for _, size, entry in sorted(entries, key=lambda item: item[0]):
            if total <= self.limit_bytes:
                break
            if entry == keep:
                continue
            try:
                shutil.rmtree(entry)
            except OSError:
                continue
            total -= size
            deleted.append(entry)
        return deleted


def entry_bytes(entry: Path) -> int:
    """The size of a cache entry's files."""
    return sum(file.stat().st_size for file in entry.iterdir())
