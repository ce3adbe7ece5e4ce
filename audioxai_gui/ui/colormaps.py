"""How relevance becomes colour: diverging maps, sign filter, clipped symmetric scale, overlay LUT.

Red means evidence for the explained class, blue evidence against; the overlay's alpha grows with
|relevance| so the spectrogram underneath stays readable where the model does not look.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

# name shown to the user -> (pyqtgraph colormap source, name there); diverging, low = blue, high = red
COLORMAPS: dict[str, tuple[str | None, str]] = {
    "bwr": ("matplotlib", "bwr"),
    "coolwarm": ("matplotlib", "coolwarm"),
    "seismic": ("matplotlib", "seismic"),
    "RdBu_r": ("matplotlib", "RdBu_r"),
    "CET-D1A": (None, "CET-D1A"),
}

SIGN_TRANSFORMS = {  # keys are session.SIGN_FILTERS
    "all": lambda r: r,
    "positive": lambda r: np.maximum(r, 0),
    "negative": lambda r: np.minimum(r, 0),
    "absolute": np.abs,
}

LUT_SIZE = 256
ALPHA_GAMMA = 0.7  # < 1 lifts weak relevance a little so it is not lost under the opacity control
SCALE_SAMPLE_LIMIT = 1_000_000


@lru_cache(maxsize=16)
def colormap(name: str):
    """The pyqtgraph ColorMap for a registered name (imports matplotlib on first use, so not at start-up)."""
    import pyqtgraph as pg

    try:
        source, key = COLORMAPS[name]
    except KeyError:
        raise KeyError(f"unknown colour map {name!r}; known: {', '.join(COLORMAPS)}") from None
    return pg.colormap.get(key, source=source)


def is_one_sided(sign_filter: str) -> bool:
    return sign_filter == "absolute"


def value_range(sign_filter: str, scale: float) -> tuple[float, float]:
    """Levels of the colour mapping: symmetric around zero, or 0..scale for absolute relevance."""
    return (0.0, scale) if is_one_sided(sign_filter) else (-scale, scale)


def colour_table(name: str, sign_filter: str) -> np.ndarray:
    """(256, 4) opaque RGBA for the colour bar; absolute relevance uses the map's upper (red) half."""
    low = 0.5 if is_one_sided(sign_filter) else 0.0
    return colormap(name).getLookupTable(low, 1.0, LUT_SIZE, alpha=True).astype(np.ubyte)


def overlay_lut(name: str, sign_filter: str) -> np.ndarray:
    """(256, 4) RGBA whose alpha is 0 at zero relevance and 255 at the scale's ends."""
    lut = colour_table(name, sign_filter).copy()
    position = np.linspace(0.0, 1.0, LUT_SIZE) if is_one_sided(sign_filter) else np.abs(np.linspace(-1, 1, LUT_SIZE))
    lut[:, 3] = np.round(255 * position**ALPHA_GAMMA).astype(np.ubyte)
    return lut


def apply_sign_filter(relevance: np.ndarray, sign_filter: str) -> np.ndarray:
    try:
        return SIGN_TRANSFORMS[sign_filter](relevance)
    except KeyError:
        raise ValueError(f"sign filter {sign_filter!r} is not one of {', '.join(SIGN_TRANSFORMS)}") from None


def relevance_scale(relevance: np.ndarray, sign_filter: str, percentile: float) -> float:
    """The |relevance| that maps to full colour: a percentile of the non-zero magnitudes left by the filter.

    Clipping at a high percentile keeps one hot sample from washing out the rest of the map. Very large
    maps are subsampled with a fixed stride, so the result is deterministic.
    """
    flat = np.asarray(relevance).ravel()
    if flat.size > SCALE_SAMPLE_LIMIT:
        flat = flat[:: -(-flat.size // SCALE_SAMPLE_LIMIT)]
    magnitudes = np.abs(apply_sign_filter(flat, sign_filter))
    magnitudes = magnitudes[np.isfinite(magnitudes) & (magnitudes > 0)]
    if magnitudes.size == 0:
        return 1.0
    return float(max(np.percentile(magnitudes, percentile), np.finfo(np.float32).tiny))
