"""Model cards, safe loading, the registry, and the shipped models on real FSDD recordings."""

from __future__ import annotations

import json
import pickle
import shutil

import numpy as np
import pytest
import torch

from audioxai_gui.classifiers import ModelCard, ModelLoadError, find_cards, load_model, pick_card
from audioxai_gui.classifiers.architectures import ARCHITECTURES
from audioxai_gui.classifiers.inputs import model_input
from tests.conftest import REPO


@pytest.fixture
def model_dir(tmp_path, random_pair):
    for model in random_pair:
        shutil.copy(model.card.path, tmp_path)
        shutil.copy(model.card.weights_path, tmp_path)
    return tmp_path


def _card_path(folder, kind="waveform"):
    return folder / f"random-{kind}.card.json"


def test_card_round_trip_and_registry(model_dir):
    cards, problems = find_cards([model_dir])
    assert problems == [] and sorted(c.input_kind for c in cards) == ["spectrogram", "waveform"]
    card = ModelCard.load(_card_path(model_dir))
    again = ModelCard.load(_card_path(model_dir))
    assert card.to_dict() == again.to_dict()
    assert pick_card(cards, "spectrogram").input_kind == "spectrogram"
    with pytest.raises(ModelLoadError, match="no model 'missing'"):
        pick_card(cards, "waveform", "missing")


def test_all_architectures_are_registered_and_lrp_friendly():
    assert {"audionet1d", "alexnet2d"} <= set(ARCHITECTURES)
    for cls in ARCHITECTURES.values():
        module = cls()
        names = [type(m).__name__ for m in module.modules()]
        assert "Softmax" not in names
        layers = [m for m in module.modules() if not list(m.children())]
        for before, layer in zip(layers, layers[1:], strict=False):
            if isinstance(layer, torch.nn.modules.batchnorm._BatchNorm):
                assert isinstance(before, torch.nn.modules.conv._ConvNd), "BatchNorm must follow a convolution"


def test_weights_stay_small():
    for path in (REPO / "models").glob("*.pt"):
        assert path.stat().st_size <= 5 * 1024 * 1024, path


def test_corrupt_weights_name_the_file(model_dir):
    card = ModelCard.load(_card_path(model_dir))
    card.weights_path.write_bytes(b"\x00garbage" * 10)
    card.sha256 = ""
    with pytest.raises(ModelLoadError, match=r"random-waveform\.pt is corrupt"):
        load_model(card)


def test_checksum_mismatch_is_refused(model_dir):
    card = ModelCard.load(_card_path(model_dir))
    with open(card.weights_path, "ab") as f:
        f.write(b"tamper")
    with pytest.raises(ModelLoadError, match="does not match the card's sha256"):
        load_model(card)


def test_wrong_shapes_are_reported(model_dir):
    card = ModelCard.load(_card_path(model_dir))
    card.architecture_params = {"channels": [8, 8, 8, 8, 8, 8]}
    card.sha256 = ""
    with pytest.raises(ModelLoadError, match="do not fit the card's architecture"):
        load_model(card)


def test_loading_never_executes_code_from_the_file(model_dir, tmp_path):
    marker = tmp_path / "executed"

    class Exploit:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    card = ModelCard.load(_card_path(model_dir))
    card.weights_path.write_bytes(pickle.dumps({"x": Exploit()}))
    card.sha256 = ""
    with pytest.raises(ModelLoadError, match="corrupt or unsafe"):
        load_model(card)
    assert not marker.exists()


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.pop("classes"), "classes: missing"),
        (lambda d: d.update(input_kind="video"), "input_kind: 'video' is not one of waveform, spectrogram"),
        (lambda d: d.update(schema=99), "newer than"),
        (lambda d: d.update(architecture="resnet9000"), "cannot build architecture"),
    ],
)
def test_bad_cards_name_the_card(model_dir, change, message):
    path = _card_path(model_dir)
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    with pytest.raises(ModelLoadError, match=message) as info:
        load_model(path)
    assert "random-waveform" in str(info.value)


def test_unreadable_card_is_listed_as_a_problem(model_dir):
    (model_dir / "broken.card.json").write_text("{not json")
    cards, problems = find_cards([model_dir])
    assert len(cards) == 2 and "broken.card.json" in problems[0]


def test_level_normalisation_makes_the_input_gain_invariant(random_pair):
    card = random_pair[1].card
    window = torch.from_numpy(np.random.default_rng(0).standard_normal((1, 8000)).astype(np.float32) * 0.3)
    loud, quiet = model_input(card, window), model_input(card, window * 0.1)  # 20 dB apart
    torch.testing.assert_close(loud, quiet, atol=1e-4, rtol=1e-4)
    faint = model_input(card.__class__(**{**card.__dict__, "input_kind": "waveform"}), window * 1e-4)
    assert float(faint.abs().max()) < 0.5 * 10 ** (-1 / 20)  # gain capped at 30 dB: near-silence stays quiet
    silent = model_input(card, torch.zeros(1, 8000))
    assert float(silent.abs().max()) == 0.0


def test_shipped_cards_report_accuracy_and_credit():
    cards, problems = find_cards([REPO / "models"])
    assert problems == []
    assert {c.input_kind for c in cards} == {"waveform", "spectrogram"}
    for card in [c for c in cards if c.task == "digits"]:
        assert card.accuracy["official_test"] >= 0.9
        assert "FSDD" in card.data["credit"] and card.data["license"] == "CC BY-SA 4.0"
        assert card.sha256 and card.classes == [str(d) for d in range(10)]


def test_shipped_models_recognise_real_fsdd_test_clips(shipped_pair, fsdd_dir):
    """A clip per digit from the official test split (takes 0-4), at its recorded level."""
    from audioxai_gui.audio.io import load_audio
    from audioxai_gui.explain.engine import ExplanationEngine

    engine = ExplanationEngine("cpu")
    correct = {"waveform": 0, "spectrogram": 0}
    for digit in range(10):
        clip = load_audio(fsdd_dir / "recordings" / f"{digit}_theo_{digit % 5}.wav", 8000).samples
        for model in shipped_pair:
            correct[model.card.input_kind] += engine.explain(model, clip).predicted == digit
    assert correct["waveform"] >= 9 and correct["spectrogram"] >= 9, correct
