"""Files an explanation run writes: relevance arrays (.npz with metadata) and PNG figures.

Figures use matplotlib's Agg canvas directly (no pyplot, no GUI backend), so the CLI runs headless.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .atomic import atomic_output
from .explain.accounting import accounting
from .explain.engine import MAP_NORMALISATION, Explanation
from .features import FeatureSpec, spectrogram_db

RELEVANCE_CMAP = "bwr"  # diverging: red = evidence for the class, blue = against, white = none


def symmetric_limit(*maps: np.ndarray, percentile: float = 99.5) -> float:
    """One colour-scale limit for several relevance maps, robust to a few extreme values."""
    values = np.concatenate([np.abs(m).ravel() for m in maps])
    limit = float(np.percentile(values, percentile)) if values.size else 0.0
    return limit if limit > 0 else 1.0


def save_npz(path: Path, clips: dict[str, np.ndarray], explanations: list[Explanation], source: str) -> None:
    """Arrays per model (samples at its rate, relevance, probabilities, grid axes) plus JSON metadata."""
    arrays: dict[str, np.ndarray] = {f"{kind}_samples": samples for kind, samples in clips.items()}
    meta = {"source": source, "models": []}
    for exp in explanations:
        key = exp.input_kind
        arrays[f"{key}_relevance"] = exp.relevance
        arrays[f"{key}_tf_relevance"] = exp.tf_relevance
        arrays[f"{key}_tf_silent"] = exp.tf_silent
        arrays[f"{key}_window_conservation"] = exp.window_conservation
        arrays[f"{key}_probabilities"] = exp.probabilities
        arrays[f"{key}_frame_times"] = exp.frame_times()
        arrays[f"{key}_band_frequencies"] = exp.band_frequencies()
        meta["models"].append(
            {
                "key": key,
                "model": exp.model_name,
                "classes": exp.classes,
                "target": exp.target,
                "predicted": exp.predicted,
                "composite": exp.composite,
                **accounting(exp),
                "sample_rate": exp.sample_rate,
                "grid": exp.grid.to_dict(),
            }
        )
    arrays["metadata"] = np.array(json.dumps(meta))
    with atomic_output(path) as temp, open(temp, "wb") as out:
        np.savez_compressed(out, **arrays)


MAX_FIGURE_COLUMNS = 3000
"""A figure is about 1,100 pixels wide: drawing more columns than this only costs memory (a 3-hour clip has
86 million samples and 1.3 million spectrogram frames; drawn in full they exhaust memory)."""

SPECTROGRAM_CHUNK_FRAMES = 8192  # frames of a long clip's spectrogram computed (then reduced) at a time: ~50 MB


def reduce_columns(values: np.ndarray, block: int, how: str) -> np.ndarray:
    """The last axis in blocks of ``block``: "max", "min" or "signed" (the value of largest magnitude)."""
    if block <= 1:
        return values
    starts = np.arange(0, values.shape[-1], block)
    if how == "max":
        return np.maximum.reduceat(values, starts, axis=-1)
    if how == "min":
        return np.minimum.reduceat(values, starts, axis=-1)
    high, low = np.maximum.reduceat(values, starts, axis=-1), np.minimum.reduceat(values, starts, axis=-1)
    return np.where(high >= -low, high, low)


def column_block(length: int) -> int:
    """How many samples or frames one drawn column stands for."""
    return max(1, -(-length // MAX_FIGURE_COLUMNS))


def _spectrogram_db_reduced(samples: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """The dB image with at most about MAX_FIGURE_COLUMNS columns (the loudest frame of each block).

    A long clip is computed a chunk of frames at a time, so the full-resolution spectrogram never exists.
    """
    n_frames = spec.framing.n_frames(samples.size)
    block = column_block(n_frames)
    if block == 1:
        return spectrogram_db(samples, spec)
    hop = spec.framing.hop_length
    chunk = max(1, SPECTROGRAM_CHUNK_FRAMES // block) * block  # whole blocks per chunk
    columns = []
    for first in range(0, n_frames, chunk):
        frames = min(chunk, n_frames - first)
        db = spectrogram_db(samples[first * hop : (first + frames) * hop], spec)[:, :frames]
        columns.append(reduce_columns(db, block, "max"))
    return np.concatenate(columns, axis=1)


def _spectrogram_axes(ax, spec: FeatureSpec, samples: np.ndarray, title: str):
    db = _spectrogram_db_reduced(samples, spec)
    times = spec.framing.frame_times(spec.framing.n_frames(samples.size), spec.sample_rate)
    freqs = spec.band_frequencies()
    extent = (times[0], times[-1], freqs[0], freqs[-1])
    ax.imshow(db, origin="lower", aspect="auto", cmap="gray_r", extent=extent, vmin=-spec.top_db, vmax=0)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel("Frequency (Hz)")
    return extent


def save_figure(path: Path, clips: dict[str, np.ndarray], explanations: list[Explanation], title: str) -> None:
    """Waveform with signed relevance, then each model's time-frequency relevance on one colour scale
    (each map as shares of its own total |relevance|, MAP_NORMALISATION).

    ``clips`` maps each explanation's input kind to the samples at that model's rate.
    """
    # each map as shares of its own total |relevance| (in %): the two models' raw values do not compare
    tf_maps = [
        100 * reduce_columns(e.tf_shares(), column_block(e.tf_relevance.shape[-1]), "signed") for e in explanations
    ]
    limit = symmetric_limit(*tf_maps)
    fig = Figure(figsize=(10, 2.4 + 2.4 * len(explanations)), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1 + len(explanations), 1, sharex=True)
    wave = next((e for e in explanations if e.input_kind == "waveform"), None)
    shown = wave or explanations[0]
    samples = clips[shown.input_kind]
    block = column_block(samples.size)  # long clips: each drawn column is the envelope of a block of samples
    times = np.arange(0, samples.size, block) / shown.sample_rate
    ax = axes[0]
    if block == 1:
        ax.plot(times, samples, color="0.3", linewidth=0.6)
    else:
        low, high = reduce_columns(samples, block, "min"), reduce_columns(samples, block, "max")
        ax.fill_between(times, low, high, color="0.3", linewidth=0)
    ax.set_ylabel("Amplitude")
    if wave is not None:
        rel = wave.relevance / (np.abs(wave.relevance).max() or 1.0)
        twin = ax.twinx()
        high, low = reduce_columns(rel, block, "max"), reduce_columns(rel, block, "min")
        twin.fill_between(times, 0, np.clip(high, 0, None), color="tab:red", alpha=0.5, linewidth=0)
        twin.fill_between(times, 0, np.clip(low, None, 0), color="tab:blue", alpha=0.5, linewidth=0)
        twin.set_ylim(-1.05, 1.05)
        twin.set_ylabel("Relevance (norm.)")
    ax.set_title(f"{title}: waveform and waveform-model relevance (red = for, blue = against)", fontsize=10)
    image = None
    for ax, exp, tf_map in zip(axes[1:], explanations, tf_maps, strict=True):
        label = "projected to time-frequency (DFT-LRP)" if exp.input_kind == "waveform" else "on its input"
        extent = _spectrogram_axes(
            ax,
            exp.grid,
            clips[exp.input_kind],
            f"{exp.model_name} ({exp.input_kind}) relevance {label}: class {exp.classes[exp.target]}, {exp.composite}"
            + (f"; {exp.silent_share:.0%} on silent samples, not in the map" if exp.silent_share >= 0.01 else ""),
        )
        image = ax.imshow(
            tf_map,
            origin="lower",
            aspect="auto",
            cmap=RELEVANCE_CMAP,
            alpha=0.75,
            extent=extent,
            vmin=-limit,
            vmax=limit,
        )
    axes[-1].set_xlabel("Time (s)")
    if image is not None:
        fig.colorbar(image, ax=list(axes[1:]), label=f"relevance per bin, % ({MAP_NORMALISATION})", shrink=0.9)
    with atomic_output(path) as temp:
        fig.savefig(temp, dpi=110, format="png")
