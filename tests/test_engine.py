"""The explanation engine: shapes, targets, conservation, long-audio stitching, cancellation, threads, devices."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from audioxai_gui.explain.composites import COMPOSITES
from audioxai_gui.explain.engine import ExplanationCancelled, ExplanationEngine, WindowPlan


@pytest.fixture(scope="module")
def engine():
    return ExplanationEngine("cpu")


def _speechlike(n: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 8000
    envelope = np.exp(-(((t - t.mean()) / 0.12) ** 2))
    return (envelope * (0.3 * np.sin(2 * np.pi * 300 * t) + 0.05 * rng.standard_normal(n))).astype(np.float32)


def test_short_clip_shapes_and_probabilities(engine, model_pair):
    wave, spec = model_pair
    clip = _speechlike(5000)
    grid = spec.card.features
    w = engine.explain(wave, clip, grid=grid)
    s = engine.explain(spec, clip)
    n_frames = grid.framing.n_frames(clip.size)
    assert w.relevance.shape == (5000,)
    assert w.tf_relevance.shape == s.relevance.shape == s.tf_relevance.shape == (grid.n_bands, n_frames)
    for exp in (w, s):
        assert exp.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
        assert exp.target == exp.predicted
        assert np.isfinite(exp.relevance).all()
    assert w.frame_times().shape == (n_frames,) and w.band_frequencies()[-1] == pytest.approx(4000)


def test_projection_inside_engine_conserves_waveform_relevance(engine, model_pair):
    wave, spec = model_pair
    exp = engine.explain(wave, _speechlike(8000), grid=spec.card.features)
    assert exp.tf_relevance.sum() == pytest.approx(exp.relevance.sum(), rel=1e-3)


def test_input_proportional_default_puts_no_relevance_on_silence(engine, model_pair):
    wave, _ = model_pair
    clip = _speechlike(8000)
    clip[:2000] = 0
    exp = engine.explain(wave, clip)
    assert exp.composite == "EpsilonPlus"
    assert np.abs(exp.relevance[:2000]).max() == 0
    assert np.abs(exp.relevance[2000:]).max() > 0


def test_explicit_target_changes_the_explanation(engine, model_pair):
    wave, _ = model_pair
    clip = _speechlike(8000)
    default = engine.explain(wave, clip)
    other = (default.predicted + 1) % len(default.classes)
    chosen = engine.explain(wave, clip, target=other)
    assert chosen.target == other
    np.testing.assert_allclose(chosen.probabilities, default.probabilities, rtol=1e-5)
    assert not np.allclose(chosen.relevance, default.relevance)
    with pytest.raises(ValueError, match="target 99 out of range"):
        engine.explain(wave, clip, target=99)


@pytest.mark.parametrize("name", list(COMPOSITES))
def test_every_composite_runs_on_both_models(engine, model_pair, name):
    for model in model_pair:
        exp = engine.explain(model, _speechlike(8000), composite=name)
        assert exp.composite == name and np.isfinite(exp.relevance).all()


@pytest.mark.parametrize("name", ["EpsilonPlus", "EpsilonPlus-NoBias", "EpsilonPlusFlat"])
def test_lean_zplus_gives_zennits_relevance_bit_for_bit_and_skips_the_empty_pass(model_pair, name, monkeypatch):
    """LeanZPlus drops ZPlus's negative-input pass only where a layer's input has no negative value: the
    relevance must equal zennit's own composite exactly, and only layers fed negative values run the full rule."""
    from zennit import composites as zc
    from zennit.attribution import Gradient
    from zennit.canonizers import SequentialMergeBatchNorm
    from zennit.rules import ZPlus

    from audioxai_gui.classifiers.inputs import model_input
    from audioxai_gui.explain.composites import make_composite

    full_rule_calls = []
    zplus_backward = ZPlus.backward
    monkeypatch.setattr(ZPlus, "backward", lambda *args: full_rule_calls.append(1) or zplus_backward(*args))
    zero_params = ["bias"] if name.endswith("-NoBias") else None
    zennit_composite = getattr(zc, name.removesuffix("-NoBias"))
    windows = torch.from_numpy(np.stack([_speechlike(8000, seed) for seed in (1, 2, 3)]))
    for model in model_pair:
        inputs = model_input(model.card, windows)
        convolutions = sum(isinstance(m, torch.nn.Conv1d | torch.nn.Conv2d) for m in model.module.modules())
        flat_first_layer = int(name == "EpsilonPlusFlat")  # the first convolution takes Flat, not ZPlus
        signed_input = int(model.card.input_kind == "waveform")  # only a waveform feeds negative values
        relevance, calls = {}, {}
        for rules, composite in (
            ("lean", make_composite(name, model.card.input_kind)),
            ("zennit", zennit_composite(canonizers=[SequentialMergeBatchNorm()], zero_params=zero_params)),
        ):
            full_rule_calls.clear()
            with Gradient(model.module, composite) as attributor:
                _, relevance[rules] = attributor(inputs, lambda output: output * torch.eye(output.shape[1])[0])
            calls[rules] = len(full_rule_calls)
        assert torch.equal(relevance["lean"], relevance["zennit"]) and relevance["lean"].abs().sum() > 0
        assert calls == {"zennit": convolutions - flat_first_layer, "lean": signed_input * (1 - flat_first_layer)}


