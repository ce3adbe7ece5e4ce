"""Hear what a model relied on: the clip without its top X % most relevant time-frequency patches, and only them.

Patches are those of the common STFT domain (see ``domains``), ranked by one model's relevance (the waveform
model's projected); the audio is resynthesised by the inverse STFT, so it can be played, shown and classified
again by both models.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .attributions import attribute
from .domains import RegionSettings, common_spec, region_grid, relevance_in_domain
from .perturbation import tie_broken_order
from .subject import Subject, softmax


@dataclass
class Removal:
    """The clip's window without its top ``fraction`` (``without``) and with only it (``only``), and each model's
    probability of the target class for both, as {kind: (without, only)}."""

    fraction: float
    without: np.ndarray
    only: np.ndarray
    sample_rate: int
    probabilities: dict[str, tuple[float, float]]


class TopRemoval:
    """One clip ranked once by one model; ``at(fraction)`` is then cheap (two resyntheses, four forwards)."""

    def __init__(self, subjects: dict[str, Subject], samples: dict[str, np.ndarray], ranked_by: str, target: int,
                 composite: str | None = None, regions: RegionSettings | None = None):  # fmt: skip
        rates = {subject.card.sample_rate for subject in subjects.values()}
        if len(rates) != 1:
            raise ValueError(f"the two models run at different sample rates ({sorted(rates)} Hz): no common audio")
        self.subjects, self.target = subjects, target
        subject = subjects[ranked_by]
        self.window = subject.window(samples[ranked_by])
        self.sample_rate = subject.card.sample_rate
        common = common_spec(subjects["spectrogram"])
        self.grid = region_grid("common", subject, self.window, regions or RegionSettings(), common, seed=0)
        composite = composite or subject.card.default_composite
        relevance = attribute(composite, subject, subject.inputs(self.window[None]), target, self.grid.block)
        scores = self.grid.pool(relevance_in_domain("common", subject, self.window, relevance, common))
        order = tie_broken_order(scores, True, np.random.default_rng(0))
        self.rank = np.empty(order.size, dtype=int)
        self.rank[order] = np.arange(order.size)

    def at(self, fraction: float) -> Removal:
        if not 0 <= fraction <= 1:
            raise ValueError(f"the share to remove must be between 0 and 1, got {fraction}")
        removed = self.rank < round(fraction * self.rank.size)
        without, only = self.grid.audio_without(np.stack([removed, ~removed]))
        probabilities = {}
        for kind, subject in self.subjects.items():
            target = softmax(subject.logits(subject.inputs(np.stack([without, only]))))[:, self.target]
            probabilities[kind] = (float(target[0]), float(target[1]))
        return Removal(fraction, without, only, self.sample_rate, probabilities)
