"""zennit composites by name: the set a user can pick from, one registry, no if-chains.

Every composite merges BatchNorm into the preceding convolution (SequentialMergeBatchNorm), so LRP
rules see the network the way the decision is actually computed.

Default for the waveform model is EpsilonPlus: its first layer uses an input-proportional rule (ZPlus),
so a sample's relevance is its value times a modified gradient and silent or zero-padded samples get
none. A Flat first layer spreads relevance uniformly over each receptive field, putting it on silence
and on padding; a ZBox first layer does so too. That relevance has no signal to be shared over
frequencies by, so the time-frequency projection reports it apart as the silent share (see projection.py).

Composites whose rules allow it also come bias-free (suffix ``-NoBias``: zennit's ``zero_params='bias'``
on every rule): biases (BatchNorm's shifts merged into them included) then absorb no relevance, so the
whole target logit reaches the input -- conservation 1.00 within 1 % when the clip fills the model window.
Around a short clip, neurons that see only zero padding are driven by biases alone; the relevance they
receive cannot reach the input, so conservation over such a clip still varies (0.2-1.6 measured).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .zennit_import import import_zennit

zennit = import_zennit()
from zennit import composites as zc  # noqa: E402
from zennit.canonizers import SequentialMergeBatchNorm  # noqa: E402
from zennit.types import Convolution  # noqa: E402

from .rules import LeanZPlus  # noqa: E402

CompositeFactory = Callable[[float, float], "zc.Composite"]
BIAS_FREE_SUFFIX = "-NoBias"


@dataclass(frozen=True)
class _Rules:
    """A zennit composite class, whether it needs the input range (ZBox), whether its bias-free twin
    conserves, and whether its convolutions take ZPlus (then ``LeanZPlus``, the same relevance with less work).
    Plain-language sentences for each live in the glossary (audioxai_gui/glossary.py)."""

    cls: type
    needs_range: bool = False
    bias_free_twin: bool = True
    zplus_convolutions: bool = False

    def factory(self, zero_params: list[str] | None) -> CompositeFactory:
        def make(low: float, high: float):
            extra = {"low": low, "high": high} if self.needs_range else {}
            if self.zplus_convolutions:  # prepended to the composite's own map, so it takes precedence
                extra["layer_map"] = [(Convolution, LeanZPlus(zero_params=zero_params))]
            return self.cls(canonizers=[SequentialMergeBatchNorm()], zero_params=zero_params, **extra)

        return make


# No bias-free twin where leaving the biases out does not conserve (measured on the shipped waveform model,
# benchmarks/bench_conservation.py): alpha-beta's first layer assumes non-negative inputs, so on a waveform it
# gives 1.5-1.7 x the logit even without padding; the gamma rule without biases divides by near-zero sums
# around padding (conservation -175 ... 22).
_RULES = {
    "EpsilonPlus": _Rules(zc.EpsilonPlus, zplus_convolutions=True),
    "EpsilonAlpha2Beta1": _Rules(zc.EpsilonAlpha2Beta1, bias_free_twin=False),
    "EpsilonPlusFlat": _Rules(zc.EpsilonPlusFlat, zplus_convolutions=True),
    "EpsilonAlpha2Beta1Flat": _Rules(zc.EpsilonAlpha2Beta1Flat),
    "EpsilonGammaBox": _Rules(zc.EpsilonGammaBox, needs_range=True, bias_free_twin=False),
}

COMPOSITES: dict[str, CompositeFactory] = {}
for _name, _rules in _RULES.items():
    COMPOSITES[_name] = _rules.factory(None)
    if _rules.bias_free_twin:
        COMPOSITES[_name + BIAS_FREE_SUFFIX] = _rules.factory(["bias"])

DEFAULT_COMPOSITE = "EpsilonPlus"

# Input range per model input kind, for EpsilonGammaBox: waveforms are in [-1, 1] full scale; spectrogram
# inputs are dB rescaled so that the floor is 0 and 0 dB full scale is 1 (see features.model_input_from_db).
INPUT_RANGES: dict[str, tuple[float, float]] = {"waveform": (-1.0, 1.0), "spectrogram": (0.0, 1.5)}


def is_conserving(name: str) -> bool:
    """Bias-free composites pass all of the target logit to the input."""
    return name.endswith(BIAS_FREE_SUFFIX)


def composite_label(name: str) -> str:
    """How a composite is named on screen: bias-free ones are labelled as conserving."""
    return f"{name} · conserving" if is_conserving(name) else name


def make_composite(name: str, input_kind: str):
    """A fresh composite instance (composites hold hook state, so never share one between threads)."""
    try:
        factory = COMPOSITES[name]
    except KeyError:
        raise ValueError(f"unknown composite {name!r}; choose one of {', '.join(COMPOSITES)}") from None
    return factory(*INPUT_RANGES[input_kind])
