"""Faithfulness, robustness and profile measures on toy models whose right answers are known by construction."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from audioxai_gui.annotate.regions import Region
from audioxai_gui.classifiers import LoadedModel, ModelCard
from audioxai_gui.evaluate.aggregate import Aggregate
from audioxai_gui.evaluate.alignment import agreement
from audioxai_gui.evaluate.attributions import attribute
from audioxai_gui.evaluate.clip import Clip, Settings, evaluate_clip
from audioxai_gui.evaluate.domains import RegionSettings, common_spec, region_grid, relevance_in_domain
from audioxai_gui.evaluate.perturbation import aopc, perturbation_curves, removal_masks, tie_broken_order
from audioxai_gui.evaluate.profiles import PROFILE_BANDS, band_profile, position_profile, top_overlap
from audioxai_gui.evaluate.robustness import CORRUPTIONS, rank_correlation
from audioxai_gui.evaluate.subject import Subject
from audioxai_gui.features import FeatureSpec

RATE, LENGTH = 8000, 8000
SPEC = FeatureSpec(sample_rate=RATE)
EVIDENCE = (0.4, 0.6)  # seconds: the only part of the window the toy waveform model uses
BAND = (1000.0, 2000.0)  # Hz: the only band the toy spectrogram model uses


def _card(kind: str) -> ModelCard:
    return ModelCard(
        name=f"toy-{kind}", input_kind=kind, architecture="toy", classes=["yes", "no"], sample_rate=RATE,
        input_length=LENGTH, weights="", features=SPEC, peak_level=None,
    )  # fmt: skip


def _linear(weights: np.ndarray) -> nn.Module:
    """Logit 0 = <weights, input>, logit 1 = 0: LRP-epsilon and gradient x input give exactly weights * input."""
    layer = nn.Linear(weights.size, 2, bias=False)
    with torch.no_grad():
        layer.weight.zero_()
        layer.weight[0] = torch.as_tensor(weights.ravel(), dtype=torch.float32)
    return nn.Sequential(nn.Flatten(), layer).eval().requires_grad_(False)


def _template() -> np.ndarray:
    t = np.arange(LENGTH) / RATE
    inside = (t >= EVIDENCE[0]) & (t < EVIDENCE[1])
    return (np.sin(2 * np.pi * 440 * t) * inside * np.hanning(LENGTH) * 2).astype(np.float32)


@pytest.fixture(scope="module")
def toy_waveform() -> Subject:
    return Subject(LoadedModel(_card("waveform"), _linear(_template()), torch.device("cpu")))


@pytest.fixture(scope="module")
def toy_spectrogram() -> Subject:
    bins = SPEC.framing.bin_frequencies(RATE)
    rows = ((bins >= BAND[0]) & (bins <= BAND[1])).astype(np.float32)
    weights = np.repeat(rows[:, None], SPEC.framing.n_frames(LENGTH), axis=1) / 100
    return Subject(LoadedModel(_card("spectrogram"), _linear(weights), torch.device("cpu")))


@pytest.fixture(scope="module")
def noise_clip() -> np.ndarray:
    return (np.random.default_rng(1).standard_normal(LENGTH) * 0.1).astype(np.float32)


def test_evidence_ranking_drops_fastest_and_random_scores_half(toy_waveform):
    """Linear model, zero fill: removing the true evidence first is optimal; a random order removes on average
    k/n of the logit at step k, so its logit AOPC is half the clean logit."""
    window = _template()
    grid = region_grid("time", toy_waveform, window, RegionSettings(), common_spec(toy_waveform), 0)
    assert grid.n_regions == 50
    evidence = grid.pool(window * _template())
    rng = np.random.default_rng(0)
    orders = [tie_broken_order(evidence, True, rng), tie_broken_order(grid.energy, True, rng)]
    orders += [rng.permutation(grid.n_regions) for _ in range(300)]
    orders.append(tie_broken_order(evidence, False, rng))
    curves = perturbation_curves(grid, orders, target=0, steps=10)
    scores = [aopc(curve) for curve in curves.logit]
    clean = curves.logit[0, 0]
    assert scores[0] >= max(scores[1:]) - 1e-6
    assert np.mean(scores[2:-1]) == pytest.approx(clean / 2, rel=0.05)
    assert scores[-1] <= min(scores[:-1]) + 1e-6  # LeRF: the least evidence first drops slowest
    assert curves.logit[0, -1] == pytest.approx(0.0, abs=1e-4)  # everything removed: no evidence left


def test_lrp_ranking_equals_the_true_evidence(toy_waveform):
    window = _template()
    inputs = toy_waveform.inputs(window[None])
    relevance = attribute("EpsilonPlus", toy_waveform, inputs, 0, (160,))
    np.testing.assert_allclose(relevance, window * _template(), rtol=1e-3, atol=1e-7)


def test_removal_masks_remove_the_order_in_even_steps():
    masks = removal_masks(np.array([3, 1, 0, 2]), steps=4)
    assert masks.sum(axis=1).tolist() == [0, 1, 2, 3, 4]
    assert masks[1].tolist() == [False, False, False, True] and masks[2].tolist() == [False, True, False, True]


def test_one_band_model_has_its_band_as_profile(toy_spectrogram, noise_clip):
    window = toy_spectrogram.window(noise_clip)
    relevance = attribute("EpsilonPlus", toy_spectrogram, toy_spectrogram.inputs(window[None]), 0, (8, 8))
    common = relevance_in_domain("common", toy_spectrogram, window, relevance, common_spec(toy_spectrogram))
    profile = band_profile(common)
    edges = np.linspace(0, RATE / 2, PROFILE_BANDS + 1)
    inside = (edges[1:] > BAND[0] - 1) & (edges[:-1] < BAND[1] + 1)
    assert profile[inside].sum() == pytest.approx(1.0, abs=1e-6)
    assert profile.sum() == pytest.approx(1.0)


def test_waveform_evidence_in_one_span_has_that_position_profile(toy_waveform):
    """The projected (DFT-LRP) relevance of the toy waveform model stays in its evidence span."""
    window = _template()
    relevance = attribute("EpsilonPlus", toy_waveform, toy_waveform.inputs(window[None]), 0, (160,))
    common = relevance_in_domain("common", toy_waveform, window, relevance, SPEC)
    profile = position_profile(common, 20)  # 50 ms positions
    assert profile[8:12].sum() > 0.95


def test_common_domain_resynthesis_is_the_clip_and_removing_all_is_silence(toy_spectrogram, noise_clip):
    window = toy_spectrogram.window(noise_clip)
    grid = region_grid("common", toy_spectrogram, window, RegionSettings(), common_spec(toy_spectrogram), 0)
    none_and_all = np.stack([np.zeros(grid.n_regions, bool), np.ones(grid.n_regions, bool)])
    inputs = grid.inputs_without(none_and_all)
    np.testing.assert_allclose(inputs[0].numpy(), toy_spectrogram.inputs(window[None])[0].numpy(), atol=2e-3)
    assert float(inputs[1].max()) == pytest.approx(toy_spectrogram.silence_value(), abs=1e-6)


def test_spectrogram_input_patches_go_to_the_silence_floor(toy_spectrogram, noise_clip):
    window = toy_spectrogram.window(noise_clip)
    grid = region_grid("input", toy_spectrogram, window, RegionSettings(patch_grid=(4, 4)), SPEC, 0)
    assert grid.n_regions == 16
    removed = np.zeros((1, 16), bool)
    removed[0, 0] = True
    changed = grid.inputs_without(removed)[0, 0] != toy_spectrogram.inputs(window[None])[0, 0]
    assert changed[: grid.block[0], : grid.block[1]].all() and not changed[grid.block[0] :].any()


def test_time_fill_noise_sits_at_the_clip_floor(toy_waveform, noise_clip):
    quiet_then_loud = noise_clip.copy()
    quiet_then_loud[:4000] *= 0.01
    grid = region_grid("time", toy_waveform, quiet_then_loud, RegionSettings(time_fill="noise"), SPEC, 0)
    filled = grid.inputs_without(np.ones((1, grid.n_regions), bool))[0, 0].numpy()
    assert 0.0005 < np.sqrt(np.mean(filled**2)) < 0.003


@pytest.mark.parametrize("name", ["white-noise", "pink-noise"])
def test_noise_is_added_at_the_asked_snr(name, noise_clip):
    noisy = CORRUPTIONS[name].apply(noise_clip, RATE, 10.0, np.random.default_rng(0))
    snr = 10 * np.log10(np.mean(noise_clip**2) / np.mean((noisy - noise_clip) ** 2))
    assert snr == pytest.approx(10.0, abs=0.01)


def test_speed_pitch_shift_and_gain_change_what_they_say(noise_clip):
    rng = np.random.default_rng(0)
    assert CORRUPTIONS["speed"].apply(noise_clip, RATE, 10, rng).size == pytest.approx(LENGTH / 1.1, abs=2)
    assert CORRUPTIONS["pitch"].apply(noise_clip, RATE, 2, rng).size == LENGTH
    shifted = CORRUPTIONS["time-shift"].apply(noise_clip, RATE, 0.1, rng)
    np.testing.assert_array_equal(shifted[800:], noise_clip[:-800])
    assert not shifted[:800].any()
    quiet = CORRUPTIONS["gain"].apply(noise_clip, RATE, -20, rng)
    np.testing.assert_allclose(quiet, noise_clip * 0.1, rtol=1e-6)


def test_map_similarity_measures():
    a = np.arange(100.0).reshape(10, 10)
    assert rank_correlation(a, a * 3 + 1) == pytest.approx(1.0)
    assert rank_correlation(a, -a) == pytest.approx(-1.0)
    assert top_overlap(a, a) == 1.0 and top_overlap(a, -a) == 0.0


def test_agreement_reports_positive_and_signed_mass():
    tf_map = np.zeros((SPEC.n_bands, 10))
    tf_map[:, 2] = 2.0  # evidence for, inside the region
    tf_map[:, 7] = -1.0  # evidence against, outside
    times = SPEC.framing.frame_times(10, RATE)
    region = Region(start=times[2] - 1e-4, end=times[3] - 1e-4)
    scores = agreement(tf_map, SPEC, 0.0, [region])
    assert scores["mass-positive"] == pytest.approx(1.0)
    assert scores["mass-signed"] == pytest.approx(2.0)  # 2 inside / (2 - 1) overall
    assert scores["chance"] == pytest.approx(0.1)


def test_clip_evaluation_and_aggregate_merge_round_trip(toy_waveform, toy_spectrogram, noise_clip):
    subjects = {"waveform": toy_waveform, "spectrogram": toy_spectrogram}
    settings = Settings(attributions=("EpsilonPlus", "GradientXInput"), steps=4, random_seeds=2,
                        corruptions=("gain", "telephone"))  # fmt: skip
    results = []
    for index in range(3):
        samples = np.roll(noise_clip + _template(), 500 * index)
        results.append(evaluate_clip(subjects, Clip(f"clip{index}", {k: samples for k in subjects}, 0), settings))
    measures = {m for _, m, _ in results[0].rows}
    assert "faithfulness/common/EpsilonPlus/aopc-morf" in measures and "faithfulness/time/energy/aopc-lerf" in measures
    assert "robustness/gain -20 dB/probability" in measures and "similarity/rank-correlation" in measures
    assert results[0].curves[("waveform", "time", "random", "morf")].shape == (5,)
    together, first, rest = Aggregate(), Aggregate(), Aggregate()
    for index, result in enumerate(results):
        together.add(result, ["yes", "no"], {})
        (first if index == 0 else rest).add(result, ["yes", "no"], {})
    first.merge(Aggregate.from_json(rest.to_json()))
    for name in ("scalars", "curves", "profiles"):
        merged, direct = getattr(first, name), getattr(together, name)
        assert merged.keys() == direct.keys()
        for key, moments in merged.items():
            np.testing.assert_allclose(moments.mean, direct[key].mean, rtol=1e-12, atol=1e-12)
            np.testing.assert_array_equal(moments.count, direct[key].count)
    assert together.mean("waveform", "robustness/clean/correct") == np.mean(
        [r.value("waveform", "robustness/clean/correct") for r in results]
    )


def test_settings_name_unknown_choices():
    with pytest.raises(ValueError, match="unknown attribution.*Nope"):
        Settings(attributions=("Nope",))
    with pytest.raises(ValueError, match="unknown corruption"):
        Settings(corruptions=("hail",))


def test_removing_the_top_patches_of_a_one_band_model_removes_its_evidence(toy_waveform, toy_spectrogram, noise_clip):
    from audioxai_gui.evaluate.listen import TopRemoval

    subjects = {"waveform": toy_waveform, "spectrogram": toy_spectrogram}
    removal = TopRemoval(subjects, {k: noise_clip for k in subjects}, "spectrogram", target=0)
    nothing, some = removal.at(0.0), removal.at(0.25)
    np.testing.assert_allclose(nothing.without, toy_spectrogram.window(noise_clip), atol=1e-4)
    assert not nothing.only.any()
    band = np.fft.rfftfreq(LENGTH, 1 / RATE)
    inside = (band > BAND[0] + 100) & (band < BAND[1] - 100)
    spectrum = np.abs(np.fft.rfft(some.without)) ** 2
    assert spectrum[inside].sum() < 0.01 * (np.abs(np.fft.rfft(noise_clip)) ** 2)[inside].sum()
    assert some.probabilities["spectrogram"][0] < nothing.probabilities["spectrogram"][0]
    with pytest.raises(ValueError, match="between 0 and 1"):
        removal.at(1.5)


def test_a_long_clip_is_measured_in_its_loudest_window(toy_waveform):
    clip = np.zeros(3 * LENGTH, dtype=np.float32)
    clip[LENGTH + 2000 : LENGTH + 3000] = 0.5
    offset = toy_waveform.offset(clip)
    assert -offset <= LENGTH + 2000 and -offset + LENGTH >= LENGTH + 3000
    window = toy_waveform.window(clip)
    assert np.count_nonzero(window) == 1000
    loud_start = np.zeros(3 * LENGTH, dtype=np.float32)
    loud_start[:500] = 0.5  # the loudest window starts at the clip's first sample
    assert toy_waveform.offset(loud_start) == 0 and np.count_nonzero(toy_waveform.window(loud_start)) == 500


def test_curves_computed_once_per_distinct_input_equal_one_forward_per_step(toy_waveform, toy_spectrogram):
    """Steps that differ only in inert regions (the zero padding around the evidence) share one forward pass;
    every curve must equal the one from a forward pass per step."""
    window = _template()
    rng = np.random.default_rng(3)
    for subject, domain in ((toy_waveform, "time"), (toy_spectrogram, "input"), (toy_waveform, "common")):
        grid = region_grid(domain, subject, window, RegionSettings(), common_spec(toy_spectrogram), 0)
        assert 0 < grid.inert.sum() < grid.n_regions
        orders = [rng.permutation(grid.n_regions) for _ in range(3)]
        curves = perturbation_curves(grid, orders, target=0, steps=5)
        for row, order in enumerate(orders):
            one_by_one = [toy_logit(subject, grid, mask) for mask in removal_masks(order, 5)]
            np.testing.assert_allclose(curves.logit[row], one_by_one, rtol=1e-5, atol=1e-6)


def toy_logit(subject, grid, mask) -> float:
    return float(subject.logits(grid.inputs_without(mask[None]))[0, 0])


def test_integrated_gradients_match_zennits_on_a_nonlinear_model(toy_spectrogram, noise_clip):
    from audioxai_gui.explain.zennit_import import import_zennit

    inputs = toy_spectrogram.inputs(toy_spectrogram.window(noise_clip)[None])
    torch.manual_seed(0)
    module = nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1), nn.Tanh(), nn.Flatten(), nn.Linear(2 * inputs[0, 0].numel(), 2)
    ).eval()
    subject = Subject(LoadedModel(_card("spectrogram"), module, torch.device("cpu")))
    ours = attribute("IntegratedGradients", subject, inputs, 0, (8, 8))
    silence = subject.silence_value()
    reference = import_zennit().attribution.IntegratedGradients(
        module, baseline_fn=lambda x: torch.full_like(x, silence), n_iter=16
    )
    with reference:
        _, expected = reference(inputs.clone().requires_grad_(True), torch.eye(2)[[0]])  # d logit 0, unweighted
    assert np.abs(ours).max() > 0
    np.testing.assert_allclose(ours, expected[0, 0].detach().numpy(), rtol=1e-3, atol=1e-6)


def test_robustness_verdict_names_the_more_accurate_model_and_who_loses_more_of_its_clean_accuracy():
    from audioxai_gui.evaluate.aggregate import Moments
    from audioxai_gui.evaluate.report import ReportContext, verdicts

    aggregate = Aggregate()
    accuracy = {  # spectrogram: better under corruption, but from a higher clean accuracy it loses more
        "waveform": {"clean": 0.75, "gain -40 dB": 0.65, "telephone": 0.70},
        "spectrogram": {"clean": 0.90, "gain -40 dB": 0.80, "telephone": 0.60},
    }
    for kind, levels in accuracy.items():
        for label, value in levels.items():
            aggregate.scalars[(kind, f"robustness/{label}/correct")] = Moments.of(value)
    context = ReportContext("toy", {"waveform": "w", "spectrogram": "s"}, ["a"], ["EpsilonPlus"], {}, 8000, 10)
    line = verdicts(aggregate, context)["more robust"]
    assert line.startswith("the spectrogram model (s): mean accuracy over 2 corruptions 67.5% (waveform) vs 70.0%")
    assert "though it loses more of its clean accuracy (20.0 vs 7.5 points)" in line
    assert "largest gap under gain -40 dB: 65.0% vs 80.0%" in line


@pytest.mark.parametrize("seconds", [0.2, -0.2, 0.1])
def test_time_shift_of_a_clip_shorter_than_the_shift_is_silence_of_its_length(seconds):
    clip = np.ones(1450, dtype=np.float32)  # 0.18 s at 8 kHz (FSDD has such clips)
    shifted = CORRUPTIONS["time-shift"].apply(clip, RATE, seconds, np.random.default_rng(0))
    assert shifted.shape == clip.shape
    assert shifted.sum() == (0 if abs(seconds) * RATE >= clip.size else clip.size - abs(seconds) * RATE)


def test_pitch_shifting_a_clip_shorter_than_the_vocoder_frame_is_quiet_and_keeps_its_length():
    """A 0.2 s digit at 8 kHz is shorter than librosa's 2048-sample frame: compare printed a warning per clip."""
    import warnings

    tone = np.sin(2 * np.pi * 440 * np.arange(1600) / 8000).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        shifted = CORRUPTIONS["pitch"].apply(tone, 8000, 2, np.random.default_rng(0))
    assert shifted.shape == tone.shape and shifted.dtype == np.float32 and np.abs(shifted).max() > 0.1
