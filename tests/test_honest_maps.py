"""Every composite's time-frequency map of the waveform model conserves and shows no artefacts, on
constructed signals that put relevance where there is no signal: digital silence inside a clip, zero
padding, DC and a single click. Conservation is measured over the clip; the accounting says the same
everywhere (window line, --json, .npz)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from audioxai_gui.explain.accounting import accounting, conservation_note, frame_concentration
from audioxai_gui.explain.composites import COMPOSITES, composite_label, is_conserving
from audioxai_gui.explain.engine import MAP_NORMALISATION, ExplanationEngine, WindowPlan


@pytest.fixture(scope="module")
def engine():
    return ExplanationEngine("cpu")


def _voiced(n: int, seed: int) -> np.ndarray:
    """A vowel-like burst: harmonics of 140 Hz under a smooth envelope, a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 8000
    harmonics = sum(np.sin(2 * np.pi * 140 * k * t + rng.uniform(0, 6)) / k for k in range(1, 12))
    envelope = np.sin(np.pi * np.arange(n) / n) ** 2
    return (0.25 * envelope * harmonics + 0.01 * rng.standard_normal(n)).astype(np.float32)


def _digital_silence_inside() -> np.ndarray:
    return np.concatenate([_voiced(3000, 1), np.zeros(2400, np.float32), _voiced(2600, 2)])


def _zero_padded() -> np.ndarray:
    """A 0.4 s burst ending in exact zeros; the engine centres it in the 1 s window with more zeros."""
    return np.concatenate([_voiced(2400, 3), np.zeros(800, np.float32)])


def _dc() -> np.ndarray:
    return np.full(8000, 0.3, np.float32)


def _click() -> np.ndarray:
    signal = np.zeros(8000, np.float32)
    signal[4000] = 0.8
    return signal


SIGNALS = {
    "digital silence": _digital_silence_inside,
    "zero padding": _zero_padded,
    "dc": _dc,
    "click": _click,
}


@pytest.mark.parametrize("signal_name", list(SIGNALS))
@pytest.mark.parametrize("composite", list(COMPOSITES))
def test_map_conserves_and_no_bin_dominates(engine, model_pair, composite, signal_name):
    wave, spec = model_pair
    grid = spec.card.features
    signal = SIGNALS[signal_name]()
    e = engine.explain(wave, signal, composite=composite, grid=grid)
    tf, silent, relevance = (np.asarray(a, dtype=np.float64) for a in (e.tf_relevance, e.tf_silent, e.relevance))
    assert np.isfinite(tf).all() and np.isfinite(silent).all()
    total_abs = np.abs(relevance).sum()
    if total_abs == 0:
        assert np.all(tf == 0)
        return
    # the map plus the silent track hold the time-domain total (within 2 % of the clip's |relevance|) ...
    assert abs(tf.sum() + silent.sum() - relevance.sum()) <= 0.02 * total_abs
    # ... and what the silent track holds is exactly what the accounting reports
    assert np.abs(silent).sum() <= e.silent_share * total_abs * (1 + 1e-3) + 1e-12
    map_abs = np.abs(tf).sum()
    if map_abs == 0:
        return
    # no bin holds more than 5 % of the map's |relevance| unless the time-domain relevance is that concentrated
    assert np.abs(tf).max() / map_abs <= max(0.05, frame_concentration(relevance, grid.framing.n_fft))
    # no cancelling giants: before, bins reached 1e8 x the clip's total |relevance|
    assert map_abs <= 10 * total_abs


def test_relevance_on_silence_is_reported_not_smeared(engine, model_pair):
    wave, spec = model_pair
    flat = engine.explain(wave, _click(), composite="EpsilonPlusFlat", grid=spec.card.features)
    plus = engine.explain(wave, _click(), composite="EpsilonPlus", grid=spec.card.features)
    # a Flat first layer spreads relevance over the zeros around the click: most of it is silent
    assert flat.silent_share > 0.5
    assert "on silent samples, not in the map" in conservation_note(flat)
    # the input-proportional default gives the zeros nothing: all of it is in the map
    assert plus.silent_share < 0.01
    assert plus.tf_relevance.sum() == pytest.approx(plus.relevance.sum(), rel=0.02)


