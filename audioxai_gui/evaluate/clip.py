"""Every measure for one clip and a model pair: faithfulness curves, robustness, stability, profiles, agreement.

The result is small: scalar rows (one per model and measure), the perturbation curves and the profiles. The
relevance maps themselves are kept only when asked (``keep_maps``): a data set of them would not fit in memory.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field

import numpy as np

from ..annotate.regions import Region
from .alignment import agreement
from .attributions import ATTRIBUTIONS, attribute
from .domains import DOMAINS_OF_KIND, RegionSettings, common_spec, region_grid, relevance_in_domain
from .perturbation import (
    LERF,
    MORF,
    RANDOM_BASELINES,
    SCORE_BASELINES,
    aopc,
    lerf_morf_area,
    perturbation_curves,
    tie_broken_order,
)
from .profiles import band_profile, map_similarity, position_profile
from .robustness import CORRUPTIONS, STABILITY_SNR_DB, level_label, rank_correlation, white_noise
from .subject import Subject, softmax

PAIR = "pair"  # the model column of rows that compare the two models
ALL_MEASURES = ("faithfulness", "robustness", "stability", "profiles", "agreement")
# Cheap enough for a whole data set on a laptop CPU; "all" adds the other composites and occlusion.
FAST_ATTRIBUTIONS = ("EpsilonPlus", "GradientXInput", "IntegratedGradients")


@dataclass(frozen=True)
class Settings:
    """What to measure and how finely; equal settings give equal results (all randomness is seeded per clip)."""

    attributions: tuple[str, ...] = FAST_ATTRIBUTIONS
    steps: int = 20
    random_seeds: int = 3
    regions: RegionSettings = field(default_factory=RegionSettings)
    measures: tuple[str, ...] = ALL_MEASURES
    corruptions: tuple[str, ...] = tuple(CORRUPTIONS)
    keep_maps: bool = False

    def __post_init__(self):
        unknown = [name for name in self.attributions if name not in ATTRIBUTIONS]
        if unknown:
            raise ValueError(f"unknown attribution(s) {', '.join(unknown)}; choose from {', '.join(ATTRIBUTIONS)}")
        unknown = [name for name in self.measures if name not in ALL_MEASURES]
        if unknown:
            raise ValueError(f"unknown measure(s) {', '.join(unknown)}; choose from {', '.join(ALL_MEASURES)}")
        unknown = [name for name in self.corruptions if name not in CORRUPTIONS]
        if unknown:
            raise ValueError(f"unknown corruption(s) {', '.join(unknown)}; choose from {', '.join(CORRUPTIONS)}")
        if self.steps < 1 or self.random_seeds < 1:
            raise ValueError(f"steps and random_seeds must be at least 1, got {self.steps} and {self.random_seeds}")

    @property
    def rankings(self) -> tuple[str, ...]:
        return (*self.attributions, *SCORE_BASELINES, *RANDOM_BASELINES)


class EvaluationCancelled(Exception):
    """The caller's ``cancelled()`` turned true between two steps."""


@dataclass
class Clip:
    """One clip to measure: its samples at each model's rate, its true class (index) if known, its regions."""

    name: str
    samples: dict[str, np.ndarray]
    label: int | None = None
    fold: str = ""
    regions: list[Region] = field(default_factory=list)

    @property
    def seed(self) -> int:
        """Stable per clip, independent of where and in which order clips are measured."""
        return zlib.crc32(self.name.encode())


@dataclass
class ClipResult:
    name: str
    label: int | None
    fold: str
    rows: list[tuple[str, str, float]] = field(default_factory=list)  # (model kind, measure, value)
    curves: dict[tuple[str, str, str, str], np.ndarray] = field(default_factory=dict)  # (kind, domain, ranking, order)
    profiles: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # kind -> (bands, positions)
    maps: dict[str, np.ndarray] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, kind: str, measure: str, value: float) -> None:
        self.rows.append((kind, measure, float(value)))

    def value(self, kind: str, measure: str) -> float:
        return next((v for k, m, v in self.rows if k == kind and m == measure), math.nan)


def faithfulness_measure(domain: str, ranking: str, what: str) -> str:
    return f"faithfulness/{domain}/{ranking}/{what}"


