"""Streaming sums over clips: means, spreads and curves without keeping any clip's maps.

An ``Aggregate`` adds clip results one by one and merges with another (a shard's); it round-trips through
JSON, so shards can be saved, resumed and merged in a fixed order (equal results wherever they ran).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .clip import ClipResult

EXTREMES = 5  # most and least faithful clips kept per model


@dataclass
class Moments:
    """Count, sum and sum of squares of a value or a vector (NaNs left out per element)."""

    count: np.ndarray
    total: np.ndarray
    squares: np.ndarray

    @classmethod
    def of(cls, values) -> Moments:
        values = np.atleast_1d(np.asarray(values, dtype=np.float64))
        finite = np.isfinite(values)
        clean = np.where(finite, values, 0.0)
        return cls(finite.astype(np.float64), clean, clean**2)

    def merged(self, other: Moments) -> Moments:
        return Moments(self.count + other.count, self.total + other.total, self.squares + other.squares)

    @property
    def mean(self) -> np.ndarray:
        return np.divide(self.total, self.count, out=np.full_like(self.total, np.nan), where=self.count > 0)

    @property
    def std(self) -> np.ndarray:
        variance = np.divide(self.squares, self.count, out=np.full_like(self.total, np.nan), where=self.count > 0)
        return np.sqrt(np.clip(variance - self.mean**2, 0, None))

    @property
    def ci95(self) -> np.ndarray:
        """Half-width of the normal 95 % confidence interval of the mean."""
        return 1.96 * self.std / np.sqrt(np.maximum(self.count, 1))

    def to_json(self) -> list:
        return [self.count.tolist(), self.total.tolist(), self.squares.tolist()]

    @classmethod
    def from_json(cls, data: list) -> Moments:
        return cls(*(np.asarray(part, dtype=np.float64) for part in data))


def _merge_into(target: dict, key, moments: Moments) -> None:
    target[key] = target[key].merged(moments) if key in target else moments


@dataclass
class Aggregate:
    """Sums over clips: scalar measures per (model, measure), curves, class profiles, extreme clips."""

    scalars: dict[tuple[str, str], Moments] = field(default_factory=dict)
    curves: dict[tuple[str, str, str, str], Moments] = field(default_factory=dict)
    profiles: dict[tuple[str, str, str], Moments] = field(default_factory=dict)  # (kind, class, "bands"|"positions")
    extremes: dict[str, list[tuple[float, str]]] = field(default_factory=dict)  # kind -> (aopc, clip) sorted
    clips: int = 0
    seconds: float = 0.0

    def add(self, result: ClipResult, classes: list[str], ranking_measure: dict[str, str]) -> None:
        """Add one clip; ``ranking_measure`` names, per model, the measure its most/least faithful clips rank by."""
        self.clips += 1
        self.seconds += result.seconds
        for kind, measure, value in result.rows:
            _merge_into(self.scalars, (kind, measure), Moments.of(value))
        for key, curve in result.curves.items():
            _merge_into(self.curves, key, Moments.of(curve))
        class_name = classes[result.label] if result.label is not None else "(unlabelled)"
        for kind, (bands, positions) in result.profiles.items():
            _merge_into(self.profiles, (kind, class_name, "bands"), Moments.of(bands))
            _merge_into(self.profiles, (kind, class_name, "positions"), Moments.of(positions))
        for kind, measure in ranking_measure.items():
            value = result.value(kind, measure)
            if math.isfinite(value):
                self._keep_extreme(kind, [(value, result.name)])

    def _keep_extreme(self, kind: str, entries: list[tuple[float, str]]) -> None:
        ranked = sorted(self.extremes.get(kind, []) + entries)
        self.extremes[kind] = ranked if len(ranked) <= 2 * EXTREMES else ranked[:EXTREMES] + ranked[-EXTREMES:]

    def merge(self, other: Aggregate) -> None:
        self.clips += other.clips
        self.seconds += other.seconds
        for name in ("scalars", "curves", "profiles"):
            mine = getattr(self, name)
            for key, moments in getattr(other, name).items():
                _merge_into(mine, key, moments)
        for kind, entries in other.extremes.items():
            self._keep_extreme(kind, entries)

    def mean(self, kind: str, measure: str) -> float:
        moments = self.scalars.get((kind, measure))
        return float(moments.mean[0]) if moments is not None else math.nan

    def to_json(self) -> dict:
        def table(mapping):
            return [[list(key), moments.to_json()] for key, moments in mapping.items()]

        return {
            "clips": self.clips,
            "seconds": self.seconds,
            "scalars": table(self.scalars),
            "curves": table(self.curves),
            "profiles": table(self.profiles),
            "extremes": {kind: [list(entry) for entry in entries] for kind, entries in self.extremes.items()},
        }

    @classmethod
    def from_json(cls, data: dict) -> Aggregate:
        def table(rows):
            return {tuple(key): Moments.from_json(moments) for key, moments in rows}

        return cls(
            scalars=table(data["scalars"]),
            curves=table(data["curves"]),
            profiles=table(data["profiles"]),
            extremes={kind: [(float(v), str(n)) for v, n in entries] for kind, entries in data["extremes"].items()},
            clips=int(data["clips"]),
            seconds=float(data["seconds"]),
        )
