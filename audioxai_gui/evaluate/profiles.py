"""What each model listens to: relevance profiles per band and position, and how alike two models' maps are.

Profiles are shares of *positive* relevance (evidence for the class), so a clip counts the same whatever its
relevance scale; a class profile is the mean of its clips' shares. Both models are profiled on the common grid.
"""

from __future__ import annotations

import numpy as np

from .domains import _block_sums
from .robustness import rank_correlation

PROFILE_BANDS = 32
PROFILE_POSITIONS = 20
TOP_SHARE = 0.1


def _pooled_share(values: np.ndarray, n_groups: int) -> np.ndarray:
    """Split a 1-D array into ``n_groups`` near-equal consecutive groups and return each group's share."""
    edges = np.linspace(0, values.size, n_groups + 1).round().astype(int)
    sums = np.add.reduceat(values, edges[:-1]) if values.size else np.zeros(n_groups)
    sums[edges[:-1] == edges[1:]] = 0.0
    total = sums.sum()
    return sums / total if total > 0 else np.full(n_groups, np.nan)


def band_profile(tf_map: np.ndarray, n_bands: int = PROFILE_BANDS) -> np.ndarray:
    """Share of positive relevance per frequency band (equal-width groups of rows, low to high)."""
    return _pooled_share(np.clip(tf_map, 0, None).sum(axis=1), n_bands)


def position_profile(tf_map: np.ndarray, n_positions: int = PROFILE_POSITIONS) -> np.ndarray:
    """Share of positive relevance per position in the window (equal groups of frames, start to end)."""
    return _pooled_share(np.clip(tf_map, 0, None).sum(axis=0), n_positions)


def top_overlap(a: np.ndarray, b: np.ndarray, share: float = TOP_SHARE) -> float:
    """Share of the top ``share`` cells of map ``a`` that are also among the top of map ``b``."""
    a, b = np.asarray(a).ravel(), np.asarray(b).ravel()
    k = max(1, round(share * a.size))
    top_a = np.argpartition(-a, k - 1)[:k]
    top_b = np.argpartition(-b, k - 1)[:k]
    return float(np.intersect1d(top_a, top_b).size / k)


def map_similarity(a: np.ndarray, b: np.ndarray, patch_block: tuple[int, int] | None = None) -> dict[str, float]:
    """Rank correlation and top-10 % overlap of two maps on one grid (optionally pooled into patches first)."""
    if patch_block is not None:
        a, b = _block_sums(a, patch_block), _block_sums(b, patch_block)
    return {"rank-correlation": rank_correlation(a, b), "top-overlap": top_overlap(a, b)}
