"""Where regions are removed: a clip's regions in one domain, for one model.

- ``time`` (waveform model): segments of the window (default 20 ms) replaced by zeros or by noise at the clip's
  floor;
- ``input`` (spectrogram model): patches of its input replaced by the silence floor of its input scale;
- ``common`` (both models): patches of the window's STFT (the spectrogram model's framing) zeroed and the signal
  resynthesised by the inverse STFT with the same framing; each model sees the resynthesised audio. The waveform
  model's relevance reaches this grid through the DFT-LRP projection, so both models are judged on one grid
  (Vielhaben et al. 2023).

A ``RegionGrid`` knows how to pool a relevance map into region scores, each region's signal energy (for the
"loudest first" baseline) and how to build the model inputs with a set of regions removed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from ..explain.projection import project_relevance
from ..features import FeatureSpec
from ..features.spectrogram import istft, stft
from .subject import Subject

# A region is "silent" when its energy is this far (40 dB) below the loudest region's.
SILENT_BELOW = 1e-4


@dataclass(frozen=True)
class RegionSettings:
    """How regions are cut: time segments in ms, time-frequency patches as a bands x frames grid of regions."""

    segment_ms: float = 20.0
    patch_grid: tuple[int, int] = (16, 16)
    time_fill: str = "zeros"  # or "noise": noise at the clip's floor level


def _block_sums(values: np.ndarray, block: tuple[int, ...]) -> np.ndarray:
    """Sum ``values`` over non-overlapping blocks (the last block of each axis may be shorter)."""
    padded_shape = [math.ceil(n / b) * b for n, b in zip(values.shape, block, strict=True)]
    padded = np.zeros(padded_shape, dtype=np.float64)
    padded[tuple(slice(0, n) for n in values.shape)] = values
    shape = []
    for n, b in zip(padded_shape, block, strict=True):
        shape += [n // b, b]
    summed = padded.reshape(shape)
    for axis in range(len(block)):
        summed = summed.sum(axis=axis + 1)
    return summed.reshape(-1)


def _expand(removed: np.ndarray, shape: tuple[int, ...], block: tuple[int, ...]) -> np.ndarray:
    """(batch, n_regions) region flags -> (batch, *shape) element flags."""
    grid_shape = [math.ceil(n / b) for n, b in zip(shape, block, strict=True)]
    flags = removed.reshape(len(removed), *grid_shape)
    for axis, b in enumerate(block):
        flags = np.repeat(flags, b, axis=axis + 1)
    return flags[(slice(None), *(slice(0, n) for n in shape))]


def _inert(changed: np.ndarray, block: tuple[int, ...]) -> np.ndarray:
    """Regions where removal would change no element (``changed`` flags the elements it would change)."""
    return _block_sums(changed.astype(np.float64), block) == 0


def patch_block(shape: tuple[int, int], grid: tuple[int, int]) -> tuple[int, int]:
    return tuple(max(1, math.ceil(n / g)) for n, g in zip(shape, grid, strict=True))


@dataclass
class RegionGrid:
    """One clip's regions in one domain for one model (see the module docstring)."""

    subject: Subject
    shape: tuple[int, ...]  # the shape of the array regions are cut from
    block: tuple[int, ...]  # the shape of one region
    energy: np.ndarray  # (n_regions,) signal energy per region
    inert: np.ndarray  # (n_regions,) bool: the region already holds what removal puts there (removing it is a no-op)
    # (batch, n_regions) bool -> the audio with those regions removed (domains of the signal: time, common) ...
    removed_audio: object = field(repr=False, default=None)
    # ... or -> the model inputs directly (the spectrogram model's own input domain)
    removed_inputs: object = field(repr=False, default=None)

    @property
    def grid_shape(self) -> tuple[int, ...]:
        return tuple(math.ceil(n / b) for n, b in zip(self.shape, self.block, strict=True))

    @property
    def n_regions(self) -> int:
        return int(np.prod(self.grid_shape))

    def pool(self, relevance: np.ndarray) -> np.ndarray:
        """Region scores: the summed relevance inside each region."""
        if relevance.shape != self.shape:
            raise ValueError(f"relevance shape {relevance.shape} does not match the region grid's {self.shape}")
        return _block_sums(relevance, self.block)

    def non_silent(self) -> np.ndarray:
        return self.energy > SILENT_BELOW * max(float(self.energy.max()), 1e-30)

    def inputs_without(self, removed: np.ndarray) -> torch.Tensor:
        removed = np.asarray(removed, dtype=bool)
        if self.removed_inputs is not None:
            return self.removed_inputs(removed)
        return self.subject.inputs(self.removed_audio(removed))

    def audio_without(self, removed: np.ndarray) -> np.ndarray:
        """The window's audio with the flagged regions removed (batch, samples); only domains of the signal."""
        if self.removed_audio is None:
            raise ValueError("regions of a spectrogram model's input cannot be turned back into audio")
        return np.asarray(self.removed_audio(np.asarray(removed, dtype=bool)), dtype=np.float32)


