"""Time-frequency projection of waveform relevance (DFT-LRP virtual inspection layer).

The waveform model's LRP gives relevance per sample, R_n. To compare it bin by bin with the spectrogram
model's relevance we express it on the spectrogram grid, following Vielhaben et al. (2023), "Explainable
AI for time series via virtual inspection layers": put STFT then inverse STFT (an identity) in front of
the model and push R_n back through the inverse-STFT layer with the LRP-z rule (epsilon-stabilised).

Derivation. With the conventions of ``torch.istft`` (which inverts ``features.spectrogram.stft``), the
sample x_n at position p = n + pad of the padded signal is rebuilt from the one-sided spectra Y[t, k]:

    x_n = sum_{t,k} c[n, t, k],
    c[n, t, k] = f_k / N_fft * w[p - tH] / D_p * Re(Y[t, k] exp(2 pi i k (p - tH) / N_fft)),

where w is the analysis window (zero-padded to N_fft), H the hop, D_p = sum_t w[p - tH]^2 the
window-square envelope, and f_k the one-sided fold: 2 for 0 < k < N_fft/2 (bin k stands for k and
N_fft - k), 1 for DC and Nyquist. The z-rule shares R_n over the contributions: R[t, k] = sum_n c[n, t, k]
r_n with r_n = R_n / x_n. Moving the real w, D and r inside the conjugate turns the sum over n into an
STFT:

    R[t, k] = f_k / N_fft * Re( Y[t, k] * conj(STFT(r~)[t, k]) ),    r~_p = r_n / D_p (0 in the padding).

Why it conserves: per frame, Parseval gives sum_k f_k / N_fft Re(Y conj S) = sum_m w[m]^2 x[tH+m] r~[tH+m],
and summing over frames turns w^2 into D, so sum_{t,k} R[t, k] = sum_n x_n r_n = sum_n R_n. Two STFTs
and a product replace the dense N x (T K) matrix.

Silent samples. The ratio rule needs a signal to share a sample's relevance by: relevance on a sample whose
value is (near) zero -- digital silence, zero padding, a zero crossing -- has no frequency content to go to,
and dividing by the sample blows it up into huge bins of opposite sign that cancel in the sum (what
composites with a Flat or ZBox first layer produce, since they put relevance on silence). So each sample's
relevance is split with a stabiliser s relative to the clip's level (``silence_level`` x its RMS):

    attributable A_n = R_n x_n^2 / (x_n^2 + s^2),   r_n = A_n / x_n = R_n x_n / (x_n^2 + s^2),
    silent       U_n = R_n - A_n = R_n s^2 / (x_n^2 + s^2).

The map decomposes A exactly (it sums to sum_n A_n); U is not smeared over frequencies but reported per
frame (``Projection.silent``, shared over frames like the envelope shares a sample), so map plus silent
track sum to the time-domain total. Samples well above the stabiliser are untouched (a sample at 10 s
keeps 99 % of its relevance in the map); input-proportional rules put no relevance on silence, so for them
U is negligible. Samples no frame reconstructs (envelope D below torch's NOLA floor, e.g. the tail past the
last frame with ``center=False``) cannot be expressed on the grid; their relevance is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.fft
import scipy.sparse
from numpy.lib.stride_tricks import sliding_window_view

from ..features.framing import Framing
from ..features.spectrogram import FeatureSpec

# torch.istft refuses windows whose square envelope falls below this (NOLA); we drop those samples.
ENVELOPE_FLOOR = 1e-11

# Frames projected at once (see _project_frames): bounds the spectra of a long clip to a few megabytes.
CHUNK_FRAMES = 8192
# The silence stabiliser, relative to the clip's RMS: a sample this far below the level (-40 dB) gives
# half its relevance to the map and half to the silent track. Lower values leave more cancelling +/- bins
# around near-zero samples of Flat/ZBox maps (benchmarks/bench_conservation.py measures both).
SILENCE_LEVEL = 1e-2

# The stabiliser never goes below this (an all-zero clip): s^2 stays a normal float32 number.
_STABILISER_FLOOR = 1e-15

# Framing.pad_mode follows torch.stft; numpy names some modes differently.
_NUMPY_PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


@dataclass(frozen=True)
class Projection:
    """Waveform relevance on a spectrogram grid: ``tf`` (..., n_bands, n_frames) holds what the signal's
    frequencies carry; ``silent`` (..., n_frames) the relevance on (near-)silent samples, per frame;
    ``silent_share`` (...) the part of the clip's total |relevance| that lies on silent samples."""

    tf: np.ndarray
    silent: np.ndarray
    silent_share: np.ndarray