def test_unknown_composite_names_the_choices(engine, model_pair):
    with pytest.raises(ValueError, match="unknown composite 'Nope'.*EpsilonPlus"):
        engine.explain(model_pair[0], _speechlike(8000), composite="Nope")


def test_conservation_is_exact_without_biases(engine, random_pair):
    """With zero biases (and BatchNorm at its identity init) LRP-epsilon/z+ conserves the target logit."""
    import copy

    wave = copy.deepcopy(random_pair[0])
    for module in wave.module.modules():
        if getattr(module, "bias", None) is not None and not isinstance(module, torch.nn.BatchNorm1d):
            module.bias.data.zero_()
    exp = engine.explain(wave, _speechlike(8000), composite="EpsilonPlus")
    assert exp.conservation == pytest.approx(1.0, abs=2e-2)


@pytest.mark.parametrize("kind", [0, 1])
def test_long_audio_windows_are_stitched_without_overlap_bias(engine, model_pair, kind):
    """With hop = window, each window's stitched relevance equals explaining that window alone."""
    model = model_pair[kind]
    length = model.card.input_length
    signal = np.concatenate([_speechlike(length, seed) for seed in range(3)])
    whole = engine.explain(model, signal, hop_fraction=1.0, target=3)
    alone = engine.explain(model, signal[length : 2 * length], target=3)
    assert len(whole.window_starts) == 3
    if model.card.input_kind == "waveform":
        np.testing.assert_allclose(whole.relevance[length : 2 * length], alone.relevance, rtol=1e-4, atol=1e-7)
    else:
        hop = model.card.features.framing.hop_length
        first = length // hop
        inner = slice(first + 1, first + alone.relevance.shape[1] - 1)  # edge frames are shared by two windows
        np.testing.assert_allclose(whole.relevance[:, inner], alone.relevance[:, 1:-1], rtol=1e-4, atol=1e-7)


def test_overlapping_windows_cover_a_long_file_with_progress(engine, model_pair):
    wave, spec = model_pair
    signal = _speechlike(8000 * 6)
    seen = []
    exp = engine.explain(wave, signal, grid=spec.card.features, progress=seen.append)
    assert exp.relevance.shape == signal.shape
    assert exp.tf_relevance.shape[1] == spec.card.features.framing.n_frames(signal.size)
    hop = exp.window_starts[1]
    assert abs(hop - 4000) <= 64 and hop % 64 == 0  # 50 % hop, on the frame grid
    n_windows = 1 + -(-(signal.size - 8000) // hop)
    assert len(exp.window_starts) == n_windows and exp.window_probabilities.shape == (n_windows, 10)
    assert seen == sorted(seen) and seen[-1] == 1.0


def test_cancellation_between_batches(model_pair):
    engine = ExplanationEngine("cpu", batch_size=2)
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) > 1

    with pytest.raises(ExplanationCancelled):
        engine.explain(model_pair[0], _speechlike(8000 * 5), cancelled=cancelled)
    assert len(calls) == 2


def test_window_plan_aligns_to_the_frame_hop():
    plan = WindowPlan.for_clip(3000, 8000, 0.5, 64)
    assert plan.offset % 64 == 0 and plan.padded_length == 8000
    plan = WindowPlan.for_clip(20000, 8000, 0.5, 64)
    assert all(s % 64 == 0 for s in plan.starts) and plan.padded_length >= 20000
    assert plan.starts[-1] + 8000 == plan.padded_length
    with pytest.raises(ValueError):
        WindowPlan.for_clip(100, 8000, 0.0, 64)


@pytest.mark.parametrize("n_samples", [3000, 20000])  # centred in one padded window; windows past the end
def test_windows_are_the_padded_clip_at_the_planned_starts(n_samples):
    plan = WindowPlan.for_clip(n_samples, 8000, 0.5, 64)
    samples = np.random.default_rng(3).standard_normal(n_samples).astype(np.float32)
    padded = np.zeros(plan.padded_length, dtype=np.float32)  # the clip in its zero padding, whole
    padded[plan.offset : plan.offset + n_samples] = samples
    expected = np.stack([padded[start : start + 8000] for start in plan.starts])
    np.testing.assert_array_equal(plan.windows(samples).numpy(), expected)
    last = np.array([len(plan.starts) - 1])
    np.testing.assert_array_equal(plan.windows(samples, last).numpy(), expected[last])


