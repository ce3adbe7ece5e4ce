"""Agreement with human regions, on the common grid, reusing the annotation measures.

Beside the positive-only measures of ``annotate.measures`` (mass of positive relevance inside, rank accuracy,
chance), the *signed* mass: summed signed relevance inside over summed signed relevance everywhere (relevance
mass accuracy on signed relevance), which falls when the regions also hold evidence against the class.
"""

from __future__ import annotations

import math

import numpy as np

from ..annotate.measures import RelevanceMap, alignment, region_mask
from ..annotate.regions import Region
from ..features import FeatureSpec

MEASURES = {
    "mass-positive": "share of positive relevance inside the regions",
    "mass-signed": "signed relevance inside over signed relevance in all (relevance mass accuracy, signed)",
    "rank-accuracy": "share of the most relevant cells inside the regions",
    "chance": "share of the area the regions cover (what random regions would score)",
}


def signed_mass(relevance: RelevanceMap, regions: list[Region]) -> float:
    total = float(relevance.values.sum())
    if total <= 0:
        return math.nan
    return float(relevance.values[region_mask(regions, relevance)].sum()) / total


def agreement(tf_map: np.ndarray, grid: FeatureSpec, clip_start_s: float, regions: list[Region]) -> dict[str, float]:
    """The measures of MEASURES for one model's common-grid map of a window whose clip starts at ``clip_start_s``
    (regions are in clip time; frames outside the clip are left out)."""
    times = grid.framing.frame_times(tf_map.shape[-1], grid.sample_rate) - clip_start_s
    inside = times >= 0
    relevance = RelevanceMap(tf_map[:, inside], times[inside], grid.band_frequencies())
    scored = alignment(relevance, regions)
    return {
        "mass-positive": scored.mass,
        "mass-signed": signed_mass(relevance, regions),
        "rank-accuracy": scored.rank_accuracy,
        "chance": scored.baseline,
    }