def project_relevance(signal, relevance, spec: FeatureSpec, silence_level: float = SILENCE_LEVEL) -> np.ndarray:
    """Waveform relevance (..., n) on the spectrogram grid of ``spec``: (..., n_bands, n_frames).

    Only the attributable part (see the module docstring); ``project`` also returns the silent part.
    """
    return project(signal, relevance, spec, silence_level).tf


def project(signal, relevance, spec: FeatureSpec, silence_level: float = SILENCE_LEVEL) -> Projection:
    """Waveform relevance (..., n) on the grid of ``spec``, split into time-frequency map and silent track.

    ``signal`` and ``relevance`` are real arrays whose shapes broadcast and end in the same length
    (e.g. one clip and relevance for several classes). The results are float32 when both inputs are
    float32 (or narrower), otherwise float64; ``tf`` plus ``silent`` sum to the sum of ``relevance``
    over the samples some frame reconstructs.
    """
    signal, relevance = _validated(signal, relevance, silence_level)
    framing = spec.framing
    signal_pad_mode = _numpy_pad_mode(framing)
    n_samples = signal.shape[-1]
    pad = framing.n_fft // 2 if framing.center else 0
    n_frames = _n_frames(framing, n_samples + 2 * pad)
    batch_shape = np.broadcast_shapes(signal.shape[:-1], relevance.shape[:-1])
    if n_frames == 0:
        empty = np.zeros((*batch_shape, 0), dtype=signal.dtype)
        return Projection(np.zeros((*batch_shape, spec.n_bands, 0), dtype=signal.dtype), empty, np.zeros(batch_shape))

    level = np.sqrt(np.square(signal).mean(axis=-1, keepdims=True, dtype=np.float64))
    stabiliser_sq = np.square(np.maximum(silence_level * level, _STABILISER_FLOOR)).astype(signal.dtype)
    # q = R / (x^2 + s^2): the ratio is q x, the silent part q s^2 (one division, few temporaries: speed)
    q = np.square(signal)
    q += stabiliser_sq
    q = np.divide(relevance, q, out=q if q.shape == relevance.shape else None)
    silent_abs = stabiliser_sq[..., 0] * np.abs(q).sum(axis=-1, dtype=np.float64)
    silent_share = _share(silent_abs, np.abs(relevance).sum(axis=-1, dtype=np.float64))
    q *= _inverse_envelope(framing, n_frames, pad, n_samples, signal.dtype)
    ratio = q * signal

    window = framing.window_array().astype(signal.dtype)
    tf = _project_frames(_pad(signal, pad, signal_pad_mode), _pad(ratio, pad, "constant"), window, n_frames, spec)
    silent_per_frame = _framed_dot(_pad(q, pad, "constant"), np.square(window), framing.hop_length, n_frames)
    silent_frames = silent_per_frame * stabiliser_sq
    return Projection(tf, silent_frames, silent_share)


def _project_frames(padded: np.ndarray, padded_ratio: np.ndarray, window: np.ndarray, n_frames: int, spec):
    """f_k / N_fft Re(Y conj STFT(r~)) on the grid's rows, CHUNK_FRAMES frames at a time: the frames of an hour
    (and their spectra) would need gigabytes at once, a chunk a few megabytes; each frame's value is the same."""
    hop, n_fft = spec.framing.hop_length, len(window)
    fold = _fold_scale(spec.framing).astype(padded.dtype)[:, None]
    out = None
    for first in range(0, n_frames, CHUNK_FRAMES):
        stop = min(n_frames, first + CHUNK_FRAMES)
        span = slice(first * hop, (stop - 1) * hop + n_fft)
        spectrum = _frame_spectra(padded[..., span], window, hop)
        ratio_spectrum = _frame_spectra(padded_ratio[..., span], window, hop)
        cross = np.multiply(spectrum, np.conjugate(ratio_spectrum, out=ratio_spectrum), out=ratio_spectrum)
        rows = _BAND_PROJECTIONS[spec.kind](np.multiply(cross.real, fold), spec)
        if out is None:
            out = np.empty((*rows.shape[:-1], n_frames), dtype=rows.dtype)
        out[..., first:stop] = rows
    return out


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    whole = np.broadcast_to(whole, part.shape)
    return np.divide(part, whole, out=np.zeros(part.shape), where=whole > 0)


