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

from ..audio.io import SILENCE_PEAK
from ..classifiers import LoadedModel, ModelCard, load_model
from ..classifiers.inputs import model_input
from ..features import FeatureSpec
from .composites import DEFAULT_COMPOSITE, make_composite
from .projection import SILENCE_LEVEL, project
from .zennit_import import import_zennit

DEVICE_ENV = "AUDIOXAI_DEVICE"
# How maps are made comparable across models (named on colour bars, in --json and .npz): the two models'
# maps decompose different quantities (dB bins vs STFT coefficients), so raw values do not compare.
MAP_NORMALISATION = "share of the map's total |relevance|"
TARGET_MODES = {
    "each_window": "each window for its own predicted class",
    "one_class": "one class across the recording",
}
_attribution = import_zennit().attribution


class ExplanationCancelled(Exception):
    """The caller's ``cancelled()`` turned true between two batches."""


class ExplanationError(Exception):
    """A model gave numbers that cannot be shown (NaN or infinite); the message names the model."""


def _check_finite(result: Explanation) -> None:
    """NaN must never reach a figure, a table or JSON: say which model failed on this clip instead."""
    values = {
        "probabilities": result.probabilities,
        "relevance": result.relevance,
        "time-frequency relevance": result.tf_relevance,
        "conservation": np.float32(result.conservation),
    }
    broken = [name for name, value in values.items() if not np.isfinite(value).all()]
    if broken:
        raise ExplanationError(
            f"model {result.model_name} gave NaN or infinite {' and '.join(broken)} on this clip "
            "(extreme sample values or unstable weights); its explanation is not shown"
        )


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
    target_mode: str = "one_class"
    window_targets: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """The class each window's relevance explains (all equal to ``target`` in "one_class" mode)."""
    window_conservation: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    """Each window's relevance on the clip (not its zero padding) over its target logit (1.0: all of it)."""
    tf_silent: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    """Per frame, waveform relevance on near-silent samples: no frequency carries it, so it is not in the map."""
    silent_share: float = 0.0
    """The part of the clip's total |relevance| on near-silent samples (waveform models; 0 for spectrograms)."""
    padding_share: float = 0.0
    """The part of the windows' |relevance| on the zero padding around the clip (not shown, not conserved)."""
    padded_samples: int = 0
    """Zeros the windows add around the clip (a short clip is centred in one window; the last one is filled)."""
    relevance_sum: float | None = None
    """Sum of ``relevance``, taken once by whoever builds the explanation (an hour's relevance is 29-58 million
    values and the class panel asks on every cursor move); None: summed when asked. A copy with other relevance
    must pass its own."""
    no_sound: bool = False
    """The clip is silent (peak below -80 dBFS): whatever the model says about it means nothing."""

    @property
    def predicted(self) -> int:
        return int(np.argmax(self.probabilities))

    @property
    def total_relevance(self) -> float:
        """Sum of the relevance over the clip; negative means the clip speaks against the explained class."""
        if self.relevance_sum is not None:
            return self.relevance_sum
        return float(self.relevance.sum(dtype=np.float64))

    @property
    def map_scale(self) -> float:
        """The map's total |relevance|: maps are shown and compared divided by it (MAP_NORMALISATION)."""
        return float(np.abs(self.tf_relevance).sum(dtype=np.float64))

    def tf_shares(self) -> np.ndarray:
        """The time-frequency map as each bin's share of the map's total |relevance| (sums of |.| to 1)."""
        scale = self.map_scale
        return self.tf_relevance / scale if scale > 0 else np.zeros_like(self.tf_relevance)

    def frame_times(self) -> np.ndarray:
        return self.grid.framing.frame_times(self.tf_relevance.shape[-1], self.grid.sample_rate)

    def band_frequencies(self) -> np.ndarray:
        return self.grid.band_frequencies()


@dataclass
class WindowBatch:
    """LRP of some windows: relevance (windows, *input), logits (windows, classes), the class each explains."""

    relevance: np.ndarray
    logits: np.ndarray
    targets: np.ndarray

    @property
    def explained_logits(self) -> np.ndarray:
        """Per window, the logit of the class its relevance explains."""
        return self.logits[np.arange(len(self.targets)), self.targets]


