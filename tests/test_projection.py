"""The time-frequency projection equals the dense virtual-inspection-layer rule and conserves relevance."""

import numpy as np
import pytest
import torch

from audioxai_gui.explain.projection import project, project_relevance
from audioxai_gui.features.framing import Framing
from audioxai_gui.features.spectrogram import FeatureSpec, spectrogram_db, stft


def dense_reference(signal: np.ndarray, relevance: np.ndarray, framing: Framing) -> np.ndarray:
    """R[k, t] = sum_n c[n, (t, k)] R_n / x_n with c read off torch.istft column by column.

    torch.istft is real-linear in (Re Y, Im Y), so feeding it every unit spectrum (1 and i at each bin
    and frame) yields the dense inverse-STFT matrix; c[n, (t, k)] is then the part of x_n that the
    coefficient Y[t, k] rebuilds. Nothing here uses the closed form under test.
    """
    spectrum = stft(torch.from_numpy(signal), framing)
    n_bins, n_frames = spectrum.shape
    n_coefficients = n_bins * n_frames
    unit = torch.eye(n_coefficients, dtype=torch.float64).reshape(n_coefficients, n_bins, n_frames)
    zero = torch.zeros_like(unit)
    basis = torch.cat([torch.complex(unit, zero), torch.complex(zero, unit)])
    columns = torch.istft(
        basis,
        n_fft=framing.n_fft,
        hop_length=framing.hop_length,
        win_length=framing.n_fft,
        window=torch.from_numpy(framing.window_array()),
        center=framing.center,
        length=len(signal),
    ).numpy()
    real_part, imag_part = columns[:n_coefficients], columns[n_coefficients:]
    flat = spectrum.reshape(-1).numpy()
    contributions = real_part * flat.real[:, None] + imag_part * flat.imag[:, None]
    # the layer is an identity on every sample a frame reaches (center=False leaves a tail uncovered)
    rebuilt = len(signal) if framing.center else (n_frames - 1) * framing.hop_length + framing.n_fft
    np.testing.assert_allclose(contributions.sum(axis=0)[:rebuilt], signal[:rebuilt], atol=1e-9)
    return (contributions @ (relevance / signal)).reshape(n_bins, n_frames)


DENSE_CASES = [
    (10, Framing(n_fft=32, hop_length=8)),  # two frames: every block is an edge block
    (90, Framing(n_fft=25, hop_length=5)),  # odd n_fft: no Nyquist bin
    (64, Framing(n_fft=16, hop_length=4)),
    (201, Framing(n_fft=32, hop_length=8)),
    (300, Framing(n_fft=64, hop_length=16)),
    (150, Framing(n_fft=32, hop_length=12, window="hamming")),
    (250, Framing(n_fft=64, hop_length=16, win_length=40)),
    (16 + 9 * 8, Framing(n_fft=16, hop_length=8, window="hamming", center=False)),
    (16 + 9 * 8 + 5, Framing(n_fft=16, hop_length=8, window="hamming", center=False)),
    (64 + 6 * 20, Framing(n_fft=64, hop_length=20, window="blackman", win_length=50)),
    (120, Framing(n_fft=32, hop_length=8, pad_mode="reflect")),
]


@pytest.mark.filterwarnings("ignore:The length of signal is shorter")  # the uncovered center=False tail
@pytest.mark.parametrize(("n_samples", "framing"), DENSE_CASES)
def test_equals_dense_inverse_stft_rule(n_samples, framing):
    rng = np.random.default_rng(n_samples)
    signal, relevance = rng.standard_normal((2, n_samples))
    expected = dense_reference(signal, relevance, framing)
    got = project_relevance(signal, relevance, FeatureSpec(framing=framing), silence_level=1e-12)
    assert got.shape == expected.shape
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6 * np.abs(expected).max())


