"""One call explains one clip with one model: probabilities, target, LRP relevance, conservation.

Clips of any length go through the same path: a short clip is centred in one model window, a long
one is cut into windows (hop configurable, default 50 %), explained in batches, and stitched into one
relevance track or map with overlap normalisation. Window starts and the centring offset are whole
multiples of the framing hop, so every window's spectrogram frames land on the clip's frame grid.
"""

from __future__ import annotations

import math
import os
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from ..classifiers import LoadedModel, ModelCard, load_model
from ..classifiers.inputs import model_input
from ..features import FeatureSpec
from .composites import DEFAULT_COMPOSITE, make_composite
from .projection import project_relevance
from .zennit_import import import_zennit

DEVICE_ENV = "AUDIOXAI_DEVICE"
_attribution = import_zennit().attribution


class ExplanationCancelled(Exception):
    """The caller's ``cancelled()`` turned true between two batches."""


def resolve_device(requested: str | None = None) -> torch.device:
    """Explicit choice, else $AUDIOXAI_DEVICE, else CUDA when available, else CPU."""
    name = requested or os.environ.get(DEVICE_ENV) or ("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} requested but CUDA is not available on this machine")
    return device


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"CUDA ({torch.cuda.get_device_name(device)})"
    return "CPU"


@dataclass
class Explanation:
    model_name: str
    input_kind: str
    classes: list[str]
    probabilities: np.ndarray
    target: int
    composite: str
    relevance: np.ndarray
    tf_relevance: np.ndarray
    grid: FeatureSpec
    sample_rate: int
    conservation: float
    window_starts: np.ndarray
    window_probabilities: np.ndarray
    seconds: float
    device: str = "CPU"
    notes: list[str] = field(default_factory=list)

    @property
    def predicted(self) -> int:
        return int(np.argmax(self.probabilities))

    def frame_times(self) -> np.ndarray:
        return self.grid.framing.frame_times(self.tf_relevance.shape[-1], self.grid.sample_rate)

    def band_frequencies(self) -> np.ndarray:
        return self.grid.band_frequencies()


@dataclass(frozen=True)
class WindowPlan:
    """Where model windows sit on a clip: ``offset`` zeros before it, windows at ``starts``."""

    n_samples: int
    window: int
    offset: int
    padded_length: int
    starts: np.ndarray

    @classmethod
    def for_clip(cls, n_samples: int, window: int, hop_fraction: float, frame_hop: int) -> WindowPlan:
        if not 0 < hop_fraction <= 1:
            raise ValueError(f"hop_fraction must be in (0, 1], got {hop_fraction}")
        if n_samples <= window:
            offset = (window - n_samples) // 2 // frame_hop * frame_hop
            return cls(n_samples, window, offset, window, np.zeros(1, dtype=np.int64))
        hop = max(frame_hop, round(window * hop_fraction / frame_hop) * frame_hop)
        n_windows = 1 + math.ceil((n_samples - window) / hop)
        starts = np.arange(n_windows, dtype=np.int64) * hop
        return cls(n_samples, window, 0, window + (n_windows - 1) * hop, starts)

    def pad(self, samples: np.ndarray) -> np.ndarray:
        padded = np.zeros(self.padded_length, dtype=np.float32)
        padded[self.offset : self.offset + self.n_samples] = samples
        return padded


class _Stitcher:
    """Overlap-add of per-window relevance along the last axis, normalised by how many windows cover it."""

    def __init__(self, shape_before: tuple[int, ...], length: int):
        self.total = np.zeros((*shape_before, length), dtype=np.float64)
        self.count = np.zeros(length, dtype=np.float64)

    def add(self, start: int, values: np.ndarray) -> None:
        stop = min(start + values.shape[-1], self.count.size)
        self.total[..., start:stop] += values[..., : stop - start]
        self.count[start:stop] += 1

    def result(self, start: int, stop: int) -> np.ndarray:
        return (self.total[..., start:stop] / np.maximum(self.count[start:stop], 1)).astype(np.float32)


