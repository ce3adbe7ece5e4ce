"""Tasks: cards sharing a task id form one waveform + spectrogram pair; broken or odd pairs are reported."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from audioxai_gui.classifiers import (
    ModelCard,
    ModelLoadError,
    UnknownTaskError,
    default_task,
    discover_tasks,
    find_cards,
    get_task,
)
from tests.conftest import REPO


def _card(name, kind, task="toy", classes=("a", "b"), title="") -> ModelCard:
    return ModelCard(name, kind, "fake", list(classes), 8000, 8000, f"{name}.pt", task=task, task_title=title,
                     path=Path(f"/models/{name}.card.json"))  # fmt: skip


def test_shipped_cards_form_the_default_digit_task():
    cards, _ = find_cards([REPO / "models"])
    tasks, problems = discover_tasks(cards)
    assert problems == []
    digits = default_task(tasks)
    assert digits.id == "digits" and digits.title.startswith("Spoken digit")
    assert digits.card("waveform").name == "fsdd-audionet" and digits.card("spectrogram").name == "fsdd-alexnet"
    assert digits.classes == [str(d) for d in range(10)]


def test_cards_are_grouped_by_task_id_in_the_order_found():
    cards = [
        _card("t-wave", "waveform", title="Toy"),
        _card("e-spec", "spectrogram", "events", ("dog", "rain")),
        _card("t-spec", "spectrogram"),
        _card("e-wave", "waveform", "events", ("dog", "rain")),
    ]
    tasks, problems = discover_tasks(cards)
    assert problems == [] and list(tasks) == ["toy", "events"]
    assert tasks["events"].card("waveform").name == "e-wave" and tasks["events"].classes == ["dog", "rain"]
    assert tasks["toy"].title == "Toy"
    assert default_task(tasks).id == "toy"  # no digit task: the first one found
    assert get_task(tasks, "events") is tasks["events"] and get_task(tasks, None) is tasks["toy"]


def test_unknown_task_lists_the_known_ones():
    tasks, _ = discover_tasks([_card("t-wave", "waveform", title="Toy task"), _card("t-spec", "spectrogram")])
    with pytest.raises(
        UnknownTaskError, match=r"unknown task 'events'; known tasks: toy: Toy task \(t-wave \+ t-spec\)"
    ):
        get_task(tasks, "events")
    with pytest.raises(UnknownTaskError, match="no task found"):
        default_task({})


def test_incomplete_mismatched_and_untasked_cards_are_reported_and_left_out():
    cards = [
        _card("lonely", "waveform", "half"),
        _card("t-wave", "waveform"),
        _card("t-spec", "spectrogram"),
        _card("t-spec-3", "spectrogram", classes=("a", "b", "c")),
        _card("anon", "waveform", task=""),
    ]
    tasks, problems = discover_tasks(cards)
    assert list(tasks) == ["toy"] and [c.name for c in tasks["toy"].cards["spectrogram"]] == ["t-spec"]
    text = "\n".join(problems)
    assert "task 'half' has no spectrogram model (its cards: lonely (waveform)); left out" in text
    assert "t-spec-3.card.json: task 'toy' classes ['a', 'b', 'c'] differ from t-wave's ['a', 'b']" in text
    assert "anon.card.json: names no task" in text


def test_two_models_of_a_kind_are_reported_and_both_selectable():
    cards = [_card("t-wave", "waveform"), _card("t-wave-2", "waveform"), _card("t-spec", "spectrogram")]
    tasks, problems = discover_tasks(cards)
    assert problems == ["task 'toy' has 2 waveform models (t-wave, t-wave-2): t-wave is used unless another is chosen"]
    toy = tasks["toy"]
    assert toy.card("waveform").name == "t-wave" and toy.card("waveform", "t-wave-2").name == "t-wave-2"
    with pytest.raises(ModelLoadError, match="task 'toy' has no spectrogram model 'x' .*t-spec"):
        toy.card("spectrogram", "x")


def test_a_sentence_as_task_id_names_the_card_and_the_fix(tmp_path):
    card = _card("old", "waveform")
    card.save(tmp_path / "old.card.json")
    data = json.loads((tmp_path / "old.card.json").read_text())
    data["task"] = "Spoken digit recognition (0-9), English"
    (tmp_path / "old.card.json").write_text(json.dumps(data))
    cards, problems = find_cards([tmp_path])
    assert cards == [] and "old.card.json: task: 'Spoken digit" in problems[0] and "task_title" in problems[0]


def test_task_fields_round_trip(tmp_path):
    card = dataclasses.replace(_card("t-wave", "waveform", title="Toy task"), path=None)
    card.save(tmp_path / "t.card.json")
    again = ModelCard.load(tmp_path / "t.card.json")
    assert (again.task, again.task_title) == ("toy", "Toy task")


def test_cli_lists_tasks_and_names_the_known_ones_for_an_unknown_task(capsys):
    from audioxai_gui.cli import EXIT_USAGE, main

    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "\ndigits: Spoken digit recognition" in "\n" + out and "waveform     fsdd-audionet" in out
    assert main(["models", "--task", "digits", "--json"]) == 0
    (record,) = json.loads(capsys.readouterr().out)
    assert record["task"] == "digits" and record["models"]["spectrogram"][0]["name"] == "fsdd-alexnet"
    for argv in (["models"], ["explain", "clip.wav"], ["agreement", "folder"]):
        assert main([*argv, "--task", "nope"]) == EXIT_USAGE
        err = capsys.readouterr().err
        assert "unknown task 'nope'; known tasks: " in err and "digits: Spoken digit" in err


def test_sessions_and_region_sidecars_remember_their_task(tmp_path):
    from audioxai_gui.annotate.document import RegionDocument
    from audioxai_gui.annotate.regions import Region
    from audioxai_gui.annotate.sidecar import SidecarError, load_sidecar, sidecar_path, sidecar_task, write_sidecar
    from audioxai_gui.session import Session

    session = Session(audio_path="bark.ogg", task="events", models={"waveform": "esc-wave"})
    assert Session.load(session.save(tmp_path / "s.audioxai.json")).task == "events"
    assert Session.load(Session("a.wav").save(tmp_path / "old.audioxai.json")).task == ""  # default task

    audio = tmp_path / "bark.ogg"
    assert sidecar_task(audio) == ""  # no regions yet
    write_sidecar(RegionDocument([Region(start=0.0, end=1.0)], duration=5.0, task="events"), audio)
    assert sidecar_task(audio) == "events" and load_sidecar(audio).task == "events"
    sidecar_path(audio).write_text('{"schema": 1, "task": 3, "regions": []}')
    assert sidecar_task(audio) == ""  # unreadable: reported when the regions load, not while choosing a task
    with pytest.raises(SidecarError, match="'task' must be a task id string"):
        load_sidecar(audio)


def test_the_default_task_is_listed_first():
    cards = [_card("e-wave", "waveform", "events"), _card("e-spec", "spectrogram", "events")]
    cards += [_card("d-wave", "waveform", "digits"), _card("d-spec", "spectrogram", "digits")]
    assert list(discover_tasks(cards)[0]) == ["digits", "events"]