@pytest.mark.parametrize("kind", ["stft_db", "mel_db"])
@pytest.mark.parametrize("center", [True, False])
def test_total_relevance_is_conserved(kind, center):
    rng = np.random.default_rng(7)
    spec = FeatureSpec(
        sample_rate=8000,
        kind=kind,
        n_mels=40,
        fmin=100.0,
        fmax=3500.0,
        framing=Framing(n_fft=256, hop_length=64, window="hamming", center=center),
    )
    n_samples = 256 + 64 * 60  # frames tile the clip exactly, also without centring
    signal, relevance = rng.standard_normal((2, n_samples))
    got = project(signal, relevance, spec)
    assert got.tf.shape == spectrogram_db(signal, spec).shape  # the grid the spectrogram model sees
    assert got.silent.shape == got.tf.shape[1:]
    np.testing.assert_allclose(got.tf.sum() + got.silent.sum(), relevance.sum(), rtol=1e-4)
    # few samples of noise lie 40 dB below its level (about 1.25 %): nearly all relevance is in the map
    assert 0 < got.silent_share < 0.02


def test_mel_bands_take_each_bin_in_proportion_to_the_filterbank():
    rng = np.random.default_rng(3)
    framing = Framing(n_fft=128, hop_length=32)
    stft_spec = FeatureSpec(sample_rate=8000, framing=framing)
    mel_spec = FeatureSpec(sample_rate=8000, framing=framing, kind="mel_db", n_mels=24, fmin=300.0)
    signal, relevance = rng.standard_normal((2, 2000))
    per_bin = project_relevance(signal, relevance, stft_spec)
    per_band = project_relevance(signal, relevance, mel_spec)
    np.testing.assert_allclose(per_band.sum(axis=0), per_bin.sum(axis=0), rtol=1e-9, atol=1e-9)
    # bins below fmin belong to no band: they go whole to the lowest band, the nearest one
    below_fmin = framing.bin_frequencies(8000) < 300.0
    filterbank = mel_spec.mel_filterbank().astype(np.float64)
    coverage = filterbank.sum(axis=0)
    assert np.all(coverage[below_fmin] == 0)
    covered = coverage > 0
    shares = filterbank[:, covered] / coverage[covered]
    expected_lowest = shares[0] @ per_bin[covered] + per_bin[below_fmin].sum(axis=0)
    np.testing.assert_allclose(per_band[0], expected_lowest, rtol=1e-9, atol=1e-12)


def test_silence_and_padding_stay_finite_conserved_and_empty():
    sample_rate, framing = 8000, Framing(n_fft=256, hop_length=64)
    spec = FeatureSpec(sample_rate=sample_rate, framing=framing)
    rng = np.random.default_rng(11)
    signal = np.zeros(8000, dtype=np.float32)
    sound = (slice(1000, 3000), slice(5000, 7000))  # leading, middle and trailing silence around them
    for span in sound:
        signal[span] = rng.standard_normal(2000).astype(np.float32) * 0.3
    gradient = rng.standard_normal(8000).astype(np.float32)
    relevance = signal * gradient  # input-proportional: zero wherever the signal is
    got = project_relevance(signal, relevance, spec)
    assert got.dtype == np.float32
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got.sum(dtype=np.float64), relevance.sum(dtype=np.float64), rtol=1e-4)
    # frame t sees samples [t*hop - n_fft/2, t*hop + n_fft/2): those entirely inside silence get nothing
    starts = np.arange(got.shape[1]) * framing.hop_length - framing.n_fft // 2
    ends = starts + framing.n_fft
    audible = np.zeros(got.shape[1], dtype=bool)
    for span in sound:
        audible |= (starts < span.stop) & (ends > span.start)
    assert not audible.all() and audible.any()
    assert np.all(got[:, ~audible] == 0)
    assert np.abs(got[:, audible]).max() > 0