def resolve_target_mode(target_mode: str | None, target: int | None, n_windows: int) -> str:
    """A given target means one class; otherwise each window for itself when there is more than one."""
    if target_mode is not None and target_mode not in TARGET_MODES:
        raise ValueError(f"target mode {target_mode!r} is not one of {', '.join(TARGET_MODES)}")
    if target is not None:
        return "one_class"
    return target_mode or ("each_window" if n_windows > 1 else "one_class")


def time_frequency_maps(
    input_kind: str,
    samples,
    relevance: np.ndarray,
    grid: FeatureSpec,
    span: tuple[int, int] | None = None,
    clip_level: float | None = None,
):
    """(map, silent track per frame, silent share) shown for a model's relevance on a clip: a waveform
    model's is projected (DFT-LRP), its relevance on silent samples kept apart; a spectrogram model's
    relevance is its map, with nothing silent. ``span`` (first, stop) in samples: the relevance is zero outside
    it (a partial result), so only the frames it touches are projected; the rest of the map is zero; ``clip_level``:
    the clip's ``rms_level``, when the caller keeps it (an hour's takes 0.1-0.3 s, a partial result is drawn often)."""
    if input_kind != "waveform":
        return relevance, np.zeros(relevance.shape[-1], np.float32), 0.0
    if span is None:
        projection = project(samples, relevance, grid)
        return projection.tf.astype(np.float32), projection.silent.astype(np.float32), float(projection.silent_share)
    samples = np.asarray(samples, dtype=np.float32)
    return _projected_span(samples, relevance, grid, span, rms_level(samples) if clip_level is None else clip_level)


RMS_CHUNK = 1 << 16


def rms_level(samples: np.ndarray) -> float:
    """Root mean square of the samples, accumulated in float64 a chunk at a time (an hour's float64 squares in
    one array took 0.14 s, the chunked dot products 0.02 s)."""
    if not len(samples):
        return 0.0
    energy = sum(
        float(np.dot(chunk, chunk))
        for chunk in (samples[i : i + RMS_CHUNK].astype(np.float64) for i in range(0, len(samples), RMS_CHUNK))
    )
    return math.sqrt(energy / len(samples))


