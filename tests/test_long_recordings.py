"""Long recordings: windows explained in any order, visible first, resumable, cached; sound event segments."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from audioxai_gui.annotate.formats import read_regions
from audioxai_gui.audio.compose import compose_recording, fsdd_test_clips
from audioxai_gui.audio.digest import audio_hash
from audioxai_gui.explain.cache import ExplanationCache, entry_bytes
from audioxai_gui.explain.engine import ExplanationCancelled, ExplanationEngine, WindowBatch
from audioxai_gui.explain.segments import (
    Segment,
    SegmentRules,
    find_segments,
    segments_from_explanation,
    write_segments,
)
from audioxai_gui.explain.timeline import Timeline, explain_timeline

RATE = 8000


@pytest.fixture(scope="module")
def engine():
    return ExplanationEngine("cpu")


class CountingEngine:
    """Stands in for the engine: relevance = the window's samples, logits favour class (window index % 10);
    records every window it is asked to explain."""

    def __init__(self, batch_size: int = 16):
        self.batch_size = batch_size
        self.calls: list[np.ndarray] = []

    def explain_windows(self, model, windows, targets, composite, progress=None, cancelled=None):
        windows = windows.numpy()
        self.calls.append(windows[:, 0].copy())  # the first sample names the window (see _ramp)
        index = np.round(windows[:, 0] * 1000).astype(np.int64)
        logits = np.eye(10, dtype=np.float32)[index % 10] * 4
        chosen = logits.argmax(axis=1) if targets is None else targets
        return WindowBatch(windows.copy(), logits, chosen)

    @property
    def computed(self) -> int:
        return sum(len(call) for call in self.calls)


def _ramp(timeline: Timeline) -> np.ndarray:
    """Samples whose value at each window start is window index / 1000, so the fake can tell windows apart."""
    samples = np.zeros(timeline.plan.n_samples, dtype=np.float32)
    for index, start in enumerate(timeline.plan.starts):
        samples[start] = index / 1000
    return samples


def test_windows_explained_in_any_order_match_the_engine(engine, model_pair):
    wave, spec = model_pair
    rng = np.random.default_rng(0)
    samples = (0.1 * rng.standard_normal(RATE * 5)).astype(np.float32)
    for model in (wave, spec):
        whole = engine.explain(model, samples, grid=spec.card.features)
        timeline = Timeline.create(model.card, samples.size, whole.composite)
        views = iter([(3.0, 4.0), None, (0.0, 1.0)])
        explain_timeline(engine, model, samples, timeline, view=lambda views=views: next(views, None))
        got = timeline.explanation(samples, spec.card.features)
        np.testing.assert_allclose(got.relevance, whole.relevance, rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(got.tf_relevance, whole.tf_relevance, rtol=1e-3, atol=1e-6)
        np.testing.assert_array_equal(got.window_targets, whole.window_targets)
        np.testing.assert_allclose(got.window_probabilities, whole.window_probabilities, rtol=1e-4, atol=1e-6)
        assert got.conservation == pytest.approx(whole.conservation, rel=1e-3)


def test_a_timeline_and_the_engine_give_the_same_explanation_field_by_field(engine, model_pair):
    """One constructor builds both: every field of the engine's Explanation is in the timeline's, equal (arrays
    to float tolerance), so neither can silently drop one (padding share, device, silent share...)."""
    wave, spec = model_pair
    samples = (0.1 * np.random.default_rng(1).standard_normal(RATE * 3)).astype(np.float32)
    samples[: RATE // 2] = 0.0  # some silence: a non-zero silent share for the waveform model
    for model in (wave, spec):  # a Flat first layer puts relevance on the padding: a non-zero padding share
        whole = engine.explain(model, samples, composite="EpsilonPlusFlat", grid=spec.card.features)
        timeline = Timeline.create(model.card, samples.size, whole.composite)
        explain_timeline(engine, model, samples, timeline)
        got = timeline.explanation(samples, spec.card.features)
        for field in dataclasses.fields(whole):
            if field.name in ("seconds", "notes", "no_sound"):  # set per call by engine.explain around the result
                continue
            mine, theirs = getattr(got, field.name), getattr(whole, field.name)
            if isinstance(theirs, np.ndarray) or isinstance(theirs, float):
                np.testing.assert_allclose(mine, theirs, rtol=1e-3, atol=1e-6, err_msg=field.name)
            else:
                assert mine == theirs, field.name
        assert got.padding_share > 0 and got.device == whole.device


def _ten_minutes(card) -> tuple[Timeline, np.ndarray]:
    timeline = Timeline.create(card, RATE * 600, "EpsilonPlus")
    return timeline, _ramp(timeline)


def test_visible_windows_come_first_and_the_newest_view_wins(model_pair):
    wave, _ = model_pair
    timeline, samples = _ten_minutes(wave.card)
    fake = CountingEngine(batch_size=16)
    first_view = set(timeline.windows_in((300.0, 310.0)).tolist())
    second_view = set(timeline.windows_in((30.0, 40.0)).tolist())
    batches = -(-len(first_view) // fake.batch_size)
    views = iter([(300.0, 310.0)] * batches + [(30.0, 40.0)])
    explain_timeline(fake, wave, samples, timeline, view=lambda: next(views, (30.0, 40.0)))
    explained = [round(v * 1000) for call in fake.calls for v in call]
    assert set(explained[: len(first_view)]) == first_view
    assert [len(call) for call in fake.calls[: batches - 1]] == [fake.batch_size] * (batches - 1)
    last = len(first_view) - (batches - 1) * fake.batch_size
    assert len(fake.calls[batches - 1]) == last  # the view's rest alone: drawn without waiting
    after_move = {round(v * 1000) for v in fake.calls[batches]}
    assert after_move <= second_view  # the view moved: its windows came next, not the old view's neighbours
    assert sorted(explained) == list(range(timeline.n_windows))  # every window exactly once


def test_cancel_then_resume_computes_only_the_missing_windows(model_pair):
    wave, _ = model_pair
    timeline, samples = _ten_minutes(wave.card)
    fake = CountingEngine()
    batches = []

    def cancelled():
        return len(batches) >= 5

    with pytest.raises(ExplanationCancelled):
        explain_timeline(fake, wave, samples, timeline, cancelled=cancelled, on_batch=batches.append)
    assert timeline.done.sum() == 5 * fake.batch_size == fake.computed  # what was done stays
    explain_timeline(fake, wave, samples, timeline)
    assert timeline.done.all() and fake.computed == timeline.n_windows


def test_reopen_is_served_from_the_cache_without_a_model_call(model_pair, tmp_path):
    wave, spec = model_pair
    cache = ExplanationCache(tmp_path)
    timeline, samples = _ten_minutes(spec.card)
    key = cache.key(audio_hash(samples), timeline)
    explain_timeline(CountingEngine(), spec, samples, timeline)
    cache.save(key, timeline)
    reopened, _ = _ten_minutes(spec.card)
    assert cache.key(audio_hash(samples), reopened) == key
    assert cache.load(key, reopened)
    fake = CountingEngine()
    explain_timeline(fake, spec, samples, reopened)
    assert fake.computed == 0
    np.testing.assert_array_equal(reopened.explanation(samples).relevance, timeline.explanation(samples).relevance)
    other_rules = Timeline.create(spec.card, samples.size, "EpsilonAlpha2Beta1")
    assert cache.key(audio_hash(samples), other_rules) != key  # composite is part of the key
    assert cache.key(audio_hash(samples[::-1].copy()), reopened) != key  # so is the audio


def test_a_partial_cache_entry_resumes_and_a_damaged_one_is_a_miss(model_pair, tmp_path):
    wave, _ = model_pair
    cache = ExplanationCache(tmp_path)
    timeline, samples = _ten_minutes(wave.card)
    key = cache.key(audio_hash(samples), timeline)
    with pytest.raises(ExplanationCancelled):
        explain_timeline(CountingEngine(), wave, samples, timeline, cancelled=lambda: timeline.done.sum() >= 32)
    cache.save(key, timeline)
    resumed, _ = _ten_minutes(wave.card)
    assert cache.load(key, resumed) and resumed.done.sum() == 32
    fake = CountingEngine()
    explain_timeline(fake, wave, samples, resumed)
    assert fake.computed == resumed.n_windows - 32
    (cache.path(key) / "total.npy").write_bytes(b"not an array")
    assert not cache.load(key, Timeline.create(wave.card, samples.size, "EpsilonPlus"))


def test_the_cache_keeps_to_its_size_limit_and_evicts_the_entry_used_longest_ago(model_pair, tmp_path):
    import os

    wave, _ = model_pair
    timeline, samples = _ten_minutes(wave.card)
    with pytest.raises(ExplanationCancelled):
        explain_timeline(CountingEngine(), wave, samples, timeline, cancelled=lambda: timeline.done.sum() >= 32)
    size = entry_bytes(ExplanationCache(tmp_path).save("first", timeline))
    cache = ExplanationCache(tmp_path, limit_bytes=int(2.5 * size))  # room for two entries
    cache.save("second", timeline)
    for age, key in enumerate(("first", "second")):  # "first" written longest ago
        os.utime(cache.path(key), ns=(10**18 + age, 10**18 + age))
    assert cache.load("first", Timeline.create(wave.card, samples.size, "EpsilonPlus"))  # ...but used just now
    cache.save("third", timeline)
    assert sorted(p.stem for p in tmp_path.glob("*.timeline")) == ["first", "third"]
    legacy, foreign = tmp_path / ("0" * 32 + ".npz"), tmp_path / "notes.txt"  # an old-format entry; not ours
    legacy.write_bytes(b"zip"), foreign.write_text("mine")
    tiny = ExplanationCache(tmp_path, limit_bytes=1)
    tiny.save("fourth", timeline)  # an entry larger than the limit still stays: it was just made
    assert [p.stem for p in tmp_path.glob("*.timeline")] == ["fourth"]
    assert not legacy.exists() and foreign.read_text() == "mine"


def test_one_class_timeline_needs_its_class(model_pair):
    with pytest.raises(ValueError, match="name the class"):
        Timeline.create(model_pair[0].card, RATE * 10, "EpsilonPlus", target_mode="one_class")


# --- sound event segments ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def thirty_seconds(fsdd_dir):
    """10 official-test FSDD clips (digits 0-9) with 2 s of silence between, 30 s in all."""
    return compose_recording(fsdd_test_clips(fsdd_dir, 10, "theo"), RATE, gap_s=2.0, lead_s=1.0, length_s=30.0)


def _found(segments: list[Segment], recording) -> int:
    return sum(
        any(s.label == label and abs(s.onset - onset) <= 0.25 for s in segments)
        for onset, label in zip(recording.onsets, recording.labels, strict=True)
    )


@pytest.mark.parametrize("role", ["waveform", "spectrogram"])
def test_segments_name_the_digits_of_a_thirty_second_recording(engine, shipped_pair, thirty_seconds, role):
    model = shipped_pair[0 if role == "waveform" else 1]
    explanation = engine.explain(model, thirty_seconds.samples)
    segments = segments_from_explanation(explanation, thirty_seconds.samples, model.card.input_length)
    assert _found(segments, thirty_seconds) >= 8
    assert len(segments) <= 12  # not a segment per window


def test_segment_exports_round_trip(tmp_path):
    segments = [Segment(1.0, 1.42, "3", 0.91), Segment(3.5, 3.875, "dog bark", 0.6)]
    for fmt, name in (
        ("dcase", "rec.wav.waveform.events.tsv"),
        ("audacity", "labels.txt"),
        ("raven", "t.selections.txt"),
    ):
        write_segments(tmp_path / name, segments, "waveform", RATE, fmt)
        regions = read_regions(tmp_path / name).regions
        assert [(r.start, r.end, r.label) for r in regions] == [
            (pytest.approx(s.onset), pytest.approx(s.offset), s.label) for s in segments
        ]
    regions = [s.to_region("spectrogram") for s in segments]
    assert regions[0].label == "3" and "91%" in regions[0].note


def test_silence_and_unsure_windows_make_no_segment():
    samples = np.zeros(RATE * 4, dtype=np.float32)
    samples[RATE : RATE + 3000] = 0.5 * np.sin(np.arange(3000) * 0.3)
    starts = np.arange(7) * 4000
    probabilities = np.full((7, 2), 0.5, dtype=np.float32)
    probabilities[1:3] = [0.9, 0.1]  # the two windows holding the tone say "a"
    probabilities[5] = [0.05, 0.95]  # a confident window over silence says "b"
    segments = find_segments(probabilities, starts, RATE, samples, RATE, ["a", "b"], SegmentRules(0.6, -30))
    assert [s.label for s in segments] == ["a"]  # the tone ends at 1.375 s; the envelope has 10 ms frames
    assert (segments[0].onset, segments[0].offset) == (pytest.approx(1.0, abs=0.01), pytest.approx(1.375, abs=0.01))
    with pytest.raises(ValueError, match="outside 0..1"):
        find_segments(probabilities, starts, RATE, samples, RATE, ["a", "b"], SegmentRules(1.5))


def test_cli_segments_write_one_dcase_list_per_model(thirty_seconds, tmp_path, capsys):
    from audioxai_gui.audio import save_wav
    from audioxai_gui.cli import EXIT_USAGE, main

    audio = tmp_path / "digits.wav"
    save_wav(audio, thirty_seconds.samples, RATE)
    out = tmp_path / "events"
    assert main(["explain", str(audio), "--segments", "--out", str(out), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    for role in ("waveform", "spectrogram"):
        assert record["models"][role]["target_mode"] == "each_window"
        path = out / f"digits.wav.{role}.events.tsv"
        assert path.read_text().startswith("onset\toffset\tevent_label\n")
        segments = [Segment(r.start, r.end, r.label, 1.0) for r in read_regions(path).regions]
        assert _found(segments, thirty_seconds) >= 8
    assert main(["explain", str(audio), "--segments"]) == EXIT_USAGE
    assert "--out" in capsys.readouterr().err


def test_a_partial_result_computed_on_its_span_equals_the_whole_computation(engine, model_pair):
    """Publishing what is done costs what the done stretch costs (the view first on an hour): relevance and maps
    computed on ``done_span()`` alone equal those computed over the whole recording, zero outside it."""
    wave, spec = model_pair
    rng = np.random.default_rng(4)
    samples = (0.1 * rng.standard_normal(RATE * 12)).astype(np.float32)
    samples[RATE * 5 : RATE * 6] = 0.0  # silence inside the span: the stabiliser must keep the clip's level
    for model in (wave, spec):
        timeline = Timeline.create(model.card, samples.size, "EpsilonPlusFlat")
        batches = []
        with pytest.raises(ExplanationCancelled):
            explain_timeline(
                engine, model, samples, timeline, lambda: (4.0, 7.0), lambda b=batches: len(b) >= 1, batches.append
            )
        span = timeline.done_span()
        assert 0 < span[0] and span[1] < samples.size  # a stretch inside the recording
        whole = timeline.explanation(samples, spec.card.features)
        part = timeline.explanation(samples, spec.card.features, span)
        np.testing.assert_allclose(part.relevance, whole.relevance, rtol=1e-5, atol=1e-9)
        np.testing.assert_allclose(part.tf_relevance, whole.tf_relevance, rtol=1e-4, atol=1e-9)
        np.testing.assert_allclose(part.tf_silent, whole.tf_silent, rtol=1e-4, atol=1e-9)
        assert not part.relevance[..., : span[0] // 64 - 2].any()
        for explanation in (part, whole):  # the sum is taken once, when assembled, and is the relevance's
            assert explanation.total_relevance == pytest.approx(float(explanation.relevance.sum(dtype=np.float64)))


def test_a_complete_waveform_timeline_caches_its_projected_map(model_pair, tmp_path, monkeypatch):
    """Projecting an hour takes seconds: a reopened complete recording takes the saved map instead."""
    from audioxai_gui.explain import timeline as timeline_module

    wave, spec = model_pair
    cache = ExplanationCache(tmp_path)
    samples = (0.1 * np.random.default_rng(5).standard_normal(RATE * 20)).astype(np.float32)
    timeline = Timeline.create(wave.card, samples.size, "EpsilonPlus")
    explain_timeline(CountingEngine(), wave, samples, timeline)
    first = timeline.explanation(samples, spec.card.features)
    key = cache.key(audio_hash(samples), timeline)
    cache.save(key, timeline)
    reopened = Timeline.create(wave.card, samples.size, "EpsilonPlus")
    assert cache.load(key, reopened)

    def no_projection(*args, **kwargs):
        raise AssertionError("the cached map should have been used")

    monkeypatch.setattr(timeline_module, "time_frequency_maps", no_projection)
    again = reopened.explanation(samples, spec.card.features)
    np.testing.assert_array_equal(again.tf_relevance, first.tf_relevance)
    np.testing.assert_array_equal(again.tf_silent, first.tf_silent)
    assert again.silent_share == first.silent_share
    with pytest.raises(AssertionError, match="cached map"):  # another grid: projected again
        reopened.explanation(samples, dataclasses.replace(spec.card.features, kind="mel_db"))


def test_the_drawn_span_is_the_unbroken_run_of_explained_windows_around_the_view(model_pair):
    wave, _ = model_pair
    timeline, _ = _ten_minutes(wave.card)
    timeline.done[:10] = True  # the first batch, explained before the user moved to 5:00
    around = timeline.windows_in((300.0, 310.0))
    timeline.done[around.min() - 3 : around.max() + 5] = True
    first, stop = timeline.done_span((300.0, 310.0))
    starts = timeline.plan.starts
    assert first == starts[around.min() - 3] and stop == starts[around.max() + 4] + timeline.plan.window
    assert timeline.done_span(None) == (0, stop)  # no view: everything explained
    assert timeline.done_span((500.0, 510.0)) == (0, stop)  # nothing in view done yet: everything explained


def test_overlap_suppression_compares_only_near_segments_and_decides_as_comparing_all():
    """An hour has thousands of candidate events: suppression looks only at kept events near in time, and keeps
    exactly what comparing with every kept event keeps."""
    from audioxai_gui.explain import segments as module

    def brute_force(candidates):
        kept = []
        for segment in sorted(candidates, key=lambda s: -s.confidence * (s.offset - s.onset)):
            length = max(segment.offset - segment.onset, 1e-9)
            overlap = max(
                (min(segment.offset, k.offset) - max(segment.onset, k.onset) for k in kept if k.label != segment.label),
                default=0.0,
            )
            if overlap / length <= module.MAX_OVERLAP:
                kept.append(segment)
        return module._merge_touching(sorted(kept, key=lambda s: s.onset))

    rng = np.random.default_rng(7)
    for _ in range(20):
        onsets = rng.uniform(0, 60, 80)
        candidates = [
            Segment(float(on), float(on + rng.uniform(0.1, 5.0)), str(rng.integers(3)), float(rng.uniform(0.3, 1)))
            for on in onsets
        ]
        assert module._suppress_overlaps(candidates) == brute_force(candidates)


def test_the_overlap_divisor_counts_the_done_windows_over_each_element(model_pair):
    """Overlapping windows' relevance is averaged: each element is divided by how many explained windows cover
    it (at least 1), on the waveform's samples and the spectrogram's frames, for any stretch of the timeline."""
    rng = np.random.default_rng(9)
    for model in model_pair:
        timeline = Timeline.create(model.card, RATE * 20 + 123, "EpsilonPlusFlat")
        timeline.done[:] = rng.random(timeline.n_windows) < 0.6
        length = timeline.total.shape[-1]
        starts, width = timeline.plan.starts[timeline.done], timeline.plan.window
        if model.card.input_kind != "waveform":
            hop = model.card.features.framing.hop_length
            starts, width = starts // hop, model.card.features.framing.n_frames(width)
        brute = np.zeros(length)
        for start in starts:
            brute[start : start + width] += 1
        for first, stop in ((0, length), (length // 3, length // 2), (5, 6)):
            divisor = timeline._divisor(first, stop)
            assert divisor.dtype == np.float32
            np.testing.assert_array_equal(divisor, np.maximum(brute[first:stop], 1))


def test_explanations_running_at_once_share_the_cores_and_one_alone_takes_them_all():
    """torch's thread count is per thread: two models explained at once get half the cores each (measured
    on 2 cores: oversubscribed 83 windows/s together, shared 95-105); the one left takes them all back."""
    import threading

    import torch

    from audioxai_gui.explain.cpu_share import CpuShare

    share = CpuShare(cores=4)
    both_in, first_left, seen = threading.Barrier(2), threading.Event(), {}

    def first():
        with share.taking_part():
            both_in.wait()
            share.fit()  # between two batches
            seen["first, both running"] = torch.get_num_threads()
        first_left.set()

    def second():
        with share.taking_part():
            both_in.wait()
            first_left.wait()
            seen["second, alone"] = share.fit()
            seen["second, its torch threads"] = torch.get_num_threads()
        seen["second, after"] = torch.get_num_threads()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    [thread.start() for thread in threads]
    [thread.join(10) for thread in threads]
    assert seen == {
        "first, both running": 2,
        "second, alone": 4,
        "second, its torch threads": 4,
        "second, after": 4,
    }