def test_relevance_on_exact_zeros_goes_to_the_silent_track_not_into_the_map():
    spec = FeatureSpec(framing=Framing(n_fft=64, hop_length=16))
    signal = np.zeros(1000)
    signal[400:600] = np.sin(np.arange(200))
    relevance = np.ones(1000)  # a rule that is not input-proportional puts relevance on silence too
    got = project(signal, relevance, spec)
    assert np.isfinite(got.tf).all() and np.isfinite(got.silent).all()
    np.testing.assert_allclose(got.tf.sum() + got.silent.sum(), relevance.sum(), rtol=1e-9)
    # the 800 silent samples hold 80 % of the relevance, the sine's zero crossings a little more
    assert 0.8 <= got.silent_share < 0.82
    np.testing.assert_allclose(got.tf.sum(), relevance.sum() * (1 - got.silent_share), rtol=1e-6)
    # frames wholly inside the silence: everything on the silent track (a hop's worth each), nothing in the map
    starts = np.arange(got.tf.shape[1]) * 16 - 32
    quiet = (starts + 64 <= 400) | (starts >= 600)
    assert np.all(got.tf[:, quiet] == 0)
    np.testing.assert_allclose(got.silent[quiet & (starts >= 0) & (starts + 64 <= 1000)], 16.0, rtol=1e-3)
    # no cancelling giants: the map's |relevance| stays of the order of what it holds
    assert np.abs(got.tf).sum() < 3 * got.tf.sum()


