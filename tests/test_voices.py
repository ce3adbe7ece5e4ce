"""Synthetic digit voices: deterministic, cached, trimmed, and never part of the official test split."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from audioxai_gui.audio.io import load_audio
from audioxai_gui.classifiers import voices
from audioxai_gui.classifiers.voices import Voice, default_voices, synthetic_recordings, trim, voice_clips


def test_voice_list_is_fixed_and_names_are_unique():
    listed = default_voices()
    assert listed == default_voices()
    assert len({v.name for v in listed}) == len(listed)
    assert {v.engine for v in listed} == set(voices.ENGINES)


def test_held_out_voices_are_never_training_voices():
    held_out = voices.held_out_voices()
    training = default_voices()
    assert len(held_out) == 12 and len({v.name for v in held_out}) == 12
    assert not {v.name for v in held_out} & {v.name for v in training}
    assert not {v.voice.split("+")[0] for v in held_out} & {v.voice.split("+")[0] for v in training}, "accent"
    assert not {(v.pitch, v.speed) for v in held_out} & {(v.pitch, v.speed) for v in training}, "prosody"


def test_trim_cuts_silence_around_the_word():
    rate = 8000
    word = np.sin(2 * np.pi * 200 * np.arange(2000) / rate).astype(np.float32)
    clip = np.concatenate([np.zeros(3000, np.float32), word, np.zeros(5000, np.float32)])
    trimmed = trim(clip, rate)
    assert 2000 <= len(trimmed) <= 2000 + 2 * int(0.02 * rate) + 2 * rate // 100


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (training-only set-up)")
def test_synthesis_is_deterministic_and_cached(tmp_path, monkeypatch):
    voice = Voice("espeak-ng", "en-us+f3", pitch=60, speed=150)
    first = [p.read_bytes() for p in voice_clips(voice, 8000, tmp_path / "a" / "audioxai")]
    second = [p.read_bytes() for p in voice_clips(voice, 8000, tmp_path / "b")]
    assert first == second, "the same voice must give byte-identical clips"
    for digit, path in enumerate(voice_clips(voice, 8000, tmp_path / "a" / "audioxai")):
        audio = load_audio(path)
        assert audio.sample_rate == 8000 and 0.1 < audio.duration < 1.0, (digit, audio.duration)
        assert np.abs(audio.samples).max() == pytest.approx(0.5, abs=0.01)

    def no_synthesis(*args):
        raise AssertionError("cached clips must not be synthesised again")

    monkeypatch.setitem(voices.ENGINES, "espeak-ng", no_synthesis)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "a"))
    recordings = synthetic_recordings([voice], log=lambda *a: None)
    assert [r.digit for r in recordings] == list(range(10))
    assert not any(r.is_official_test for r in recordings), "synthetic clips are training data only"


def test_missing_synthesiser_is_named(monkeypatch):
    monkeypatch.setattr(voices.shutil, "which", lambda name: None)
    with pytest.raises(voices.SynthesiserMissingError, match="flite.*not installed.*apt-get install"):
        synthetic_recordings([Voice("flite", "slt")])


def test_fine_tuning_starts_from_the_named_model_and_says_so(random_pair):
    import torch

    from audioxai_gui.classifiers.digits import _initial_weights

    model = random_pair[0]
    state, origin = _initial_weights(model.card.path)
    expected = model.module.state_dict()
    assert state.keys() == expected.keys()
    assert all(torch.equal(state[k].cpu(), expected[k].cpu()) for k in state)
    assert origin["weights_sha256"] == model.card.sha256
