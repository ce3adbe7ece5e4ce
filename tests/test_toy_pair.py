"""Bring your own pair (README, "Add your own model pair"): a third task dropped into $AUDIOXAI_MODELS works
in the CLI and in the window, through the task selector, sessions and region sidecars.

The toy pair: a waveform model of an architecture registered here (as a user would add theirs) and a small
``alexnet2d`` spectrogram model configured by its card, random weights, 3 classes, 16 kHz and a 32-band mel grid
unlike the digit pair (8 kHz, 129 STFT bins), so switching must re-decode, re-grid and re-list the classes.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
import torch
from torch import nn

from audioxai_gui.classifiers import ARCHITECTURES, ModelCard, build_model, register_architecture
from audioxai_gui.classifiers.registry import USER_MODELS_ENV, file_sha256
from audioxai_gui.features import FeatureSpec, Framing
from audioxai_gui.resources import EXAMPLE_AUDIO
from tests.ui_support import TIMEOUT_MS, new_window

TOY = "toy"
TOY_CLASSES = ["low", "mid", "high"]
TOY_RATE = 16000
TOY_GRID = FeatureSpec(sample_rate=TOY_RATE, framing=Framing(n_fft=512, hop_length=256), kind="mel_db", n_mels=32)


class ToyWave1D(nn.Module):
    """The smallest LRP-friendly waveform model: activations and pools as modules, no softmax."""

    def __init__(self, n_classes: int = 3, channels: int = 4):
        super().__init__()
        self.features = nn.Sequential(nn.Conv1d(1, channels, 9, stride=4), nn.ReLU(), nn.AdaptiveAvgPool1d(1))
        self.flatten = nn.Flatten()
        self.head = nn.Linear(channels, n_classes)

    def forward(self, x):
        return self.head(self.flatten(self.features(x)))


def write_toy_pair(folder) -> None:
    """Cards + random weights, as a user would drop them into their models folder."""
    folder.mkdir(exist_ok=True)
    common = dict(classes=TOY_CLASSES, sample_rate=TOY_RATE, input_length=TOY_RATE // 2, features=TOY_GRID)
    cards = [
        ModelCard("toy-wave", "waveform", "toy-wave-1d", weights="toy-wave.pt", **common),
        ModelCard(
            "toy-spec",
            "spectrogram",
            "alexnet2d",
            weights="toy-spec.pt",
            architecture_params={"channels": [4, 8], "kernels": [3, 3], "pools": [2, 1], "hidden": 8},
            **common,
        ),
    ]
    torch.manual_seed(0)
    for card in cards:
        card.task, card.task_title = TOY, "Toy tones: low, mid or high"
        module = build_model(card.architecture, {"n_classes": len(card.classes), **card.architecture_params})
        torch.save(module.state_dict(), folder / card.weights)
        card.sha256 = file_sha256(folder / card.weights)
        card.save(folder / f"{card.name}.card.json")


@pytest.fixture
def toy_folder(tmp_path, monkeypatch):
    register_architecture("toy-wave-1d")(ToyWave1D)  # what a user's @register_architecture("...") does
    folder = tmp_path / "my_models"
    write_toy_pair(folder)
    monkeypatch.setenv(USER_MODELS_ENV, str(folder))
    yield folder
    del ARCHITECTURES["toy-wave-1d"]  # other tests check every registered architecture


@pytest.fixture
def tone(tmp_path):
    path = tmp_path / "tone.wav"
    t = np.arange(TOY_RATE) / TOY_RATE
    sf.write(path, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), TOY_RATE)
    return path


def test_cli_lists_and_explains_with_the_toy_pair(toy_folder, tone, tmp_path, capsys):
    from audioxai_gui.cli import main

    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "toy: Toy tones: low, mid or high (3 classes: low, mid, high)" in out
    assert "toy-wave" in out and "toy-spec" in out and "digits:" in out
    assert main(["explain", str(tone), "--task", TOY, "--json", "--out", str(tmp_path / "out")]) == 0
    record = json.loads(capsys.readouterr().out)
    assert {kind: m["model"] for kind, m in record["models"].items()} == {
        "waveform": "toy-wave",
        "spectrogram": "toy-spec",
    }
    for result in record["models"].values():
        assert result["predicted"] in TOY_CLASSES and set(result["probabilities"]) == set(TOY_CLASSES)
    saved = np.load(tmp_path / "out" / "tone.wav.relevance.npz")
    assert any(value.shape[0] == TOY_GRID.n_bands for value in saved.values() if value.ndim == 2)


def _wait_task(qtbot, window, task_id: str, audio_name: str) -> None:
    def done():
        return (
            window.backend is not None
            and window.backend.task.id == task_id
            and window.clip is not None
            and window.clip.path.name == audio_name
            and all(
                d is not None and d.explanation.classes == window.backend.task.classes for d in window.displays.values()
            )
            and not window.runner.pending()
        )

    qtbot.waitUntil(done, timeout=TIMEOUT_MS)


@pytest.fixture
def window(qtbot, tmp_path, toy_folder):
    from audioxai_gui.ui.backend import discover, load_models

    window = new_window(qtbot, tmp_path, load_models(discover("cpu")))
    window.open_file(EXAMPLE_AUDIO)
    _wait_task(qtbot, window, "digits", EXAMPLE_AUDIO.name)
    return window


def test_the_task_selector_switches_the_whole_window_to_the_toy_pair(window, qtbot, tmp_path):
    selector = window.extensions["tasks"]
    items = [selector.combo.itemText(i) for i in range(selector.combo.count())]
    assert items[-1] == TOY and "digits" in items  # the built-in tasks, then the user's
    assert selector.combo.currentText() == "digits" and selector.combo.isEnabled()
    menu = {a.text(): a.isChecked() for a in selector.menu.actions()}
    assert menu["digits: Spoken digit recognition (0-9), English"] and not menu["toy: Toy tones: low, mid or high"]
    assert sum(menu.values()) == 1
    toy = items.index(TOY)
    assert "toy-wave (waveform), toy-spec (spectrogram)" in selector.combo.itemData(toy, 3)  # ToolTipRole

    selector.combo.activated.emit(toy)  # what a user's click on "toy" sends
    _wait_task(qtbot, window, TOY, EXAMPLE_AUDIO.name)  # no toy example: the same audio, at the toy rates
    assert selector.combo.currentText() == TOY and [a.isChecked() for a in selector.menu.actions()][toy:] == [True]
    assert sum(a.isChecked() for a in selector.menu.actions()) == 1
    assert {role: m.card.name for role, m in window.backend.models.items()} == {
        "waveform": "toy-wave",
        "spectrogram": "toy-spec",
    }
    assert [a.text().split("  (")[0] for a in window.model_menus["spectrogram"].actions()] == ["toy-spec"]
    assert {row.class_name for row in window.class_panel.columns["waveform"].rows} == set(TOY_CLASSES)
    n_frames = TOY_GRID.framing.n_frames(len(window.clip.samples_at(TOY_RATE)))
    for name in ("spectrogram", "waveform_tf"):  # both models on the toy grid (same rate: projectable)
        pane = window.stack.panes[name]
        assert pane.background.pyramid.shape == pane.overlay.pyramid.shape == (TOY_GRID.n_bands, n_frames)
    assert len(window.displays["waveform"].explanation.relevance) == len(window.clip.samples_at(TOY_RATE))

    # a session remembers the task; opening it from the digit task switches back to the toy pair
    session = window.save_session(tmp_path / "toy.audioxai.json")
    assert json.loads(session.read_text())["task"] == TOY
    window.choose_task("digits")
    _wait_task(qtbot, window, "digits", EXAMPLE_AUDIO.name)
    window.open_session(session)
    _wait_task(qtbot, window, TOY, EXAMPLE_AUDIO.name)


def test_regions_remember_their_task_and_reopening_the_audio_switches_to_it(window, qtbot, tone):
    from audioxai_gui.annotate.regions import Region
    from audioxai_gui.annotate.sidecar import sidecar_path

    window.choose_task(TOY)
    _wait_task(qtbot, window, TOY, EXAMPLE_AUDIO.name)
    window.open_file(tone)
    _wait_task(qtbot, window, TOY, tone.name)
    annotation = window.extensions["annotation"]
    annotation.document.add(Region(start=0.1, end=0.4, label="low"))
    annotation.flush()
    assert json.loads(sidecar_path(tone).read_text())["task"] == TOY

    window.choose_task("digits")
    _wait_task(qtbot, window, "digits", tone.name)  # the user's own audio stays open under the new task
    window.open_file(EXAMPLE_AUDIO)
    _wait_task(qtbot, window, "digits", EXAMPLE_AUDIO.name)
    window.open_file(tone)
    _wait_task(qtbot, window, TOY, tone.name)
    assert [r.label for r in annotation.document] == ["low"]


def test_a_task_whose_models_cannot_load_keeps_the_current_one(window, qtbot, toy_folder, monkeypatch):
    from PySide6 import QtWidgets

    shown = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    (toy_folder / "toy-spec.pt").unlink()
    window.choose_task(TOY)
    qtbot.waitUntil(lambda: bool(shown), timeout=TIMEOUT_MS)
    assert "toy-spec.pt not found" in shown[-1] and "Still using task digits" in shown[-1]
    assert window.backend.task.id == "digits" and window.extensions["tasks"].combo.currentText() == "digits"
    assert window.backend.models["spectrogram"].card.name == "fsdd-alexnet"


def test_live_mode_restarts_with_the_new_tasks_models_at_their_rate(window, qtbot):
    from audioxai_gui.live.capture import InputDevice
    from tests.test_ui_live import CAPTURE_RATE, FakeCapture, feed, tone, wait_results

    live = window.extensions["live"]
    live.capture_factory = FakeCapture
    live.device_lister = lambda: [InputDevice(0, "fake mic", CAPTURE_RATE, 1, True)]
    assert live.start()
    digits_pipeline = live.pipeline
    window.choose_task(TOY)
    qtbot.waitUntil(lambda: live.pipeline is not None and live.pipeline is not digits_pipeline, timeout=TIMEOUT_MS)
    try:
        assert {role: m.card.name for role, m in live.pipeline.models.items()} == {
            "waveform": "toy-wave",
            "spectrogram": "toy-spec",
        }
        feed(live, tone(1.0, hz=300.0))
        wait_results(qtbot, live, 1)
        explanations = live.latest_result.explanations
        assert explanations["waveform"].classes == TOY_CLASSES
        assert len(explanations["waveform"].relevance) == TOY_RATE // 2  # the newest 0.5 s at the toy rate
        assert explanations["spectrogram"].tf_relevance.shape[0] == TOY_GRID.n_bands
    finally:
        live.stop()


def test_the_event_task_opens_on_its_example_and_both_models_name_it(window, qtbot):
    from audioxai_gui.resources import EVENT_EXAMPLE

    if "events" not in window.backend.tasks:
        pytest.skip("the event models (task 'events') are not in models/")
    window.extensions["tasks"].combo.activated.emit(window.extensions["tasks"].combo.findData("events"))
    _wait_task(qtbot, window, "events", EVENT_EXAMPLE.name)  # the digit example was open: the event example follows
    assert window.clip.audio.sample_rate == 22050
    for role, display in window.displays.items():
        explanation = display.explanation
        assert explanation.classes[explanation.predicted] == "Dog bark", role
    assert (
        window.stack.panes["spectrogram"].background.pyramid.shape[0]
        == window.backend.task.card("spectrogram").features.n_bands
    )
