"""The one spectrogram function and its framing: agreement with librosa, shapes, scaling."""

from __future__ import annotations

import librosa
import numpy as np
import pytest
import torch

from audioxai_gui.features import FeatureSpec, Framing, model_input_from_db, spectrogram_db


def test_stft_db_matches_librosa_power():
    spec = FeatureSpec()
    x = (np.random.default_rng(0).standard_normal(8000) * 0.1).astype(np.float32)
    db = spectrogram_db(x, spec)
    ref = np.abs(librosa.stft(x.astype(np.float64), n_fft=256, hop_length=64, center=True, pad_mode="constant"))
    ref_db = np.maximum(10 * np.log10(np.maximum(ref**2, spec.amin**2)), -spec.top_db)
    assert db.shape == (129, 126) == (spec.n_bands, spec.framing.n_frames(8000))
    np.testing.assert_allclose(db, ref_db, atol=5e-3)  # float32 STFT vs float64 reference


def test_numpy_and_batched_torch_inputs_agree():
    spec = FeatureSpec()
    x = np.random.default_rng(1).standard_normal((3, 4000)).astype(np.float32) * 0.2
    batched = spectrogram_db(torch.from_numpy(x), spec)
    assert isinstance(batched, torch.Tensor) and batched.shape == (3, 129, 63)
    np.testing.assert_allclose(batched[1].numpy(), spectrogram_db(torch.from_numpy(x[1]), spec).numpy(), atol=1e-5)
    # numpy input (every display, drawn before torch has loaded) takes numpy's STFT: the same frames and window,
    # float32 rounding apart (largest in the quietest bins)
    for kind in ("stft_db", "mel_db"):
        grid = FeatureSpec(kind=kind)
        np.testing.assert_allclose(
            spectrogram_db(torch.from_numpy(x), grid).numpy(), spectrogram_db(x, grid), atol=5e-3, rtol=0
        )


def test_full_scale_sine_peaks_near_its_bin_and_floor_is_top_db():
    spec = FeatureSpec()
    t = np.arange(8000) / 8000
    db = spectrogram_db(np.sin(2 * np.pi * 1000 * t).astype(np.float32), spec)
    assert np.argmax(db[:, 60]) == round(1000 / (8000 / 256))
    silent = spectrogram_db(np.zeros(8000, np.float32), spec)
    assert silent.min() == silent.max() == -spec.top_db
    assert model_input_from_db(silent, spec).max() == 0.0


def test_mel_kind_has_mel_bands_and_frequencies():
    spec = FeatureSpec(kind="mel_db", n_mels=40)
    db = spectrogram_db(np.random.default_rng(2).standard_normal(8000).astype(np.float32), spec)
    assert db.shape == (40, 126)
    freqs = spec.band_frequencies()
    assert freqs.shape == (40,) and np.all(np.diff(freqs) > 0) and freqs[-1] < 4000


def test_framing_frame_counts_and_round_trip():
    centred = Framing(n_fft=256, hop_length=64)
    assert centred.n_frames(8000) == 126
    plain = Framing(n_fft=256, hop_length=64, center=False)
    assert plain.n_frames(8000) == 1 + (8000 - 256) // 64 and plain.n_frames(100) == 0
    assert Framing.from_dict(centred.to_dict()) == centred
    assert FeatureSpec.from_dict(FeatureSpec(kind="mel_db").to_dict()) == FeatureSpec(kind="mel_db")
    with pytest.raises(ValueError, match="win_length"):
        Framing(n_fft=128, win_length=256)
    with pytest.raises(ValueError, match="unknown feature kind"):
        FeatureSpec(kind="cqt")


@pytest.mark.parametrize("name", ["hann", "hamming", "blackman"])
def test_windows_match_scipy(name):
    import scipy.signal

    framing = Framing(n_fft=256, win_length=200, window=name)
    expected = np.zeros(256)
    expected[28:228] = scipy.signal.get_window(name, 200, fftbins=True)
    np.testing.assert_allclose(framing.window_array(), expected, atol=1e-12)


def test_istft_inverts_stft_with_the_same_framing():
    from audioxai_gui.features.spectrogram import istft, stft

    framing = Framing(n_fft=256, hop_length=64)
    signal = torch.from_numpy(np.random.default_rng(3).standard_normal((2, 4000)).astype(np.float32))
    back = istft(stft(signal, framing), framing, signal.shape[-1])
    assert back.shape == signal.shape
    assert torch.allclose(back, signal, atol=1e-4)
