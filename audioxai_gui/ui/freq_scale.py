"""Frequency axes for display: linear, log or mel. A display transform only; the models never see it.

Spectrogram rows are remapped (nearest row) onto rows uniform in the display coordinate, so one
ImageItem with a plain rectangle shows any scale, and the axis labels convert back to Hz.
Pure numpy: no Qt here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LOG_FLOOR_HZ = 20.0
MIN_DISPLAY_ROWS = 256


@dataclass(frozen=True)
class FrequencyScale:
    name: str
    to_display: Callable[[np.ndarray], np.ndarray]
    to_hz: Callable[[np.ndarray], np.ndarray]
    nice_hz: tuple[float, ...] = ()  # tick candidates for non-linear scales; empty = linear ticks


def _mel(hz):
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def _mel_to_hz(mel):
    return 700.0 * (10.0 ** (np.asarray(mel, dtype=np.float64) / 2595.0) - 1.0)


_DECADE_TICKS = tuple(m * 10.0**e for e in range(1, 5) for m in (1, 2, 5))

FREQUENCY_SCALES: dict[str, FrequencyScale] = {
    "linear": FrequencyScale(
        "linear", lambda hz: np.asarray(hz, dtype=np.float64), lambda y: np.asarray(y, np.float64)
    ),
    "log": FrequencyScale(
        "log",
        lambda hz: np.log10(np.maximum(np.asarray(hz, dtype=np.float64), LOG_FLOOR_HZ)),
        lambda y: 10.0 ** np.asarray(y, dtype=np.float64),
        _DECADE_TICKS,
    ),
    "mel": FrequencyScale(
        "mel",
        _mel,
        _mel_to_hz,
        (0.0, 250.0, 500.0, 1000.0, 2000.0, 3000.0, 4000.0, 6000.0, 8000.0, 12000.0, 16000.0, 20000.0),
    ),
}


def round_hz_ticks(low_hz: float, high_hz: float, max_ticks: float) -> list[float]:
    """Round frequencies in low_hz..high_hz, 1-2-5 steps (at least 1 Hz) and at most about max_ticks of them.

    The fallback ticks of a zoomed log or mel axis, where fewer than two of the scale's nice_hz are in view.
    """
    low_hz, high_hz = max(float(low_hz), 0.0), float(high_hz)
    if not high_hz > low_hz:
        return []
    wanted = (high_hz - low_hz) / max(2.0, float(max_ticks))
    exponent = max(0, math.floor(math.log10(wanted)))
    step = next(m * 10.0**e for e in (exponent, exponent + 1) for m in (1, 2, 5) if m * 10.0**e >= wanted)
    first, last = math.ceil(low_hz / step), math.floor(high_hz / step)
    return [float(k * step) for k in range(first, last + 1)]


def band_edges(centres: np.ndarray) -> np.ndarray:
    """(n + 1) edges around band centres: midpoints inside, half a spacing beyond the ends.

    The DC bin's lower edge is below 0 Hz on purpose: every STFT bin is then drawn equally tall.
    """
    centres = np.asarray(centres, dtype=np.float64)
    if len(centres) == 1:
        return np.array([centres[0] - 0.5, centres[0] + 0.5])
    mids = (centres[1:] + centres[:-1]) / 2
    return np.concatenate([[2 * centres[0] - mids[0]], mids, [2 * centres[-1] - mids[-1]]])


class RowMapping:
    """Which source band each display row shows, and the display-coordinate extent of the rows."""

    def __init__(self, band_centres_hz: np.ndarray, scale: FrequencyScale):
        self.scale = scale
        self.edges_hz = band_edges(band_centres_hz)
        self.low, self.high = (float(v) for v in scale.to_display(self.edges_hz[[0, -1]]))
        n_bands = len(band_centres_hz)
        display_edges = scale.to_display(self.edges_hz)
        if np.allclose(np.diff(display_edges), (self.high - self.low) / n_bands, rtol=1e-6):
            self.rows = None  # bands are already uniform on this scale: show them as they are
            self.n_rows = n_bands
        else:
            self.n_rows = max(MIN_DISPLAY_ROWS, 2 * n_bands)
            centres = self.low + (np.arange(self.n_rows) + 0.5) * (self.high - self.low) / self.n_rows
            self.rows = self.band_at(scale.to_hz(centres))

    def band_at(self, hz) -> np.ndarray:
        """Index of the band containing each frequency (clipped to the valid bands)."""
        index = np.searchsorted(self.edges_hz, np.asarray(hz, dtype=np.float64), side="right") - 1
        return np.clip(index, 0, len(self.edges_hz) - 2)

    def apply(self, image: np.ndarray) -> np.ndarray:
        """(n_bands, cols) -> (n_rows, cols) in display order (low frequencies in row 0)."""
        return image if self.rows is None else image[self.rows]
