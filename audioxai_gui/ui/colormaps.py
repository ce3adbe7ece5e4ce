"""How relevance becomes colour: diverging maps, sign filter, clipped symmetric scale, overlay LUT.

Red means evidence for the explained class, blue evidence against; the overlay's alpha grows with
|relevance| so the spectrogram underneath stays readable where the model does not look.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

# Diverging maps as evenly spaced RGB anchors (low = blue, high = red), so no start-up import of
# matplotlib (half a second here): bwr, seismic and coolwarm are matplotlib's definitions (coolwarm is
# Moreland's table), RdBu_r is ColorBrewer's 11-class RdBu reversed. Tests check them against matplotlib.
# fmt: off
_ANCHORS: dict[str, tuple[tuple[int, int, int], ...]] = {
    "bwr": ((0, 0, 255), (255, 255, 255), (255, 0, 0)),
    "coolwarm": (
        (59, 76, 192), (68, 90, 204), (78, 104, 216), (88, 117, 225), (98, 130, 234), (108, 143, 241),
        (119, 154, 247), (130, 166, 251), (141, 176, 254), (152, 185, 255), (163, 194, 254), (174, 201, 252),
        (185, 208, 249), (195, 213, 244), (204, 217, 237), (213, 219, 229), (221, 220, 220), (229, 216, 209),
        (236, 211, 197), (241, 204, 184), (245, 196, 172), (247, 186, 159), (247, 176, 147), (246, 165, 134),
        (244, 152, 122), (240, 139, 110), (235, 125, 98), (228, 110, 86), (221, 95, 75), (212, 78, 65),
        (202, 59, 55), (190, 36, 46), (180, 4, 38),
    ),
    "seismic": ((0, 0, 77), (0, 0, 255), (255, 255, 255), (255, 0, 0), (128, 0, 0)),
    "RdBu_r": (
        (5, 48, 97), (33, 102, 172), (67, 147, 195), (146, 197, 222), (209, 229, 240), (247, 247, 247),
        (253, 219, 199), (244, 165, 130), (214, 96, 77), (178, 24, 43), (103, 0, 31),
    ),
}
# fmt: on
_PYQTGRAPH_MAPS = ("CET-D1A",)  # shipped with pyqtgraph as small CSV files
COLORMAPS: tuple[str, ...] = (*_ANCHORS, *_PYQTGRAPH_MAPS)  # names shown to the user

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
    """The pyqtgraph ColorMap for a registered name."""
    import pyqtgraph as pg

    if name in _ANCHORS:
        anchors = _ANCHORS[name]
        return pg.ColorMap(np.linspace(0.0, 1.0, len(anchors)), [(*rgb, 255) for rgb in anchors], name=name)
    if name in _PYQTGRAPH_MAPS:
        return pg.colormap.get(name)
    raise KeyError(f"unknown colour map {name!r}; known: {', '.join(COLORMAPS)}")


VALUE_SIDES = {  # keys are session.SIGN_FILTERS: the part of [-1, 1] (times the scale) each filter can show
    "all": (-1.0, 1.0),
    "positive": (0.0, 1.0),
    "negative": (-1.0, 0.0),  # only blue: a red half on the colour bar would promise colours never drawn
    "absolute": (0.0, 1.0),
}
WEAKEST_COLOUR = 0.5  # the overlay's colour at the weakest relevance, as a share of the way to the map's end


def is_one_sided(sign_filter: str) -> bool:
    return VALUE_SIDES[sign_filter] != VALUE_SIDES["all"]


def value_range(sign_filter: str, scale: float) -> tuple[float, float]:
    """Levels of the colour mapping: the part of -scale..scale the sign filter leaves."""
    low, high = VALUE_SIDES[sign_filter]
    return low * scale, high * scale


def _normalised_values(sign_filter: str) -> np.ndarray:
    return np.linspace(*VALUE_SIDES[sign_filter], LUT_SIZE)


def colour_table(name: str, sign_filter: str) -> np.ndarray:
    """(256, 4) opaque RGBA for the colour bar and the overlay, over ``value_range``.

    Weak relevance is never the map's pale middle: the colour starts WEAKEST_COLOUR of the way to the end,
    and only the overlay's alpha says how weak it is, so faint red stays red on a light-grey spectrogram
    instead of a pink that vanishes. Absolute relevance uses the red end.
    """
    values = _normalised_values(sign_filter)
    magnitude = np.abs(values)
    only_negative = VALUE_SIDES[sign_filter][1] == 0.0
    sign = np.where((values < 0) | only_negative, -1.0, 1.0)
    positions = 0.5 + 0.5 * sign * (WEAKEST_COLOUR + (1 - WEAKEST_COLOUR) * magnitude)
    return colormap(name).map(positions, mode="byte").astype(np.ubyte)


def overlay_lut(name: str, sign_filter: str) -> np.ndarray:
    """(256, 4) RGBA whose alpha is 0 at zero relevance and 255 at the scale's ends."""
    lut = colour_table(name, sign_filter).copy()
    lut[:, 3] = np.round(255 * np.abs(_normalised_values(sign_filter)) ** ALPHA_GAMMA).astype(np.ubyte)
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