def evaluate_clip(subjects: dict[str, Subject], clip: Clip, settings: Settings, cancelled=None) -> ClipResult:
    """All measures of ``settings`` for one clip; ``subjects`` maps "waveform" and "spectrogram" to models.
    ``cancelled()`` (optional) is asked between steps; when it turns true, EvaluationCancelled is raised."""

    def check() -> None:
        if cancelled is not None and cancelled():
            raise EvaluationCancelled()

    result = ClipResult(clip.name, clip.label, clip.fold)
    corrupted: dict = {}  # shared by the two models when they see the same samples (corruptions are seeded per clip)
    common = common_spec(subjects["spectrogram"])
    common_maps = {}
    for kind, subject in subjects.items():
        check()
        samples = clip.samples[kind]
        window = subject.window(samples)
        inputs = subject.inputs(window[None])[:1, ...]
        clean = softmax(subject.logits(inputs))[0]
        target = clip.label if clip.label is not None else int(np.argmax(clean))
        grids = {
            domain: region_grid(domain, subject, window, settings.regions, common, clip.seed)
            for domain in DOMAINS_OF_KIND[kind]
        }
        own_grid = grids[DOMAINS_OF_KIND[kind][0]]
        maps = {
            name: attribute(name, subject, inputs, target, own_grid.block)
            for name in dict.fromkeys((*settings.attributions, subject.card.default_composite))
        }
        default_map = maps[subject.card.default_composite]
        common_maps[kind] = relevance_in_domain("common", subject, window, default_map, common)
        if "faithfulness" in settings.measures:
            check()
            _faithfulness(result, kind, subject, window, maps, target, settings, common, grids, clip.seed)
        if "robustness" in settings.measures and clip.label is not None:
            _robustness(result, kind, subject, samples, clean, clip, settings, corrupted)
        if "stability" in settings.measures:
            noisy = white_noise(samples, subject.card.sample_rate, STABILITY_SNR_DB, np.random.default_rng(clip.seed))
            noisy_window = subject.window(noisy)
            noisy_map = attribute(
                subject.card.default_composite, subject, subject.inputs(noisy_window[None]), target, own_grid.block
            )
            result.add(kind, "stability/rank-correlation", rank_correlation(default_map, noisy_map))
        if "profiles" in settings.measures:
            result.profiles[kind] = (band_profile(common_maps[kind]), position_profile(common_maps[kind]))
        if "agreement" in settings.measures and clip.regions:
            start = subject.offset(samples) / subject.card.sample_rate
            for measure, value in agreement(common_maps[kind], common, start, clip.regions).items():
                result.add(kind, f"agreement/{measure}", value)
        if settings.keep_maps:
            result.maps[kind] = common_maps[kind].astype(np.float32)
    if "profiles" in settings.measures and len(common_maps) == 2:
        for measure, value in map_similarity(common_maps["waveform"], common_maps["spectrogram"]).items():
            result.add(PAIR, f"similarity/{measure}", value)
    return result


def _faithfulness(result, kind, subject, window, maps, target, settings, common, grids, seed) -> None:
    for domain, grid in grids.items():
        rng = np.random.default_rng([seed, len(domain)])
        scored = {name: grid.pool(relevance_in_domain(domain, subject, window, maps[name], common)) for name in maps}
        scored = {name: scored[name] for name in settings.attributions}
        scored.update({name: score(grid) for name, score in SCORE_BASELINES.items()})
        labels, orders = [], []
        for name, scores in scored.items():
            for order, descending in ((MORF, True), (LERF, False)):
                labels.append((name, order))
                orders.append(tie_broken_order(scores, descending, rng))
        for name, make_order in RANDOM_BASELINES.items():
            for _ in range(settings.random_seeds):
                labels.append((name, MORF))
                orders.append(make_order(grid, rng))
        curves = perturbation_curves(grid, orders, target, settings.steps)
        by_label: dict[tuple[str, str], list[int]] = {}
        for row, label in enumerate(labels):
            by_label.setdefault(label, []).append(row)
        for (name, order), rows in by_label.items():
            probability = curves.probability[rows].mean(axis=0)
            logit = curves.logit[rows].mean(axis=0)
            result.curves[(kind, domain, name, order)] = probability
            result.add(kind, faithfulness_measure(domain, name, f"aopc-{order}"), aopc(probability))
            if order == MORF:
                result.add(kind, faithfulness_measure(domain, name, "aopc-morf-logit"), aopc(logit))
        for name in scored:
            area = lerf_morf_area(result.curves[(kind, domain, name, MORF)], result.curves[(kind, domain, name, LERF)])
            result.add(kind, faithfulness_measure(domain, name, "lerf-minus-morf"), area)


def _robustness(result, kind, subject, samples, clean, clip, settings, corrupted: dict) -> None:
    result.add(kind, "robustness/clean/correct", float(np.argmax(clean) == clip.label))
    result.add(kind, "robustness/clean/probability", clean[clip.label])
    rate = subject.card.sample_rate
    labels, windows = [], []
    for name in settings.corruptions:
        corruption = CORRUPTIONS[name]
        for index, level in enumerate(corruption.levels):
            key = (id(samples), rate, name, index)
            if key not in corrupted:
                rng = np.random.default_rng([clip.seed, index, len(name)])
                corrupted[key] = corruption.apply(samples, rate, level, rng)
            windows.append(subject.window(corrupted[key]))
            labels.append(level_label(name, level))
    if not windows:
        return
    probabilities = softmax(subject.logits(subject.inputs(np.stack(windows))))
    for label, probability in zip(labels, probabilities, strict=True):
        result.add(kind, f"robustness/{label}/correct", float(np.argmax(probability) == clip.label))
        result.add(kind, f"robustness/{label}/probability", probability[clip.label])