class ExplanationEngine:
    """Explains clips with loaded models; safe to use from several threads.

    zennit registers hooks on a model while it explains, so concurrent explanations with one model
    would see each other's hooks: each model is guarded by its own lock.
    """

    def __init__(self, device: str | None = None, batch_size: int = 16):
        self.device = resolve_device(device)
        self.batch_size = batch_size
        self._locks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._locks_guard = threading.Lock()

    @property
    def device_name(self) -> str:
        return device_name(self.device)

    def load(self, card: ModelCard) -> LoadedModel:
        return load_model(card, self.device)

    def _lock(self, model: LoadedModel) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(model.module, threading.Lock())

    def explain(
        self,
        model: LoadedModel,
        samples: np.ndarray,
        target: int | None = None,
        composite: str | None = None,
        grid: FeatureSpec | None = None,
        hop_fraction: float = 0.5,
        progress: Callable[[float], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> Explanation:
        """Explain ``samples`` (mono, at the model's rate). See the module docstring for long clips."""
        card = model.card
        composite = composite or card.default_composite or DEFAULT_COMPOSITE
        # The spectrogram model's relevance lives on its own input grid; the waveform model's relevance is
        # projected onto the grid asked for (normally the spectrogram model's), if its rate matches.
        if card.input_kind != "waveform" or grid is None or grid.sample_rate != card.sample_rate:
            grid = card.features
        samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        if samples.size == 0:
            raise ValueError("cannot explain an empty clip")
        if target is not None and not 0 <= target < len(card.classes):
            raise ValueError(f"target {target} out of range for {len(card.classes)} classes of {card.name}")
        started = time.perf_counter()
        notes: list[str] = []
        try:
            result = self._explain(model, samples, target, composite, grid, hop_fraction, progress, cancelled)
        except torch.cuda.OutOfMemoryError:
            torch.cuda.empty_cache()
            notes.append(f"{device_name(model.device)} ran out of memory; {card.name} was explained on the CPU")
            model.module.to("cpu")
            model.device = torch.device("cpu")
            result = self._explain(model, samples, target, composite, grid, hop_fraction, progress, cancelled)
        result.seconds = time.perf_counter() - started
        result.notes = notes
        return result

    def _explain(self, model, samples, target, composite, grid, hop_fraction, progress, cancelled) -> Explanation:
        card = model.card
        plan = WindowPlan.for_clip(samples.size, card.input_length, hop_fraction, grid.framing.hop_length)
        padded = torch.from_numpy(plan.pad(samples))
        windows = padded.unfold(0, card.input_length, 1)[torch.from_numpy(plan.starts)]
        with self._lock(model):
            if target is None and len(plan.starts) > 1:
                target = int(np.argmax(self._probabilities(model, windows).mean(axis=0)))
            relevance, logits, chosen = self._relevance(model, windows, target, composite, progress, cancelled)
        probabilities = torch.softmax(torch.from_numpy(logits), dim=1).numpy()
        target = chosen if target is None else target
        conservation = float(relevance.sum() / logits[:, target].sum())
        stitched = self._stitch(card, plan, grid, relevance)
        if card.input_kind == "waveform":
            tf_relevance = project_relevance(samples, stitched, grid).astype(np.float32)
        else:
            tf_relevance = stitched
        return Explanation(
            model_name=card.name,
            input_kind=card.input_kind,
            classes=list(card.classes),
            probabilities=probabilities.mean(axis=0),
            target=int(target),
            composite=composite,
            relevance=stitched,
            tf_relevance=tf_relevance,
            grid=grid,
            sample_rate=card.sample_rate,
            conservation=conservation,
            window_starts=plan.starts - plan.offset,
            window_probabilities=probabilities,
            seconds=0.0,
            device=device_name(model.device),
        )

    def _probabilities(self, model: LoadedModel, windows: torch.Tensor) -> np.ndarray:
        chunks = []
        with torch.no_grad():
            for start in range(0, len(windows), self.batch_size):
                batch = windows[start : start + self.batch_size].to(model.device)
                chunks.append(torch.softmax(model.module(model_input(model.card, batch)), dim=1).cpu().numpy())
        return np.concatenate(chunks)

    def _relevance(self, model, windows, target, composite_name, progress, cancelled):
        """LRP for every window in batches; returns relevance (windows, *input), logits, chosen target."""
        relevance, logits = [], []
        chosen = target
        eye = torch.eye(len(model.card.classes), device=model.device)

        def attr_output(output: torch.Tensor) -> torch.Tensor:
            nonlocal chosen
            if chosen is None:
                chosen = int(output[0].argmax())
            return output * eye[chosen]

        composite = make_composite(composite_name, model.card.input_kind)
        with _attribution.Gradient(model.module, composite) as attributor:
            for start in range(0, len(windows), self.batch_size):
                if cancelled is not None and cancelled():
                    raise ExplanationCancelled()
                batch = model_input(model.card, windows[start : start + self.batch_size].to(model.device))
                output, batch_relevance = attributor(batch, attr_output)
                relevance.append(batch_relevance[:, 0].detach().cpu().numpy())
                logits.append(output.detach().cpu().numpy())
                if progress is not None:
                    progress(min(1.0, (start + len(batch)) / len(windows)))
        return np.concatenate(relevance), np.concatenate(logits), chosen

    @staticmethod
    def _stitch(card: ModelCard, plan: WindowPlan, grid: FeatureSpec, relevance: np.ndarray) -> np.ndarray:
        if card.input_kind == "waveform":
            stitcher = _Stitcher((), plan.padded_length)
            for start, values in zip(plan.starts, relevance, strict=True):
                stitcher.add(int(start), values)
            return stitcher.result(plan.offset, plan.offset + plan.n_samples)
        framing = card.features.framing
        stitcher = _Stitcher(relevance.shape[1:-1], framing.n_frames(plan.padded_length))
        for start, values in zip(plan.starts, relevance, strict=True):
            stitcher.add(int(start) // framing.hop_length, values)
        first = plan.offset // framing.hop_length
        return stitcher.result(first, first + framing.n_frames(plan.n_samples))
