"""Where an explanation's relevance went, in numbers and in one plain line: the same facts for the
window, ``--json`` and the ``.npz`` files.

Conservation is the relevance on the clip (what the maps show) over the explained class's score
(logit). It is not 1 because biases keep a part (the bias-free composites hand them nothing), the
epsilon rule absorbs a little, and relevance on the zero padding around a short clip is not shown.
"""

from __future__ import annotations

import numpy as np

from .composites import is_conserving
from .engine import MAP_NORMALISATION, Explanation

# Differences smaller than this are not worth a reason in the one-line note.
_NOTEWORTHY_SHARE = 0.01


def accounting(explanation: Explanation) -> dict:
    """JSON-ready numbers: conservation over the clip and per window, negative-total flag, the silent and
    padding shares, and how the time-frequency map is normalised for display and comparison."""
    e = explanation
    return {
        "conservation": _rounded(e.conservation),
        "window_conservation": [_rounded(value) for value in np.asarray(e.window_conservation, dtype=float)],
        "conserving_composite": is_conserving(e.composite),
        "total_relevance": _rounded(e.total_relevance),
        "negative_total": e.total_relevance < 0,
        "silent_share": _rounded(e.silent_share),
        "padding_share": _rounded(e.padding_share),
        "normalisation": MAP_NORMALISATION,
        "map_total_abs": _rounded(e.map_scale),
    }


def frame_concentration(relevance: np.ndarray, n_fft: int) -> float:
    """The largest share of the clip's |relevance| within one frame's span (n_fft samples): a bin of the
    time-frequency map may legitimately hold that much, more would be an artefact of the projection."""
    magnitude = np.abs(np.asarray(relevance, dtype=np.float64))
    return float(np.convolve(magnitude, np.ones(n_fft)).max() / (magnitude.sum() or 1.0))


def _rounded(value: float) -> float | None:
    value = float(value)
    return round(value, 6) if np.isfinite(value) else None


def conservation_note(explanation: Explanation) -> str:
    """One line: the conservation and, when it matters, why it is not 1 or that the total is negative."""
    e = explanation
    if e.total_relevance < 0:
        target = e.classes[e.target]
        line = f"⚠ conservation {e.conservation:.2f}: the total is negative, the clip counts against “{target}”"
    else:
        line = f"conservation {e.conservation:.2f} (1.00 = all of the score)"
        reasons = _reasons(e)
        if reasons and abs(e.conservation - 1) >= _NOTEWORTHY_SHARE:
            line += ": " + "; ".join(reasons)
    if e.silent_share >= _NOTEWORTHY_SHARE:
        line += f" · {e.silent_share:.0%} on silent samples, not in the map"
    return line


def silent_note(explanation: Explanation) -> str:
    """What the time-frequency map leaves out, for the map's title; empty when it is (nearly) nothing."""
    share = explanation.silent_share
    if share < _NOTEWORTHY_SHARE:
        return ""
    return f"{share:.0%} on silent samples, not in this map"


def _reasons(e: Explanation) -> list[str]:
    reasons = []
    if not is_conserving(e.composite):
        reasons.append("biases keep a part")
    if e.padding_share >= _NOTEWORTHY_SHARE:
        reasons.append(f"{e.padding_share:.0%} lies on the zero padding around the clip")
    elif is_conserving(e.composite) and e.padded_samples > 0:
        reasons.append("the padding around the clip feeds the score through biases")
    return reasons