def _floor_noise_level(window: np.ndarray, segment: int) -> float:
    """RMS of the quietest tenth of the clip's non-silent segments: the level of its background."""
    rms = np.sqrt(_block_sums(window**2, (segment,)) / segment)
    rms = rms[rms > 0]
    return float(np.percentile(rms, 10)) if rms.size else 0.0


def time_grid(subject: Subject, window: np.ndarray, settings: RegionSettings, common: FeatureSpec, seed: int):
    segment = max(1, round(settings.segment_ms * subject.card.sample_rate / 1000))
    shape, block = window.shape, (segment,)
    if settings.time_fill == "noise":
        level = _floor_noise_level(window, segment)
        fill = np.random.default_rng(seed).standard_normal(window.size).astype(np.float32) * level
    elif settings.time_fill == "zeros":
        fill = np.zeros_like(window)
    else:
        raise ValueError(f"unknown time fill {settings.time_fill!r}; choose zeros or noise")

    def removed_audio(removed):
        return np.where(_expand(removed, shape, block), fill[None], window[None])

    energy = _block_sums(window.astype(np.float64) ** 2, block)
    return RegionGrid(subject, shape, block, energy, _inert(window != fill, block), removed_audio)


def input_grid(subject: Subject, window: np.ndarray, settings: RegionSettings, common: FeatureSpec, seed: int):
    inputs = subject.inputs(window[None])[0, 0]
    shape = tuple(inputs.shape)
    block = patch_block(shape, settings.patch_grid)
    spec = subject.features
    power = 10 ** ((inputs.numpy().astype(np.float64) * spec.top_db - spec.top_db) / 10)
    silence = subject.silence_value()

    def removed_inputs(removed):
        flags = torch.from_numpy(_expand(removed, shape, block))
        return torch.where(flags[:, None], torch.tensor(silence, dtype=inputs.dtype), inputs[None, None])

    inert = _inert(inputs.numpy() != silence, block)
    return RegionGrid(subject, shape, block, _block_sums(power, block), inert, removed_inputs=removed_inputs)


def common_grid(subject: Subject, window: np.ndarray, settings: RegionSettings, common: FeatureSpec, seed: int):
    framing = common.framing
    spectrum = stft(torch.from_numpy(window), framing)
    shape = tuple(spectrum.shape)
    block = patch_block(shape, settings.patch_grid)

    def removed_audio(removed):
        flags = torch.from_numpy(_expand(removed, shape, block))
        masked = torch.where(flags, torch.zeros((), dtype=spectrum.dtype), spectrum[None])
        return istft(masked, framing, window.size).numpy()

    energy = _block_sums(spectrum.abs().square().numpy().astype(np.float64), block)
    return RegionGrid(subject, shape, block, energy, _inert(spectrum.numpy() != 0, block), removed_audio)


GRIDS = {"time": time_grid, "input": input_grid, "common": common_grid}

# Which domains each input kind is measured in (the first is the model's own input domain).
DOMAINS_OF_KIND = {"waveform": ("time", "common"), "spectrogram": ("input", "common")}


def common_spec(spectrogram: Subject) -> FeatureSpec:
    """The common time-frequency grid: linear STFT bins with the spectrogram model's framing."""
    features = spectrogram.features
    return FeatureSpec(sample_rate=features.sample_rate, framing=features.framing, kind="stft_db")


def on_common_grid(subject: Subject, window: np.ndarray, relevance: np.ndarray, common: FeatureSpec) -> np.ndarray:
    """A model's input relevance on the common STFT grid (bins x frames).

    Waveform relevance is projected (DFT-LRP); spectrogram relevance on mel bands is shared out to the STFT bins
    nearest each band's centre frequency (stft_db relevance is already on the grid).
    """
    if subject.kind == "waveform":
        return project_relevance(window.astype(np.float64), relevance, common)
    if subject.features.kind == "stft_db":
        return relevance
    bins = common.framing.bin_frequencies(common.sample_rate)
    nearest = np.abs(bins[:, None] - subject.features.band_frequencies()[None, :]).argmin(axis=1)
    counts = np.bincount(nearest, minlength=relevance.shape[0]).astype(np.float64)
    spread = relevance / np.maximum(counts, 1)[:, None]
    return spread[nearest]


def relevance_in_domain(domain: str, subject: Subject, window, relevance, common: FeatureSpec) -> np.ndarray:
    """The relevance map that ranks the regions of ``domain`` (the input map, or its common-grid version)."""
    return on_common_grid(subject, window, relevance, common) if domain == "common" else relevance


def region_grid(domain: str, subject: Subject, window, settings: RegionSettings, common: FeatureSpec, seed: int):
    try:
        build = GRIDS[domain]
    except KeyError:
        raise ValueError(f"unknown domain {domain!r}; choose one of {', '.join(GRIDS)}") from None
    return build(subject, window, settings, common, seed)
