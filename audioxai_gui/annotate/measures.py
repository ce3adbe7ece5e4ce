"""How well a relevance map agrees with hand-marked regions.

Three numbers per region set: the share of positive relevance inside (mass), the share of the
most relevant samples/bins that fall inside (rank accuracy), and the share of the area the regions
cover (baseline: what regions placed at random would score on both). Rank accuracy looks at the K
most relevant elements, K = the number inside the regions (at most the number with positive
relevance). Negative relevance (evidence against the class) is ignored throughout: the regions
mark evidence *for* it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .regions import Region

ALL_REGIONS = "all"


class MeasureError(ValueError):
    """Relevance, its axes or a parameter cannot be used; the message says which and why."""


@dataclass(frozen=True)
class RelevanceMap:
    """Relevance with its axes: 1-D over time, or 2-D bands x frames.

    ``times`` (s) places each element of the last axis (samples or frames); ``freqs`` (Hz) is the
    centre frequency of each band of a 2-D map.
    """

    values: np.ndarray
    times: np.ndarray
    freqs: np.ndarray | None = None

    def __post_init__(self):
        values = np.asarray(self.values, dtype=np.float64)
        times = np.asarray(self.times, dtype=np.float64)
        freqs = None if self.freqs is None else np.asarray(self.freqs, dtype=np.float64)
        if values.ndim not in (1, 2) or values.size == 0:
            raise MeasureError(f"relevance must be a non-empty 1-D or 2-D array, got shape {values.shape}")
        if not np.all(np.isfinite(values)):
            raise MeasureError("relevance holds NaN or infinite values")
        if times.shape != (values.shape[-1],):
            raise MeasureError(f"times has shape {times.shape}, relevance has {values.shape[-1]} time steps")
        if times.size > 1 and not np.all(np.diff(times) > 0):
            raise MeasureError("times must be strictly increasing")
        if (values.ndim == 2) != (freqs is not None):
            raise MeasureError("a 2-D (bands x frames) relevance map needs freqs, a 1-D one must not have them")
        if freqs is not None and freqs.shape != (values.shape[0],):
            raise MeasureError(f"freqs has shape {freqs.shape}, relevance has {values.shape[0]} bands")
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "times", times)
        object.__setattr__(self, "freqs", freqs)

    @classmethod
    def per_sample(cls, relevance: np.ndarray, sample_rate: float) -> RelevanceMap:
        """1-D relevance with one value per audio sample."""
        if not sample_rate > 0:
            raise MeasureError(f"sample_rate must be positive, got {sample_rate}")
        return cls(relevance, np.arange(np.shape(relevance)[-1]) / float(sample_rate))

    def cropped(self, duration: float) -> RelevanceMap:
        """Only the time steps before ``duration`` s: padding after the clip is not part of the audio."""
        keep = self.times < duration
        if keep.all():
            return self
        if not keep.any():
            raise MeasureError(f"no relevance time step lies within the audio's {duration:g} s")
        return RelevanceMap(self.values[..., keep], self.times[keep], self.freqs)


@dataclass(frozen=True)
class Alignment:
    """Agreement of one relevance map with one set of regions; ``reason`` explains any NaN."""

    mass: float
    rank_accuracy: float
    baseline: float
    n_inside: int
    reason: str = ""


def region_mask(regions: Iterable[Region], relevance: RelevanceMap) -> np.ndarray:
    """Boolean mask (shape of the map) of the time steps/bins inside any region.

    A step is inside when its time lies in [start, end). In 2-D, time regions cover every band and a
    box covers the bands whose centre frequency lies in [low_hz, high_hz]; in 1-D a box counts as
    its time span.
    """
    mask = np.zeros(relevance.values.shape, dtype=bool)
    for region in regions:
        in_time = (relevance.times >= region.start) & (relevance.times < region.end)
        if relevance.freqs is None:
            mask |= in_time
        elif region.is_box:
            in_band = (relevance.freqs >= region.low_hz) & (relevance.freqs <= region.high_hz)
            mask |= in_band[:, None] & in_time[None, :]
        else:
            mask |= in_time[None, :]
    return mask


def alignment(relevance: RelevanceMap, regions: Iterable[Region]) -> Alignment:
    """Mass, rank accuracy and baseline of the union of ``regions`` (overlaps counted once)."""
    return _Scorer(relevance).score(region_mask(regions, relevance))


def alignment_per_region(relevance: RelevanceMap, regions: Iterable[Region]) -> dict[str, Alignment]:
    """Alignment of each region alone (keyed by region id) and of all of them together (``"all"``)."""
    regions = list(regions)
    if any(region.id == ALL_REGIONS for region in regions):
        raise MeasureError(f"a region id must not be {ALL_REGIONS!r}: that key stands for all regions")
    scorer = _Scorer(relevance)
    results = {region.id: scorer.score(region_mask([region], relevance)) for region in regions}
    results[ALL_REGIONS] = scorer.score(region_mask(regions, relevance))
    return results


class _Scorer:
    """Scores masks against one map; sorting the relevance once makes each further region cheap."""

    def __init__(self, relevance: RelevanceMap):
        self.positive = np.clip(relevance.values, 0.0, None)
        self.total = float(self.positive.sum())
        self.ascending = np.sort(self.positive, axis=None)
        # Elements without positive relevance are not "most relevant": a peak fully inside a wide
        # region must score 1, so K never exceeds the number of positive elements.
        self.n_positive = int(np.count_nonzero(self.ascending))

    def score(self, inside: np.ndarray) -> Alignment:
        n_inside = int(inside.sum())
        baseline = n_inside / inside.size
        if self.total <= 0.0:
            return Alignment(math.nan, math.nan, baseline, n_inside, "no positive relevance")
        if n_inside == 0:
            return Alignment(0.0, math.nan, 0.0, 0, "the regions cover no time step or bin of this map")
        inside_values = self.positive[inside]
        mass = float(inside_values.sum()) / self.total
        return Alignment(mass, self._rank_accuracy(inside_values, min(n_inside, self.n_positive)), baseline, n_inside)

    def _rank_accuracy(self, inside_values: np.ndarray, k: int) -> float:
        """Share of the k most relevant elements inside; ties at the k-th value count by their inside share.

        Splitting ties fairly (the expected value under random tie-breaking) keeps flat maps from
        scoring by accident of array order.
        """
        kth_value = self.ascending[self.ascending.size - k]
        n_above = self.ascending.size - int(np.searchsorted(self.ascending, kth_value, side="right"))
        n_tied = self.ascending.size - n_above - int(np.searchsorted(self.ascending, kth_value, side="left"))
        inside_above = int(np.count_nonzero(inside_values > kth_value))
        inside_tied = int(np.count_nonzero(inside_values == kth_value))
        return (inside_above + (k - n_above) * inside_tied / n_tied) / k