def test_near_silence_is_judged_relative_to_the_clip_level():
    """The same clip at -80 dB splits its relevance exactly as at full scale."""
    spec = FeatureSpec(framing=Framing(n_fft=64, hop_length=16))
    rng = np.random.default_rng(4)
    signal = np.zeros(1000)
    signal[300:700] = rng.standard_normal(400)
    relevance = rng.uniform(0, 1, 1000)
    loud, quiet = project(signal, relevance, spec), project(signal * 1e-4, relevance, spec)
    np.testing.assert_allclose(quiet.tf, loud.tf, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(quiet.silent, loud.silent, rtol=1e-6, atol=1e-12)
    assert quiet.silent_share == pytest.approx(loud.silent_share)


def test_an_all_zero_clip_puts_everything_on_the_silent_track():
    spec = FeatureSpec(framing=Framing(n_fft=64, hop_length=16))
    got = project(np.zeros(640, dtype=np.float32), np.ones(640, dtype=np.float32), spec)
    assert np.all(got.tf == 0) and got.silent_share == pytest.approx(1.0)
    np.testing.assert_allclose(got.silent.sum(), 640, rtol=1e-5)


def tone_relevance_map(relevance_of, offset=0.0, sample_rate=8000, frequency=1000.0):
    spec = FeatureSpec(sample_rate=sample_rate, framing=Framing(n_fft=256, hop_length=64))
    time = np.arange(sample_rate) / sample_rate
    signal = 0.5 * np.sin(2 * np.pi * frequency * time) + offset
    got = project_relevance(signal, relevance_of(signal), spec)
    tone_bin = int(round(frequency * spec.framing.n_fft / sample_rate))
    return got, tone_bin


def test_tone_relevance_sits_at_the_tone_bin_for_a_matched_linear_model():
    # a linear model with weights matched to the tone gives R_n = w_n x_n = c x_n^2
    got, tone_bin = tone_relevance_map(lambda signal: 3.0 * signal**2)
    per_bin = got.sum(axis=1)
    assert per_bin.argmax() == tone_bin
    assert per_bin[tone_bin - 1 : tone_bin + 2].sum() > 0.99 * np.abs(per_bin).sum()


def test_constant_gradient_relevance_sits_at_dc_not_at_the_tone():
    # R_n = c x_n is what a model that sums its input gets: that model uses the mean, i.e. DC, and the
    # projection says so; with a tone plus an offset the relevance lands at DC and none at the tone bin
    got, tone_bin = tone_relevance_map(lambda signal: 2.0 * signal, offset=0.1)
    total = got.sum()
    assert got[:2].sum() > 0.99 * total
    assert abs(got[tone_bin - 1 : tone_bin + 2].sum()) < 1e-3 * total


def test_batch_matches_one_by_one_and_broadcasts_one_signal_over_classes():
    rng = np.random.default_rng(5)
    spec = FeatureSpec(sample_rate=8000, kind="mel_db", n_mels=32, framing=Framing(n_fft=128, hop_length=32))
    signals = rng.standard_normal((2, 3, 700)).astype(np.float32)
    relevances = rng.standard_normal((2, 3, 700)).astype(np.float32)
    batch = project_relevance(signals, relevances, spec)
    assert batch.shape == (2, 3, 32, spec.framing.n_frames(700))
    single = project_relevance(signals[1, 2], relevances[1, 2], spec)
    np.testing.assert_allclose(batch[1, 2], single, rtol=1e-5, atol=1e-6 * np.abs(single).max())
    per_class = project_relevance(signals[0, 0], relevances[0], spec)  # one clip, three classes
    for label in range(3):
        expected = project_relevance(signals[0, 0], relevances[0, label], spec)
        np.testing.assert_allclose(per_class[label], expected, rtol=1e-5, atol=1e-6 * np.abs(expected).max())


def test_float32_long_clip_conserves_input_proportional_relevance():
    rng = np.random.default_rng(2)
    spec = FeatureSpec(sample_rate=16000, framing=Framing(n_fft=256, hop_length=64))
    signal = (0.1 * rng.standard_normal(16000 * 5)).astype(np.float32)
    relevance = signal * rng.uniform(-1, 2, signal.shape).astype(np.float32)
    got = project(signal, relevance, spec)
    assert got.tf.dtype == np.float32 and got.tf.flags.c_contiguous
    total = relevance.sum(dtype=np.float64)
    np.testing.assert_allclose(got.tf.sum(dtype=np.float64) + got.silent.sum(dtype=np.float64), total, rtol=1e-4)
    # input-proportional relevance is small on quiet samples: the map alone holds all but ~0.1 %
    np.testing.assert_allclose(got.tf.sum(dtype=np.float64), total, rtol=2e-3)


def test_clip_shorter_than_a_frame_without_centring_gives_no_frames():
    spec = FeatureSpec(framing=Framing(n_fft=256, hop_length=64, center=False))
    got = project_relevance(np.ones(100), np.ones(100), spec)
    assert got.shape == (spec.n_bands, 0)


@pytest.mark.parametrize(
    ("signal", "relevance", "kwargs", "message"),
    [
        (np.ones(100), np.ones(99), {}, "signal has 100 samples but relevance has 99"),
        (np.ones((2, 100)), np.ones((3, 100)), {}, r"shape \(2, 100\) and relevance shape \(3, 100\)"),
        (np.ones(100), np.full(100, np.nan), {}, "relevance contains NaN"),
        (np.ones(100) * 1j, np.ones(100), {}, "signal must be a real array"),
        (np.ones(100), np.ones(100), {"silence_level": 0.0}, "silence_level must be > 0"),
    ],
)
def test_bad_input_is_named(signal, relevance, kwargs, message):
    with pytest.raises(ValueError, match=message):
        project_relevance(signal, relevance, FeatureSpec(), **kwargs)


def test_unsupported_pad_mode_is_named():
    spec = FeatureSpec(framing=Framing(pad_mode="mirror"))
    with pytest.raises(ValueError, match="unsupported pad_mode 'mirror'"):
        project_relevance(np.ones(1000), np.ones(1000), spec)


@pytest.mark.parametrize("kind", ["stft_db", "mel_db"])
def test_chunked_frames_give_the_same_map(monkeypatch, kind):
    """An hour is projected a chunk of frames at a time (bounded memory): chunk edges change no value."""
    from audioxai_gui.explain import projection

    spec = FeatureSpec(sample_rate=8000, framing=Framing(n_fft=256, hop_length=64), kind=kind, n_mels=32)
    rng = np.random.default_rng(3)
    signal = rng.standard_normal(8000).astype(np.float32)
    relevance = rng.standard_normal((2, 8000)).astype(np.float32)
    whole = project(signal, relevance, spec)
    monkeypatch.setattr(projection, "CHUNK_FRAMES", 7)  # many chunks, none aligned with anything
    chunked = project(signal, relevance, spec)
    np.testing.assert_allclose(chunked.tf, whole.tf, rtol=1e-5, atol=1e-7)
    assert chunked.tf.shape == whole.tf.shape == (2, spec.n_bands, 126)