@pytest.mark.parametrize("kind", [0, 1])
def test_conservation_is_over_the_clip_not_the_padded_window(engine, model_pair, kind):
    model = model_pair[kind]
    signal = _zero_padded()
    e = engine.explain(model, signal, composite="EpsilonPlusFlat")
    plan = WindowPlan.for_clip(signal.size, model.card.input_length, 0.5, model.card.features.framing.hop_length)
    batch = engine.explain_windows(model, plan.windows(signal), np.array([e.target]), "EpsilonPlusFlat")
    logit = float(batch.explained_logits[0])
    assert e.conservation == pytest.approx(float(e.relevance.sum(dtype=np.float64)) / logit, rel=1e-3)
    assert e.window_conservation.shape == (1,) and e.window_conservation[0] == pytest.approx(e.conservation)
    assert e.padded_samples == model.card.input_length - signal.size
    # Flat puts relevance on the padding: it is counted and named, not hidden in the number
    assert 0 < e.padding_share < 1
    whole_window = float(batch.relevance.sum(dtype=np.float64)) / logit
    assert whole_window != pytest.approx(e.conservation)


@pytest.mark.parametrize("composite", ["EpsilonPlus-NoBias", "EpsilonPlusFlat-NoBias"])
@pytest.mark.parametrize("kind", [0, 1])
def test_bias_free_composites_conserve_when_the_clip_fills_the_window(engine, shipped_pair, composite, kind):
    model = shipped_pair[kind]
    signal = np.concatenate([_voiced(4000, 5), _voiced(4000, 6)])
    e = engine.explain(model, signal, composite=composite)
    assert is_conserving(composite) and "conserving" in composite_label(composite)
    assert e.conservation == pytest.approx(1.0, abs=0.02)
    biased = engine.explain(model, signal, composite=composite.removesuffix("-NoBias"))
    assert abs(biased.conservation - 1) > abs(e.conservation - 1)


def test_accounting_carries_the_numbers_and_flags_a_negative_total(engine, model_pair):
    wave, spec = model_pair
    e = engine.explain(wave, _digital_silence_inside(), composite="EpsilonPlusFlat", grid=spec.card.features)
    record = accounting(e)
    assert record["conservation"] == pytest.approx(e.conservation, abs=1e-6)
    assert record["silent_share"] == pytest.approx(e.silent_share, abs=1e-6) and record["silent_share"] > 0
    assert record["normalisation"] == MAP_NORMALISATION
    assert record["map_total_abs"] == pytest.approx(np.abs(e.tf_relevance).sum(dtype=np.float64), rel=1e-5)
    shares = e.tf_shares()
    assert np.abs(shares).sum() == pytest.approx(1.0, rel=1e-5)
    assert record["negative_total"] is False or e.total_relevance < 0
    e = dataclasses.replace(e, relevance=-np.abs(e.relevance), relevance_sum=None)
    assert accounting(e)["negative_total"] is True
    assert "negative" in conservation_note(e) and "against" in conservation_note(e)


def test_cli_json_and_npz_carry_the_same_numbers(fsdd_dir, tmp_path, capsys):
    from audioxai_gui.cli import main

    clip = fsdd_dir / "recordings" / "7_jackson_0.wav"
    assert main(["explain", str(clip), "--json", "--composite", "EpsilonPlusFlat", "--out", str(tmp_path)]) == 0
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    data = np.load(tmp_path / "7_jackson_0.wav.relevance.npz")
    saved = {m["key"]: m for m in json.loads(str(data["metadata"]))["models"]}
    keys = ("conservation", "window_conservation", "negative_total", "silent_share", "padding_share")
    for kind, printed in record["models"].items():
        for key in (*keys, "normalisation", "map_total_abs", "conserving_composite"):
            assert printed[key] == saved[kind][key], (kind, key)
        assert printed["normalisation"] == MAP_NORMALISATION
        assert printed["map_total_abs"] == pytest.approx(float(np.abs(data[f"{kind}_tf_relevance"]).sum()), rel=1e-4)
    wave = record["models"]["waveform"]
    # Flat spreads relevance over this recording's exact zeros and over the padding: both are counted
    assert wave["silent_share"] > 0 and wave["padding_share"] > 0
    assert data["waveform_tf_silent"].shape == (data["waveform_tf_relevance"].shape[-1],)
    assert record["models"]["spectrogram"]["silent_share"] == 0