def _validated(signal, relevance, silence_level: float) -> tuple[np.ndarray, np.ndarray]:
    """Both inputs as real float arrays of one dtype, or a ValueError naming what is wrong."""
    arrays = []
    for name, values in (("signal", signal), ("relevance", relevance)):
        array = np.asarray(values)
        if array.ndim == 0 or not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
            raise ValueError(f"{name} must be a real array of samples (..., n), got {array.dtype} {array.shape}")
        arrays.append(array)
    signal, relevance = arrays
    if signal.shape[-1] != relevance.shape[-1]:
        raise ValueError(f"signal has {signal.shape[-1]} samples but relevance has {relevance.shape[-1]}")
    try:
        np.broadcast_shapes(signal.shape, relevance.shape)
    except ValueError:
        raise ValueError(
            f"signal shape {signal.shape} and relevance shape {relevance.shape} do not broadcast"
        ) from None
    if not silence_level > 0:
        raise ValueError(f"silence_level must be > 0 (it keeps silent samples finite), got {silence_level}")
    dtype = np.result_type(signal.dtype, relevance.dtype, np.float32)
    signal, relevance = signal.astype(dtype, copy=False), relevance.astype(dtype, copy=False)
    for name, array in (("signal", signal), ("relevance", relevance)):
        if not np.isfinite(array).all():
            raise ValueError(f"{name} contains NaN or infinite values")
    return signal, relevance


def _n_frames(framing: Framing, padded_length: int) -> int:
    """Frames ``torch.stft`` produces from a padded signal of this length."""
    if padded_length < framing.n_fft:
        return 0
    return 1 + (padded_length - framing.n_fft) // framing.hop_length


def _numpy_pad_mode(framing: Framing) -> str:
    try:
        return _NUMPY_PAD_MODES[framing.pad_mode]
    except KeyError:
        known = ", ".join(_NUMPY_PAD_MODES)
        raise ValueError(f"unsupported pad_mode {framing.pad_mode!r}; known: {known}") from None


def _pad(samples: np.ndarray, pad: int, mode: str) -> np.ndarray:
    if pad == 0:
        return samples
    widths = [(0, 0)] * (samples.ndim - 1) + [(pad, pad)]
    return np.pad(samples, widths, mode=mode)


def _frames(padded: np.ndarray, length: int, hop: int) -> np.ndarray:
    """(..., n_frames, length) views of the frames torch.stft cuts from a padded signal."""
    return sliding_window_view(padded, length, axis=-1)[..., ::hop, :]


