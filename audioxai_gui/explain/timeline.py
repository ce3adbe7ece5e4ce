"""A long recording explained window by window, in any order: the visible part first, the rest behind.

A ``Timeline`` holds one model's windows over one recording: which are explained, each window's logits,
target and conservation, and the overlap-added relevance of the explained ones. Windows can be added in
any order (overlap-add is a sum), so the caller decides the order (``next_batch``: the windows in view
first, nearest the view next), a cancelled run keeps what it finished, and a resumed or cached run only
computes what is missing. ``explanation()`` turns what is done into an ordinary engine ``Explanation``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..classifiers import LoadedModel
from ..features import FeatureSpec
from .engine import (
    Explanation,
    ExplanationCancelled,
    WindowBatch,
    WindowPlan,
    WindowResults,
    assemble_explanation,
    device_name,
    resolve_target_mode,
    rms_level,
    sums_on_clip,
    time_frequency_maps,
)

View = tuple[float, float] | None
"""The time range in view (seconds), or None for no preference."""


@dataclass
class Timeline:
    card: object  # ModelCard
    plan: WindowPlan
    composite: str
    target_mode: str
    target: int | None  # the class in "one_class" mode; None: each window its own
    hop_fraction: float
    done: np.ndarray
    logits: np.ndarray
    targets: np.ndarray
    on_clip: np.ndarray  # per window, its relevance sum on the clip (not the padding)
    padding_abs: np.ndarray  # per window, its |relevance| on the zero padding
    total_abs: np.ndarray  # per window, its |relevance| in all
    total: np.ndarray  # overlap-added relevance of the done windows, on the padded clip
    seconds: float = 0.0  # model time spent so far
    device: str = "CPU"  # where the windows were explained (the last run's device)
    maps: dict | None = None
    """A complete waveform timeline's projected maps (``MAP_ARRAYS`` and the grid they are on), kept and cached:
    projecting an hour takes seconds, and a reopened recording should not pay them again."""
    clip_level: float | None = None
    """The recording's RMS level (the projection's silence stabiliser), taken when a stretch is first projected."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def create(
        cls,
        card,
        n_samples: int,
        composite: str,
        target: int | None = None,
        target_mode: str | None = None,
        hop_fraction: float = 0.5,
    ) -> Timeline:
        """An empty timeline. "one_class" needs ``target`` here (the engine finds the clip's class itself)."""
        framing = card.features.framing
        plan = WindowPlan.for_clip(n_samples, card.input_length, hop_fraction, framing.hop_length)
        target_mode = resolve_target_mode(target_mode, target, len(plan.starts))
        if target_mode == "one_class" and target is None and len(plan.starts) > 1:
            raise ValueError("one class across the recording: name the class to explain")
        if card.input_kind == "waveform":
            shape: tuple[int, ...] = (plan.padded_length,)
        else:
            shape = (card.features.n_bands, framing.n_frames(plan.padded_length))
        n, n_classes = len(plan.starts), len(card.classes)
        return cls(
            card,
            plan,
            composite,
            target_mode,
            target,
            hop_fraction,
            done=np.zeros(n, dtype=bool),
            logits=np.zeros((n, n_classes), dtype=np.float32),
            targets=np.zeros(n, dtype=np.int64),
            on_clip=np.zeros(n, dtype=np.float64),
            padding_abs=np.zeros(n, dtype=np.float64),
            total_abs=np.zeros(n, dtype=np.float64),
            total=np.zeros(shape, dtype=np.float32),
        )

    # --- which windows --------------------------------------------------------------------------
    @property
    def n_windows(self) -> int:
        return len(self.plan.starts)

    @property
    def fraction_done(self) -> float:
        return float(self.done.mean())

    def window_times(self) -> np.ndarray:
        """(n, 2) start and end of each window in seconds on the clip (a short clip's window is centred)."""
        starts = (self.plan.starts - self.plan.offset) / self.card.sample_rate
        return np.stack([starts, starts + self.plan.window / self.card.sample_rate], axis=1)

    def windows_in(self, view: View) -> np.ndarray:
        """Indices of the windows overlapping ``view``."""
        if view is None:
            return np.arange(self.n_windows)
        times = self.window_times()
        return np.flatnonzero((times[:, 1] > view[0]) & (times[:, 0] < view[1]))

    def next_batch(self, size: int, view: View = None) -> np.ndarray:
        """Up to ``size`` missing windows: those in ``view`` first (alone: the view is drawn as soon as they are
        done, not after a batch filled up with its neighbours), then the nearest to it, then in order."""
        missing = np.flatnonzero(~self.done)
        if missing.size == 0 or view is None:
            return missing[:size]
        times = self.window_times()[missing]
        centres = times.mean(axis=1)
        in_view = (times[:, 1] > view[0]) & (times[:, 0] < view[1])
        if in_view.any():
            return missing[in_view][:size]
        distance = np.where(in_view, 0.0, np.abs(centres - (view[0] + view[1]) / 2))
        order = np.lexsort((missing, distance))
        return missing[order[:size]]

    # --- results --------------------------------------------------------------------------------
    def add(self, indices: np.ndarray, batch: WindowBatch) -> None:
        """Record explained windows (any order; a window already done is not added twice)."""
        framing = self.card.features.framing
        with self._lock:
            self.maps = None
            for row, index in enumerate(indices):
                if self.done[index]:
                    continue
                start = int(self.plan.starts[index])
                values = batch.relevance[row]
                if self.card.input_kind != "waveform":
                    start //= framing.hop_length
                stop = min(start + values.shape[-1], self.total.shape[-1])
                self.total[..., start:stop] += values[..., : stop - start]
            fresh = ~self.done[indices]
            chosen = indices[fresh]
            self.logits[chosen] = batch.logits[fresh]
            self.targets[chosen] = batch.targets[fresh]
            on_clip, padding_abs, total_abs = sums_on_clip(
                self.card, self.plan, batch.relevance, self.plan.starts[indices]
            )
            self.on_clip[chosen] = on_clip[fresh]
            self.padding_abs[chosen] = padding_abs[fresh]
            self.total_abs[chosen] = total_abs[fresh]
            self.done[chosen] = True

    def probabilities(self) -> np.ndarray:
        """(n, classes) softmax per window; rows of windows not yet explained are zero."""
        shifted = self.logits - self.logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        return np.where(self.done[:, None], exp / exp.sum(axis=1, keepdims=True), 0.0).astype(np.float32)

    def _divisor(self, first: int, stop: int) -> np.ndarray:
        """How many done windows cover each element [first, stop) of ``total``'s last axis, at least 1 (the
        divisor of the overlap average), as float32 so the division stays in float32.

        Built from the few points where the count changes and repeated between them: an hour's waveform
        timeline has 29 million elements but only twice as many change points as windows."""
        starts = self.plan.starts[self.done]
        width = self.plan.window
        if self.card.input_kind != "waveform":
            framing = self.card.features.framing
            starts, width = starts // framing.hop_length, framing.n_frames(self.plan.window)
        length = stop - first
        edges = np.concatenate([np.clip(starts - first, 0, length), np.clip(starts + width - first, 0, length)])
        points, where = np.unique(edges, return_inverse=True)
        change = np.zeros(points.size, dtype=np.int64)
        np.add.at(change, where.reshape(-1), np.repeat([1, -1], starts.size))
        counts = np.concatenate([[0], np.cumsum(change)])  # before the first point, then from each point on
        runs = np.diff(np.concatenate([[0], points, [length]]))
        return np.repeat(np.maximum(counts, 1).astype(np.float32), runs)

    def done_span(self, view: View = None) -> tuple[int, int] | None:
        """Clip samples [first, stop) covered by explained windows (None: none): the unbroken run of them around
        ``view`` when some window in view is done (the fill grows outwards from the view, so this is what a
        partial result draws; a stretch done before the view moved is left to the next), else all of them."""
        if not self.done.any():
            return None
        chosen = self.done.copy()
        in_view = self.windows_in(view) if view is not None else np.zeros(0, dtype=np.int64)
        in_view = in_view[self.done[in_view]]
        if in_view.size:
            first, last = int(in_view.min()), int(in_view.max())
            while first > 0 and self.done[first - 1]:
                first -= 1
            while last + 1 < self.n_windows and self.done[last + 1]:
                last += 1
            chosen[:] = False
            chosen[first : last + 1] = True
        starts = self.plan.starts[chosen] - self.plan.offset
        return max(0, int(starts.min())), min(self.plan.n_samples, int(starts.max()) + self.plan.window)

    def explanation(
        self, samples: np.ndarray, grid: FeatureSpec | None = None, span: tuple[int, int] | None = None
    ) -> Explanation:
        """What is done so far as an engine Explanation of ``samples`` (unexplained stretches are zero).
        ``span`` (clip samples [first, stop), e.g. ``done_span()``): relevance and maps are computed there only
        and are zero elsewhere, so a partial result of an hour costs what its explained part costs."""
        card, plan = self.card, self.plan
        if card.input_kind != "waveform" or grid is None or grid.sample_rate != card.sample_rate:
            grid = card.features
        first, stop = span if span is not None else (0, plan.n_samples)
        with self._lock:
            if card.input_kind == "waveform":
                relevance = np.zeros(plan.n_samples, dtype=np.float32)
                low, high = plan.offset + first, plan.offset + stop
                count = self._divisor(low, high)
                np.divide(self.total[low:high], count, out=relevance[first:stop], casting="unsafe")
            else:
                framing = card.features.framing
                offset_frames = plan.offset // framing.hop_length
                n_frames = framing.n_frames(plan.n_samples)
                f0 = first // framing.hop_length
                f1 = n_frames if stop >= plan.n_samples else min(n_frames, -(-stop // framing.hop_length) + 1)
                relevance = np.zeros((self.total.shape[0], n_frames), dtype=np.float32)
                low, high = offset_frames + f0, offset_frames + f1
                count = self._divisor(low, high)
                np.divide(self.total[:, low:high], count, out=relevance[:, f0:f1], casting="unsafe")
            logits = self.logits
            windows = WindowResults(
                self.probabilities(),
                self.targets.copy(),
                logits[np.arange(len(logits)), self.targets],
                self.on_clip.copy(),
                self.padding_abs.copy(),
                self.total_abs.copy(),
                self.done.copy(),
            )
        complete = span is None and bool(windows.done.all()) and card.input_kind == "waveform"
        grid_key = json.dumps(grid.to_dict(), sort_keys=True)
        if complete and (self.maps is None or self.maps["grid"] != grid_key):
            tf, silent, share = time_frequency_maps(card.input_kind, samples, relevance, grid)
            self.maps = {"tf": tf, "silent": silent, "silent_share": share, "grid": grid_key}
        maps = (self.maps["tf"], self.maps["silent"], self.maps["silent_share"]) if complete else None
        if span is not None and self.clip_level is None and card.input_kind == "waveform":  # a span projects
            self.clip_level = rms_level(np.asarray(samples, dtype=np.float32))
        return assemble_explanation(
            card,
            plan,
            samples,
            relevance.astype(np.float32, copy=False),
            grid,
            windows,
            maps=maps,
            target=self.target,
            target_mode=self.target_mode,
            composite=self.composite,
            device=self.device,
            seconds=self.seconds,
            span=span,
            clip_level=self.clip_level,
        )

    # --- persistence (see cache.py) -------------------------------------------------------------
    ARRAYS = ("done", "logits", "targets", "on_clip", "padding_abs", "total_abs", "total")

    def arrays(self) -> dict[str, np.ndarray]:
        with self._lock:
            arrays = {name: getattr(self, name).copy() for name in self.ARRAYS}
            if self.maps is not None:
                arrays.update({f"map_{name}": np.asarray(value) for name, value in self.maps.items()})
            return arrays

    def restore(self, arrays: dict[str, np.ndarray]) -> bool:
        """Take saved arrays if they fit this timeline (same windows, classes, grid); False if not."""
        if any(name not in arrays or arrays[name].shape != getattr(self, name).shape for name in self.ARRAYS):
            return False
        with self._lock:
            for name in self.ARRAYS:  # taken, not copied (an hour's are ~600 MB): the cache's are private maps
                setattr(self, name, np.asarray(arrays[name], dtype=getattr(self, name).dtype))
            saved_maps = {name: arrays.get(f"map_{name}") for name in ("tf", "silent", "silent_share", "grid")}
            if all(value is not None for value in saved_maps.values()) and self.done.all():
                self.maps = {
                    "tf": np.asarray(saved_maps["tf"]),
                    "silent": np.asarray(saved_maps["silent"]),
                    "silent_share": float(saved_maps["silent_share"]),
                    "grid": str(saved_maps["grid"]),
                }
        return True


def explain_timeline(
    engine,
    model: LoadedModel,
    samples: np.ndarray,
    timeline: Timeline,
    view: Callable[[], View] = lambda: None,
    cancelled: Callable[[], bool] = lambda: False,
    on_batch: Callable[[Timeline], None] | None = None,
) -> Timeline:
    """Explain the timeline's missing windows, a batch at a time, asking ``view()`` before each batch (the
    newest view wins). Raises ExplanationCancelled between batches; what is done stays in ``timeline``."""
    timeline.device = device_name(model.device)
    samples = np.asarray(samples, dtype=np.float32)
    while True:
        indices = timeline.next_batch(engine.batch_size, view())
        if indices.size == 0:
            return timeline
        if cancelled():
            raise ExplanationCancelled()
        started = time.perf_counter()
        targets = None if timeline.target is None else np.full(indices.size, timeline.target, dtype=np.int64)
        batch = engine.explain_windows(model, timeline.plan.windows(samples, indices), targets, timeline.composite)
        timeline.add(indices, batch)
        timeline.seconds += time.perf_counter() - started
        if on_batch is not None:
            on_batch(timeline)
