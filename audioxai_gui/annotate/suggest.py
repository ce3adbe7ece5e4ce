"""Regions suggested from relevance: the connected areas that hold the top X % of positive relevance.

Suggestions are only proposals: nothing here touches a document; the shell shows them and the
user accepts them (``RegionDocument.add_many``) or not.
"""

from __future__ import annotations

import math

import numpy as np

from .measures import MeasureError, RelevanceMap
from .regions import DURATION_TOLERANCE_S, Region

SUGGESTED_LABEL = "suggested"
SUGGESTION_KINDS = ("box", "time")


def suggest_regions(
    relevance_tf: np.ndarray,
    times: np.ndarray,
    freqs: np.ndarray,
    top_percent: float = 20.0,
    kind: str = "box",
    *,
    min_duration: float = 0.02,
    min_bins: int = 3,
    merge_gap: float = 0.02,
    max_regions: int | None = 20,
    label: str = SUGGESTED_LABEL,
) -> list[Region]:
    """Boxes (or time regions) around the areas of a bands x frames map holding ``top_percent`` % of its
    positive relevance, sorted by start.

    Areas closer than ``merge_gap`` s in time are merged (frequency neighbours touch, diagonals
    included); areas shorter than ``min_duration`` s or of fewer than ``min_bins`` bins are dropped,
    and of the rest the ``max_regions`` holding the most relevance are kept (None: all).
    ``kind="time"`` sums the map over bands and suggests time regions, like ``suggest_time_regions``.
    """
    if kind not in SUGGESTION_KINDS:
        raise MeasureError(f"unknown suggestion kind {kind!r}; known: {', '.join(SUGGESTION_KINDS)}")
    relevance = RelevanceMap(relevance_tf, times, freqs)
    if kind == "time":
        return suggest_time_regions(
            relevance.values.sum(axis=0),
            relevance.times,
            top_percent,
            min_duration=min_duration,
            min_bins=min_bins,
            merge_gap=merge_gap,
            max_regions=max_regions,
            label=label,
        )
    return _suggest(relevance, top_percent, min_duration, min_bins, merge_gap, max_regions, label)


def suggest_time_regions(
    relevance: np.ndarray,
    times: np.ndarray,
    top_percent: float = 20.0,
    *,
    min_duration: float = 0.02,
    min_bins: int = 3,
    merge_gap: float = 0.02,
    max_regions: int | None = 20,
    label: str = SUGGESTED_LABEL,
) -> list[Region]:
    """Time regions holding ``top_percent`` % of the positive relevance of a 1-D map.

    ``times`` (s) places each value: per sample (``np.arange(n) / rate``) or per frame.
    """
    return _suggest(RelevanceMap(relevance, times), top_percent, min_duration, min_bins, merge_gap, max_regions, label)


def _suggest(
    relevance: RelevanceMap,
    top_percent: float,
    min_duration: float,
    min_bins: int,
    merge_gap: float,
    max_regions: int | None,
    label: str,
) -> list[Region]:
    from scipy import ndimage  # here, not at module level: 0.16 s of the window's start-up otherwise

    if not 0 < top_percent <= 100:
        raise MeasureError(f"top_percent must be in (0, 100], got {top_percent}")
    if relevance.times.size < 2 or (relevance.freqs is not None and relevance.freqs.size < 2):
        raise MeasureError("suggesting regions needs at least two time steps (and two bands)")
    positive = np.clip(relevance.values, 0.0, None)
    total = positive.sum()
    if total <= 0:
        return []
    selected = _top_mass(positive, top_percent / 100.0)
    groups, n_groups = _merge_close(selected, _gap_steps(relevance.times, merge_gap))
    time_edges = _edges(relevance.times)
    freq_edges = None if relevance.freqs is None else _edges(relevance.freqs)
    bins_per_group = np.bincount(groups.ravel(), minlength=n_groups + 1)
    mass_per_group = np.bincount(groups.ravel(), weights=positive.ravel(), minlength=n_groups + 1)
    kept = []  # (mass, region)
    for number, area in enumerate(ndimage.find_objects(groups), start=1):
        start, end = time_edges[area[-1].start], time_edges[area[-1].stop]
        if bins_per_group[number] < min_bins or end - start < min_duration - DURATION_TOLERANCE_S:
            continue
        low = high = None
        if freq_edges is not None:
            low, high = freq_edges[area[0].start], freq_edges[area[0].stop]
        share = 100.0 * mass_per_group[number] / total
        note = f"{share:.0f}% of the positive relevance" if share >= 1 else "<1% of the positive relevance"
        region = Region(_rounded(start), _rounded(end), _rounded(low), _rounded(high), label=label, note=note)
        kept.append((mass_per_group[number], region))
    # Nobody reviews hundreds of proposals: keep the ones holding the most relevance.
    kept.sort(key=lambda item: -item[0])
    suggestions = [region for _, region in kept[:max_regions]]
    return sorted(suggestions, key=lambda region: (region.start, region.low_hz or 0.0))


def _top_mass(positive: np.ndarray, fraction: float) -> np.ndarray:
    """The largest values whose sum first reaches ``fraction`` of the total (ties at the threshold too)."""
    ordered = np.sort(positive, axis=None)[::-1]
    cumulative = np.cumsum(ordered)
    target = fraction * cumulative[-1] * (1 - 1e-12)  # float sums must not push the count one past
    count = int(np.searchsorted(cumulative, target, side="left")) + 1
    threshold = ordered[min(count, ordered.size) - 1]
    return (positive >= threshold) & (positive > 0)


def _gap_steps(times: np.ndarray, merge_gap: float) -> int:
    step = float(np.median(np.diff(times)))
    return max(0, int(round(merge_gap / step)))


def _merge_close(selected: np.ndarray, gap_steps: int) -> tuple[np.ndarray, int]:
    """Label areas of ``selected``, joining areas separated by at most ``gap_steps`` empty time steps.

    Growing each area by half the gap along time makes close areas touch; the labels of the grown
    areas are then kept only on the selected cells, so bounding boxes stay tight.
    """
    from scipy import ndimage

    reach = math.ceil(gap_steps / 2)
    grow = np.ones((1,) * (selected.ndim - 1) + (2 * reach + 1,), dtype=bool)
    grown = ndimage.binary_dilation(selected, structure=grow) if reach else selected
    labels, n_labels = ndimage.label(grown, structure=np.ones((3,) * selected.ndim, dtype=bool))
    labels[~selected] = 0
    return labels, n_labels


def _edges(centres: np.ndarray) -> np.ndarray:
    """Cell edges around sample/frame/band centres: midpoints, the outer ones half a step out (not below 0).

    ``region_mask`` then selects exactly the cells between two edges, so a suggestion measures what it shows.
    """
    inner = (centres[1:] + centres[:-1]) / 2
    first = max(0.0, centres[0] - (centres[1] - centres[0]) / 2)
    last = centres[-1] + (centres[-1] - centres[-2]) / 2
    return np.concatenate([[first], inner, [last]])


def _rounded(value) -> float | None:
    """Edges to 1 µs / 1 mHz: sums of frame times carry float noise that would show in exported files.

    Edges lie half a cell from any centre, so this never changes which cells a region covers.
    """
    return None if value is None else round(float(value), 6)
