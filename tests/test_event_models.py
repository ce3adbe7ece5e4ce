"""The shipped ESC-10 event models: their cards, their credits, and real fold-5 clips they were never trained on."""

from __future__ import annotations

import json

import pytest

from audioxai_gui import cli
from audioxai_gui.classifiers import discover_tasks, find_cards
from audioxai_gui.classifiers.esc10 import DEFAULT_ESC10, read_manifest
from tests.conftest import REPO

# Fold-5 clips (held out from the shipped models' training) that both models name correctly.
FOLD5_CLIPS = {
    "001 - Dog bark/5-203128-A.ogg": "Dog bark",
    "004 - Baby cry/5-151085-A.ogg": "Baby cry",
}


@pytest.fixture(scope="module")
def events_task():
    cards, _ = find_cards([REPO / "models"])
    tasks, problems = discover_tasks(cards)
    assert problems == [] and "events" in tasks
    return tasks["events"]


def test_event_cards_state_cross_validation_held_out_accuracy_credit_and_licence(events_task):
    assert events_task.title and "ESC-10" in events_task.title
    assert len(events_task.classes) == 10 and events_task.classes[0] == "Dog bark"
    for kind in ("waveform", "spectrogram"):
        card = events_task.card(kind)
        assert card.accuracy["fold5_test"] >= 0.8 and card.accuracy["fold5_test_n"] == 80
        cv = card.accuracy["cross_validation"]
        assert sorted(cv["per_fold"]) == ["1", "2", "3", "4", "5"]
        assert cv["per_fold"]["5"] == card.accuracy["fold5_test"]  # the shipped model is the fold-5 run
        assert cv["mean"] == pytest.approx(sum(cv["per_fold"].values()) / 5, abs=1e-3) and cv["sd"] > 0
        assert cv["mean"] >= {"waveform": 0.8, "spectrogram": 0.85}[kind]  # the targets the models were built for
        confusion = cv["confusion"]
        assert confusion["rows_true_columns_predicted"] == card.classes and sum(map(sum, confusion["counts"])) == 398
        assert set(cv["per_class_recall"]) == set(card.classes)
        assert "ESC-10, K. J. Piczak, CC BY 3.0" in card.data["credit"] and "CC BY 3.0" in card.license
        assert "fold 5" in card.training["split"] and card.training["seed"] == 0
        assert card.sample_rate == 16000 and card.input_length == 16000


def test_per_clip_credits_ship_beside_the_weights(events_task):
    credits = (events_task.card("waveform").path.parent / "esc10-CREDITS.md").read_text()
    assert credits.count("| CC0 |") + credits.count("| CC-BY |") == 398
    assert "001 - Dog bark/1-100032-A.ogg | Dog bark | 1 | nfrae | CC0" in credits


@pytest.fixture
def esc10_dir():
    if not (DEFAULT_ESC10 / "manifest.csv").is_file():
        pytest.skip(f"ESC-10 not found at {DEFAULT_ESC10} (the project reads it from ../shared/data/esc10)")
    return DEFAULT_ESC10


def test_explain_task_events_names_the_class_of_held_out_clips(esc10_dir, capsys):
    licences = {row["file"]: row["licence"] for row in read_manifest(esc10_dir)}
    paths = [str(esc10_dir / name) for name in FOLD5_CLIPS]
    assert all(name.split("/")[1].startswith("5-") for name in FOLD5_CLIPS) and licences
    assert cli.main(["explain", "--task", "events", "--json", *paths]) == cli.EXIT_OK
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    for record, expected in zip(records, FOLD5_CLIPS.values(), strict=True):
        for kind in ("waveform", "spectrogram"):
            result = record["models"][kind]
            assert result["predicted"] == expected, (record["path"], kind, result["probabilities"])
            assert 0.3 < result["conservation"] < 1.05, (record["path"], kind, result["conservation"])
