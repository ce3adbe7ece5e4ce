"""Speech augmentations and the digit robustness perturbations do what their names say."""

from __future__ import annotations

import numpy as np
import pytest

from audioxai_gui.classifiers.augment import (
    BandLimit,
    ColouredNoise,
    FrequencyWarp,
    PitchShift,
    Reverb,
    SpeedPerturb,
    add_noise_at_snr,
    band_pass,
    warp_frequencies,
)
from audioxai_gui.classifiers.digits import ROBUSTNESS_CHECKS
from audioxai_gui.evaluate.robustness import CORRUPTIONS

RATE = 8000


def _tone(hz: float, seconds: float = 1.0) -> np.ndarray:
    return (0.5 * np.sin(2 * np.pi * hz * np.arange(int(RATE * seconds)) / RATE)).astype(np.float32)


def _peak_hz(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / RATE)[spectrum.argmax()])


def _level_db(after: np.ndarray, before: np.ndarray) -> float:
    middle = slice(len(before) // 4, -len(before) // 4)  # away from the filter's start-up
    return 10 * np.log10((after[middle] ** 2).mean() / (before[middle] ** 2).mean())


@pytest.mark.parametrize("factor", [2 ** (2 / 12), 2 ** (-2 / 12), 1.15])
def test_frequency_warp_moves_a_tone_and_keeps_its_length(factor):
    warped = warp_frequencies(_tone(500)[None], np.array([factor]))[0]
    assert len(warped) == RATE
    assert _peak_hz(warped) == pytest.approx(500 * factor, abs=3)


def test_pitch_shift_moves_a_tone_by_its_semitones_and_keeps_its_length():
    batch = np.stack([_tone(500)] * 2)
    shifted = PitchShift(1.0, semitones=(2.0, 2.0))(batch.copy(), np.random.default_rng(0))
    assert shifted.shape == batch.shape
    assert _peak_hz(shifted[0]) == pytest.approx(500 * 2 ** (2 / 12), abs=5)


def test_speed_perturbation_shortens_the_sound_and_raises_its_pitch():
    batch = np.zeros((1, RATE), np.float32)
    batch[0, 3000:5000] = _tone(400, 0.25)
    sped = SpeedPerturb(1.0, (1.25, 1.25))(batch.copy(), np.random.default_rng(0))[0]
    loud = np.flatnonzero(np.abs(sped) > 0.05)
    assert loud[-1] - loud[0] == pytest.approx(2000 / 1.25, abs=10)
    assert _peak_hz(sped) == pytest.approx(500, abs=10)


def test_telephone_band_pass_removes_100_hz_and_3800_hz_and_keeps_1_khz():
    assert _level_db(band_pass(_tone(100), 300, 3400, RATE), _tone(100)) < -30
    assert _level_db(band_pass(_tone(3800), 300, 3400, RATE), _tone(3800)) < -30
    assert _level_db(band_pass(_tone(1000), 300, 3400, RATE), _tone(1000)) == pytest.approx(0, abs=0.5)


def test_band_limit_augmentation_cuts_below_and_above_its_band():
    batch = np.stack([_tone(60), _tone(1000), _tone(3950)])
    limited = BandLimit(1.0)(batch.copy(), np.random.default_rng(1))
    assert _level_db(limited[0], batch[0]) < -20 and _level_db(limited[2], batch[2]) < -10
    assert _level_db(limited[1], batch[1]) == pytest.approx(0, abs=1)


def test_digit_robustness_checks_are_known_corruptions_at_their_levels():
    for name, level in ROBUSTNESS_CHECKS:
        assert name in CORRUPTIONS and level in CORRUPTIONS[name].levels, (name, level)


@pytest.mark.parametrize("snr_db, exponent", [(0.0, 0), (10.0, 1), (30.0, 2)])
def test_noise_lands_at_the_asked_snr_relative_to_the_speech(snr_db, exponent):
    batch = np.zeros((1, RATE), np.float32)
    batch[0, 2000:5000] = _tone(300, 3000 / RATE)  # a "word" in a mostly silent window
    noisy = add_noise_at_snr(batch.copy(), np.array([snr_db]), np.array([exponent]), RATE, np.random.default_rng(0))
    noise = noisy - batch
    measured = 10 * np.log10((batch[0, 2000:5000] ** 2).mean() / (noise[0] ** 2).mean())
    assert measured == pytest.approx(snr_db, abs=0.5)


def test_noise_augmentation_stays_in_its_snr_range():
    batch = np.tile(_tone(300), (32, 1))
    noisy = ColouredNoise(1.0, (0.0, 30.0))(batch.copy(), np.random.default_rng(2))
    snr = 10 * np.log10((batch**2).mean(axis=1) / ((noisy - batch) ** 2).mean(axis=1))
    assert snr.min() > -0.5 and snr.max() < 30.5 and snr.max() - snr.min() > 10


def test_reverb_adds_a_decaying_tail_after_the_sound():
    batch = np.zeros((1, RATE), np.float32)
    batch[0, 1000:1400] = _tone(500, 0.05)
    wet = Reverb(1.0, rt60_s=(0.5, 0.5))(batch.copy(), np.random.default_rng(0))[0]
    assert np.allclose(wet[:1000], 0, atol=1e-6), "a room cannot answer before the sound"
    tail = wet[1400:]
    early, late = (tail[:800] ** 2).mean(), (tail[2400:3200] ** 2).mean()
    assert early > 0 and late < early / 10


def test_augmentations_keep_shape_and_dtype_and_are_seeded():
    batch = np.random.default_rng(0).standard_normal((8, RATE)).astype(np.float32) * 0.1
    for step in (
        SpeedPerturb(1.0),
        FrequencyWarp(1.0),
        PitchShift(1.0),
        BandLimit(1.0),
        Reverb(1.0),
        ColouredNoise(1.0),
    ):
        one = step(batch.copy(), np.random.default_rng(5))
        two = step(batch.copy(), np.random.default_rng(5))
        assert one.shape == batch.shape and one.dtype == np.float32 and np.isfinite(one).all(), step
        assert np.array_equal(one, two), step
        assert step.describe()