def test_rms_level_matches_float64_on_an_hour_sized_signal():
    from audioxai_gui.explain.engine import rms_level

    samples = (0.3 * np.random.default_rng(4).standard_normal(3_000_001)).astype(np.float32)
    assert rms_level(samples) == pytest.approx(np.sqrt(np.mean(samples.astype(np.float64) ** 2)), rel=1e-12)
    assert rms_level(samples[:0]) == 0.0


def test_two_threads_at_once_match_sequential_runs(engine, model_pair):
    wave, spec = model_pair
    clips = [_speechlike(8000, seed) for seed in range(4)]
    expected = [engine.explain(m, c).relevance for m in (wave, spec) for c in clips]
    results: dict[int, list] = {}

    def work(index, model):
        results[index] = [engine.explain(model, c).relevance for c in clips]

    threads = [threading.Thread(target=work, args=(i, m)) for i, m in enumerate((wave, spec, wave))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = results[0] + results[1]
    for a, b in zip(expected, got, strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(expected[:4], results[2], strict=True):
        np.testing.assert_array_equal(a, b)


def test_cuda_out_of_memory_falls_back_to_cpu(model_pair, monkeypatch):
    import copy

    engine = ExplanationEngine("cpu")
    model = copy.deepcopy(model_pair[0])
    original = engine._explain
    calls = []

    def flaky(*args):
        calls.append(1)
        if len(calls) == 1:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB")
        return original(*args)

    monkeypatch.setattr(engine, "_explain", flaky)
    exp = engine.explain(model, _speechlike(8000))
    assert "ran out of memory" in exp.notes[0] and "CPU" in exp.notes[0]
    assert model.device.type == "cpu"


def test_device_override_and_unavailable_cuda(monkeypatch):
    monkeypatch.setenv("AUDIOXAI_DEVICE", "cpu")
    assert ExplanationEngine().device.type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            ExplanationEngine("cuda")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cpu_and_cuda_relevance_agree(model_pair):
    from audioxai_gui.classifiers import load_model

    clip = _speechlike(8000)
    for model in model_pair:
        cpu = ExplanationEngine("cpu").explain(model, clip)
        gpu_model = load_model(model.card, "cuda")
        gpu = ExplanationEngine("cuda").explain(gpu_model, clip)
        scale = np.abs(cpu.relevance).max()
        assert np.abs(cpu.relevance - gpu.relevance).max() <= 1e-4 * scale


def test_long_clip_explains_each_window_for_its_own_class_by_default(engine, model_pair):
    wave, spec = model_pair
    signal = np.concatenate([_speechlike(8000, seed) for seed in range(4)])
    exp = engine.explain(spec, signal)
    assert exp.target_mode == "each_window"
    np.testing.assert_array_equal(exp.window_targets, exp.window_probabilities.argmax(axis=1))
    assert exp.window_conservation.shape == (len(exp.window_starts),)
    assert np.isfinite(exp.window_conservation).all()


def test_one_class_mode_explains_every_window_for_the_clip_class(engine, model_pair):
    wave, _ = model_pair
    signal = np.concatenate([_speechlike(8000, seed) for seed in range(4)])
    exp = engine.explain(wave, signal, target_mode="one_class")
    assert exp.target_mode == "one_class"
    assert exp.target == int(exp.window_probabilities.mean(axis=0).argmax())
    assert (exp.window_targets == exp.target).all()
    given = engine.explain(wave, signal, target=2)
    assert given.target_mode == "one_class" and (given.window_targets == 2).all()


def test_each_window_relevance_equals_explaining_the_window_for_its_class(engine, model_pair):
    wave, _ = model_pair
    signal = np.concatenate([_speechlike(8000, seed) for seed in range(3)])
    whole = engine.explain(wave, signal, hop_fraction=1.0)
    second = int(whole.window_targets[1])
    alone = engine.explain(wave, signal[8000:16000], target=second)
    np.testing.assert_allclose(whole.relevance[8000:16000], alone.relevance, rtol=1e-4, atol=1e-7)
    assert whole.window_conservation[1] == pytest.approx(alone.conservation, rel=1e-4)


def test_unknown_target_mode_names_the_choices(engine, model_pair):
    with pytest.raises(ValueError, match="each_window"):
        engine.explain(model_pair[0], _speechlike(8000), target_mode="majority")
