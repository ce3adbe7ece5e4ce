"""Region perturbation: remove regions step by step in some order and watch the target class fade.

Orders: MoRF (most relevant first, from a relevance map), LeRF (least relevant first), and the baselines every
result must be read against: ``random`` (uniform over all regions), ``random-nonsilent`` (a random order of the
regions with signal, the silent ones last: zero padding is most of a short clip's window, and removing silence
changes nothing), and ``energy`` (loudest first; its LeRF is quietest first).

At step k of ``steps`` the first round(k / steps * n_regions) regions of the order are removed; step 0 is the
clip itself. AOPC (Samek et al. 2017) is the mean drop of the target's probability (or logit) over the steps;
the LeRF - MoRF area is the mean gap between the two curves (large when the map separates evidence from the rest).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .domains import RegionGrid
from .subject import softmax

MORF, LERF = "morf", "lerf"


def tie_broken_order(scores: np.ndarray, descending: bool, rng: np.random.Generator) -> np.ndarray:
    """Region indices by score; equal scores in a random (seeded) order rather than array order."""
    tiebreak = rng.permutation(scores.size)
    key = -scores if descending else scores
    return np.lexsort((tiebreak, key))


def _random(grid: RegionGrid, rng: np.random.Generator) -> np.ndarray:
    return rng.permutation(grid.n_regions)


def _random_nonsilent(grid: RegionGrid, rng: np.random.Generator) -> np.ndarray:
    loud = grid.non_silent()
    return np.concatenate([rng.permutation(np.flatnonzero(loud)), rng.permutation(np.flatnonzero(~loud))])


# Random baselines: an order from the grid and a seeded generator (MoRF only; their LeRF is the same thing).
RANDOM_BASELINES: dict[str, Callable[[RegionGrid, np.random.Generator], np.ndarray]] = {
    "random": _random,
    "random-nonsilent": _random_nonsilent,
}
# Score baselines: region scores without any model (ranked like a relevance map, MoRF and LeRF).
SCORE_BASELINES: dict[str, Callable[[RegionGrid], np.ndarray]] = {"energy": lambda grid: grid.energy}


def removal_masks(order: np.ndarray, steps: int) -> np.ndarray:
    """(steps + 1, n_regions) flags: row k has the first round(k / steps * n) regions of ``order`` removed."""
    n = order.size
    counts = np.round(np.arange(steps + 1) / steps * n).astype(int)
    rank = np.empty(n, dtype=int)
    rank[order] = np.arange(n)
    return rank[None, :] < counts[:, None]


@dataclass
class Curves:
    """Target logit and probability per step, one row per order (in the order given)."""

    logit: np.ndarray  # (n_orders, steps + 1)
    probability: np.ndarray


def perturbation_curves(grid: RegionGrid, orders: list[np.ndarray], target: int, steps: int) -> Curves:
    """Every order's curve from one batched forward pass.

    Only distinct inputs are computed: removing an inert region (one that already holds what removal puts there,
    such as the zero padding of a short clip) changes nothing, so a step that differs from another only in inert
    regions, like step 0 of every order or the last step of all, reuses its result."""
    masks = np.concatenate([removal_masks(order, steps) for order in orders]) & ~grid.inert[None, :]
    distinct, inverse = np.unique(masks, axis=0, return_inverse=True)
    logits = grid.subject.logits(grid.inputs_without(distinct))[inverse.reshape(-1)]
    shape = (len(orders), steps + 1)
    return Curves(logits[:, target].reshape(shape), softmax(logits)[:, target].reshape(shape))


def aopc(curve: np.ndarray) -> float:
    """Area over the perturbation curve: mean drop from step 0 over steps 0..K."""
    curve = np.asarray(curve, dtype=np.float64)
    return float(np.mean(curve[0] - curve))


def lerf_morf_area(morf: np.ndarray, lerf: np.ndarray) -> float:
    """Mean gap between the LeRF and MoRF curves."""
    return float(np.mean(np.asarray(lerf, dtype=np.float64) - np.asarray(morf, dtype=np.float64)))
