"""zennit composites by name: the set a user can pick from, one registry, no if-chains.

Every composite merges BatchNorm into the preceding convolution (SequentialMergeBatchNorm), so LRP
rules see the network the way the decision is actually computed.

Default for the waveform model is EpsilonPlus: its first layer uses an input-proportional rule (ZPlus),
so a sample's relevance is its value times a modified gradient and silent or zero-padded samples get
none. A Flat first layer spreads relevance uniformly over each receptive field, putting it on silence
and on padding, and its relevance is not proportional to the signal, which breaks the
time-frequency projection (relevance / signal diverges where the signal is zero).
"""

from __future__ import annotations

from collections.abc import Callable

from .zennit_import import import_zennit

zennit = import_zennit()
from zennit import composites as zc  # noqa: E402
from zennit.canonizers import SequentialMergeBatchNorm  # noqa: E402

CompositeFactory = Callable[[float, float], "zc.Composite"]


def _plain(cls) -> CompositeFactory:
    return lambda low, high: cls(canonizers=[SequentialMergeBatchNorm()])


COMPOSITES: dict[str, CompositeFactory] = {
    "EpsilonPlus": _plain(zc.EpsilonPlus),
    "EpsilonAlpha2Beta1": _plain(zc.EpsilonAlpha2Beta1),
    "EpsilonPlusFlat": _plain(zc.EpsilonPlusFlat),
    "EpsilonAlpha2Beta1Flat": _plain(zc.EpsilonAlpha2Beta1Flat),
    # ZBox needs the lowest and highest possible input value: taken from the model's input range.
    "EpsilonGammaBox": lambda low, high: zc.EpsilonGammaBox(
        low=low, high=high, canonizers=[SequentialMergeBatchNorm()]
    ),
}

DEFAULT_COMPOSITE = "EpsilonPlus"

# Input range per model input kind, for EpsilonGammaBox: waveforms are in [-1, 1] full scale; spectrogram
# inputs are dB rescaled so that the floor is 0 and 0 dB full scale is 1 (see features.model_input_from_db).
INPUT_RANGES: dict[str, tuple[float, float]] = {"waveform": (-1.0, 1.0), "spectrogram": (0.0, 1.5)}


def make_composite(name: str, input_kind: str):
    """A fresh composite instance (composites hold hook state, so never share one between threads)."""
    try:
        factory = COMPOSITES[name]
    except KeyError:
        raise ValueError(f"unknown composite {name!r}; choose one of {', '.join(COMPOSITES)}") from None
    return factory(*INPUT_RANGES[input_kind])