def _framed_dot(padded: np.ndarray, weights: np.ndarray, hop: int, n_frames: int) -> np.ndarray:
    """(..., n_frames): sum_m weights[m] padded[..., t hop + m] for every frame t, without copying out the
    overlapping frames: hop-long blocks times hop-long chunks of the weights, summed along diagonals."""
    n_chunks = -(-len(weights) // hop)
    chunks = np.zeros((n_chunks, hop), dtype=padded.dtype)
    chunks.flat[: len(weights)] = weights
    n_blocks = n_frames + n_chunks - 1
    short = n_blocks * hop - padded.shape[-1]
    if short > 0:
        padded = np.concatenate([padded, np.zeros((*padded.shape[:-1], short), padded.dtype)], axis=-1)
    blocks = np.ascontiguousarray(padded[..., : n_blocks * hop]).reshape(*padded.shape[:-1], n_blocks, hop)
    products = blocks @ chunks.T
    return sum(products[..., c : c + n_frames, c] for c in range(n_chunks))


def _frame_spectra(padded: np.ndarray, window: np.ndarray, hop: int) -> np.ndarray:
    """One-sided spectra (..., n_bins, n_frames) of windowed frames: torch.stft of a padded signal.

    Frames are laid out as columns so the FFT output already has the (bins, frames) layout we return.
    """
    frames = _frames(padded, len(window), hop).swapaxes(-1, -2)
    return scipy.fft.rfft(np.multiply(frames, window[:, None], order="C"), axis=-2, workers=-1)


def _inverse_envelope(framing: Framing, n_frames: int, pad: int, n_samples: int, dtype) -> np.ndarray:
    """1 / D_p at each sample (padded position p = n + pad), D_p = sum_t w[p - tH]^2; 0 where D_p is
    below the NOLA floor (no frame rebuilds the sample).

    Cut the padded signal into hop-long blocks and the squared window into hop-long chunks: block b
    gets chunks c with 0 <= b - c < n_frames. Blocks every chunk reaches share one envelope row; only
    the few edge blocks differ, so the work is one fill plus O(n_fft) -- no loop over frames.
    """
    hop = framing.hop_length
    window_sq = framing.window_array() ** 2
    n_chunks = -(-len(window_sq) // hop)
    chunks = np.zeros((n_chunks, hop))
    chunks.flat[: len(window_sq)] = window_sq
    cumulative = np.concatenate([np.zeros((1, hop)), np.cumsum(chunks, axis=0)])
    n_blocks = n_frames + n_chunks - 1
    rows = np.zeros((max(n_blocks, -(-(pad + n_samples) // hop)), hop), dtype=dtype)
    rows[n_chunks - 1 : n_frames] = _safe_reciprocal(cumulative[-1])
    edge = np.r_[0 : min(n_chunks - 1, n_blocks), max(n_frames, n_chunks - 1) : n_blocks]
    upper = np.minimum(edge, n_chunks - 1) + 1
    lower = np.maximum(edge - n_frames + 1, 0)
    rows[edge] = _safe_reciprocal(cumulative[upper] - cumulative[lower])
    return rows.ravel()[pad : pad + n_samples]


def _safe_reciprocal(envelope: np.ndarray) -> np.ndarray:
    return np.divide(1.0, envelope, out=np.zeros_like(envelope), where=envelope > ENVELOPE_FLOOR)


@lru_cache(maxsize=32)
def _fold_scale(framing: Framing) -> np.ndarray:
    """f_k / N_fft: bins strictly between DC and Nyquist also stand for their negative frequency."""
    scale = np.full(framing.n_bins, 2.0 / framing.n_fft)
    scale[0] = 1.0 / framing.n_fft
    if framing.n_fft % 2 == 0:
        scale[-1] = 1.0 / framing.n_fft
    scale.setflags(write=False)
    return scale


@lru_cache(maxsize=8)
def _mel_shares(spec: FeatureSpec) -> scipy.sparse.csr_array:
    """(n_mels, n_bins): each bin's share per band, fb[m, k] / sum_m fb[m, k]; columns sum to 1.

    Bins that no band covers (below fmin, above fmax) go whole to the band with the nearest centre
    frequency, so no relevance is lost. Sparse because a bin lies in at most two triangular bands:
    the product is then ~10x faster than a dense BLAS one on a long clip.
    """
    filterbank = np.asarray(spec.mel_filterbank(), dtype=np.float64)
    coverage = filterbank.sum(axis=0)
    shares = np.divide(filterbank, coverage, out=np.zeros_like(filterbank), where=coverage > 0)
    uncovered = np.flatnonzero(coverage <= 0)
    bin_hz = spec.framing.bin_frequencies(spec.sample_rate)[uncovered]
    nearest_band = np.abs(bin_hz[:, None] - spec.band_frequencies()[None, :]).argmin(axis=1)
    shares[nearest_band, uncovered] = 1.0
    return scipy.sparse.csr_array(shares)


def _bins_as_rows(per_bin: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    return per_bin


def _bins_to_mel_bands(per_bin: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """(..., n_bins, T) -> (..., n_mels, T); a sparse matrix multiplies 2-D only, so batches are flattened."""
    shares = _mel_shares(spec).astype(per_bin.dtype)
    n_bins, n_frames = per_bin.shape[-2:]
    batch_shape = per_bin.shape[:-2]
    bins_first = np.moveaxis(per_bin, -2, 0).reshape(n_bins, -1)
    bands_first = (shares @ bins_first).reshape(shares.shape[0], *batch_shape, n_frames)
    return np.ascontiguousarray(np.moveaxis(bands_first, 0, -2))


# How STFT-bin relevance becomes the rows of each feature kind (features.spectrogram.FEATURE_KINDS).
_BAND_PROJECTIONS = {"stft_db": _bins_as_rows, "mel_db": _bins_to_mel_bands}