def _projected_span(samples: np.ndarray, relevance: np.ndarray, grid: FeatureSpec, span, clip_level: float):
    """The frames touching samples [first, stop), projected from a stretch of the clip wide enough that each
    equals the whole clip's frame (real signal in every frame, the clip's level for the silence stabiliser)."""
    framing = grid.framing
    hop, n_fft = framing.hop_length, framing.n_fft
    pad = n_fft // 2 if framing.center else 0
    n_frames = framing.n_frames(len(samples))
    tf = np.zeros((grid.n_bands, n_frames), dtype=np.float32)
    silent = np.zeros(n_frames, dtype=np.float32)
    first, stop = span
    f0 = max(0, (first + pad - n_fft) // hop + 1)
    f1 = min(n_frames, -(-(stop + pad) // hop))
    if f1 <= f0:
        return tf, silent, 0.0
    g0 = max(0, f0 - -(-pad // hop))  # the stretch starts on a frame centre, far enough back for frame f0's window
    s0, s1 = g0 * hop, min(len(samples), (f1 - 1) * hop - pad + n_fft)
    stretch_level = rms_level(samples[s0:s1])
    silence_level = SILENCE_LEVEL * clip_level / stretch_level if stretch_level > 0 else SILENCE_LEVEL
    projection = project(samples[s0:s1], relevance[s0:s1], grid, silence_level)
    tf[:, f0:f1] = projection.tf[:, f0 - g0 : f1 - g0]
    silent[f0:f1] = projection.silent[f0 - g0 : f1 - g0]
    return tf, silent, float(projection.silent_share)


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

    def windows(self, samples: np.ndarray, indices: np.ndarray | None = None) -> torch.Tensor:
        """(n, window) of the padded clip at the planned starts (all, or those at ``indices``): only the windows
        are copied, never the whole padded clip (for each batch of an hour that was 115 MB and 0.1 s)."""
        starts = (self.starts if indices is None else self.starts[indices]) - self.offset  # on the clip
        windows = np.zeros((len(starts), self.window), dtype=np.float32)
        for row, start in enumerate(starts.tolist()):
            first, stop = max(0, start), min(self.n_samples, start + self.window)
            if first < stop:
                windows[row, first - start : stop - start] = samples[first:stop]
        return torch.from_numpy(windows)


def sums_on_clip(
    card: ModelCard, plan: WindowPlan, relevance: np.ndarray, starts: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per window (at ``starts``, default all planned): the relevance on the clip itself, leaving out the
    zero padding around it (the conservation shown is about what the maps show); its |relevance| on the
    padding; and its |relevance| in all (``padding_share`` adds these up over the windows)."""
    starts = plan.starts if starts is None else starts
    if card.input_kind == "waveform":
        first, stop = plan.offset, plan.offset + plan.n_samples
    else:
        framing = card.features.framing
        first = plan.offset // framing.hop_length
        stop, starts = first + framing.n_frames(plan.n_samples), starts // framing.hop_length
    positions = starts[:, None] + np.arange(relevance.shape[-1])
    on_clip = (positions >= first) & (positions < stop)
    per_position = relevance.reshape(len(starts), -1, relevance.shape[-1])
    abs_per_position = np.abs(per_position).sum(axis=1, dtype=np.float64)
    padding_abs = (abs_per_position * ~on_clip).sum(axis=1)
    on_clip_sums = (per_position.sum(axis=1, dtype=np.float64) * on_clip).sum(axis=1)
    return on_clip_sums, padding_abs, abs_per_position.sum(axis=1)


@dataclass
class WindowResults:
    """What a clip's explained windows give, whoever computed them (one engine call, or a Timeline filled in any
    order): per window its probabilities, explained class, explained logit, relevance sum on the clip and
    |relevance| on the padding and in all; ``done`` marks the windows explained so far (all, for the engine)."""

    probabilities: np.ndarray  # (n, classes); rows of windows not done are zero
    targets: np.ndarray
    explained_logits: np.ndarray
    on_clip: np.ndarray
    padding_abs: np.ndarray
    total_abs: np.ndarray
    done: np.ndarray


def assemble_explanation(
    card: ModelCard,
    plan: WindowPlan,
    samples: np.ndarray,
    relevance: np.ndarray,
    grid: FeatureSpec,
    windows: WindowResults,
    *,
    target: int | None,
    target_mode: str,
    composite: str,
    device: str,
    seconds: float = 0.0,
    span: tuple[int, int] | None = None,
    maps: tuple | None = None,
    clip_level: float | None = None,
) -> Explanation:
    """The one place an Explanation is put together from stitched relevance and per-window results (the engine's
    and the Timeline's explanations of the same audio carry the same fields, computed the same way).
    ``target`` None: the clip's most probable class (mean over the done windows); ``span``: see
    ``time_frequency_maps`` (a partial result whose relevance is zero outside it); ``maps``: its result, already
    computed (a complete timeline keeps its projection); ``clip_level``: see ``time_frequency_maps``."""
    done = windows.done
    n_classes = len(card.classes)
    mean = windows.probabilities[done].mean(axis=0) if done.any() else np.full(n_classes, 1 / n_classes)
    explained = windows.explained_logits[done].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        window_conservation = np.where(done, windows.on_clip / windows.explained_logits, 0.0).astype(np.float32)
    total_abs = float(windows.total_abs[done].sum())
    tf_relevance, tf_silent, silent_share = maps or time_frequency_maps(
        card.input_kind, samples, relevance, grid, span, clip_level
    )
    return Explanation(
        model_name=card.name,
        input_kind=card.input_kind,
        classes=list(card.classes),
        probabilities=mean.astype(np.float32),
        target=int(target if target is not None else np.argmax(mean)),
        composite=composite,
        relevance=relevance.astype(np.float32, copy=False),
        tf_relevance=tf_relevance,
        grid=grid,
        sample_rate=card.sample_rate,
        conservation=float(windows.on_clip[done].sum() / explained.sum()) if explained.sum() else 0.0,
        window_starts=plan.starts - plan.offset,
        window_probabilities=windows.probabilities.astype(np.float32, copy=False),
        seconds=seconds,
        device=device,
        target_mode=target_mode,
        window_targets=windows.targets,
        window_conservation=window_conservation,
        tf_silent=tf_silent,
        silent_share=silent_share,
        padding_share=float(windows.padding_abs[done].sum()) / total_abs if total_abs > 0 else 0.0,
        padded_samples=int(plan.padded_length - plan.n_samples),
        relevance_sum=float(relevance.sum(dtype=np.float64)),
    )


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
        target_mode: str | None = None,
    ) -> Explanation:
        """Explain ``samples`` (mono, at the model's rate). See the module docstring for long clips and
        ``TARGET_MODES``; ``target_mode`` None means "each_window" for a clip of several windows."""
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
            result = self._explain(
                model, samples, target, composite, grid, hop_fraction, progress, cancelled, target_mode
            )
        except torch.cuda.OutOfMemoryError:
            torch.cuda.empty_cache()
            notes.append(f"{device_name(model.device)} ran out of memory; {card.name} was explained on the CPU")
            model.module.to("cpu")
            model.device = torch.device("cpu")
            result = self._explain(
                model, samples, target, composite, grid, hop_fraction, progress, cancelled, target_mode
            )
        result.seconds = time.perf_counter() - started
        _check_finite(result)
        result.no_sound = float(np.abs(samples).max()) < SILENCE_PEAK
        if result.no_sound:
            notes.append(f"no sound: the clip is silent, so what {card.name} says about it means nothing")
        result.notes = notes
        return result

    def _explain(
        self, model, samples, target, composite, grid, hop_fraction, progress, cancelled, target_mode
    ) -> Explanation:
        card = model.card
        plan = WindowPlan.for_clip(samples.size, card.input_length, hop_fraction, grid.framing.hop_length)
        windows = plan.windows(samples)
        target_mode = resolve_target_mode(target_mode, target, len(plan.starts))
        if target_mode == "one_class" and target is None and len(plan.starts) > 1:
            target = int(np.argmax(self.probabilities(model, windows).mean(axis=0)))
        targets = None if target is None else np.full(len(plan.starts), target, dtype=np.int64)
        batch = self.explain_windows(model, windows, targets, composite, progress, cancelled)
        probabilities = torch.softmax(torch.from_numpy(batch.logits), dim=1).numpy()
        on_clip, padding_abs, total_abs = sums_on_clip(card, plan, batch.relevance)
        stitched = self._stitch(card, plan, grid, batch.relevance)
        windows = WindowResults(
            probabilities,
            batch.targets,
            batch.explained_logits,
            on_clip,
            padding_abs,
            total_abs,
            np.ones(len(plan.starts), dtype=bool),
        )
        return assemble_explanation(
            card,
            plan,
            samples,
            stitched,
            grid,
            windows,
            target=target,
            target_mode=target_mode,
            composite=composite,
            device=device_name(model.device),
        )

    def probabilities(self, model: LoadedModel, windows: torch.Tensor) -> np.ndarray:
        """Softmax of every window (no relevance), in batches."""
        chunks = []
        with self._lock(model), torch.no_grad():
            for start in range(0, len(windows), self.batch_size):
                batch = windows[start : start + self.batch_size].to(model.device)
                chunks.append(torch.softmax(model.module(model_input(model.card, batch)), dim=1).cpu().numpy())
        return np.concatenate(chunks)

    def explain_windows(
        self,
        model: LoadedModel,
        windows: torch.Tensor,
        targets: np.ndarray | None,
        composite_name: str,
        progress: Callable[[float], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> WindowBatch:
        """LRP for (windows, input_length) in batches; ``targets`` None explains each window's own argmax."""
        relevance, logits, chosen = [], [], []
        eye = torch.eye(len(model.card.classes), device=model.device)
        batch_targets: torch.Tensor | None = None

        def attr_output(output: torch.Tensor) -> torch.Tensor:
            nonlocal batch_targets
            if batch_targets is None:
                batch_targets = output.argmax(dim=1)
            return output * eye[batch_targets]

        composite = make_composite(composite_name, model.card.input_kind)
        with self._lock(model), _attribution.Gradient(model.module, composite) as attributor:
            for start in range(0, len(windows), self.batch_size):
                if cancelled is not None and cancelled():
                    raise ExplanationCancelled()
                stop = min(start + self.batch_size, len(windows))
                batch = model_input(model.card, windows[start:stop].to(model.device))
                batch_targets = None if targets is None else torch.as_tensor(targets[start:stop], device=model.device)
                output, batch_relevance = attributor(batch, attr_output)
                relevance.append(batch_relevance[:, 0].detach().cpu().numpy())
                logits.append(output.detach().cpu().numpy())
                chosen.append(batch_targets.cpu().numpy())
                if progress is not None:
                    progress(stop / len(windows))
        return WindowBatch(np.concatenate(relevance), np.concatenate(logits), np.concatenate(chosen).astype(np.int64))

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
