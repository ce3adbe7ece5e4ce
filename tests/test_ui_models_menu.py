"""The Models menu: every card of a role is listed, the loaded one is checked, choosing another loads it.

The user's model folder ($AUDIOXAI_MODELS) gets the random-weight pair plus a spectrogram model on another
grid (16 kHz, 64 mel bands instead of 8 kHz, 129 STFT bins), a card that is not JSON and a card whose weight
file is missing, so switching must re-decode, re-grid and re-explain, and bad cards must only be reported.
"""

import dataclasses
import shutil

import numpy as np
import pytest
from PySide6 import QtWidgets

from audioxai_gui.classifiers import find_cards
from audioxai_gui.classifiers.registry import BUILTIN_MODELS, USER_MODELS_ENV
from audioxai_gui.features import FeatureSpec, Framing
from audioxai_gui.resources import EXAMPLE_AUDIO
from audioxai_gui.session import ROLES
from tests.ui_support import TIMEOUT_MS, new_window, wait_explained

OTHER_GRID = FeatureSpec(sample_rate=16000, framing=Framing(n_fft=512, hop_length=128), kind="mel_db", n_mels=64)
OTHER = "user-mel-16k"
MISSING = "user-missing-weights"
START = {"waveform": "random-waveform", "spectrogram": "random-spectrogram"}


@pytest.fixture
def user_folder(tmp_path, monkeypatch, random_pair):
    folder = tmp_path / "user_models"
    folder.mkdir()
    for model in random_pair:
        shutil.copy(model.card.path, folder / model.card.path.name)
        shutil.copy(model.card.weights_path, folder / model.card.weights)
    spectrogram = random_pair[1].card
    other = dataclasses.replace(
        spectrogram, name=OTHER, weights=f"{OTHER}.pt", sample_rate=16000, input_length=16000, features=OTHER_GRID
    )
    shutil.copy(spectrogram.weights_path, folder / other.weights)  # adaptive pooling: any input size fits
    other.save(folder / f"{OTHER}.card.json")
    dataclasses.replace(spectrogram, name=MISSING, weights=f"{MISSING}.pt").save(folder / f"{MISSING}.card.json")
    (folder / "broken.card.json").write_text("{ this is not json")
    monkeypatch.setenv(USER_MODELS_ENV, str(folder))
    return folder


@pytest.fixture
def window(qtbot, tmp_path, user_folder):
    from audioxai_gui.ui.backend import discover, load_models

    backend = load_models(discover("cpu"), START)
    window = new_window(qtbot, tmp_path, backend)
    window.open_file(EXAMPLE_AUDIO)
    wait_explained(qtbot, window)
    return window


def menu_names(window, role) -> list[str]:
    return [action.text().split("  (")[0] for action in window.model_menus[role].actions()]


def checked_names(window, role) -> list[str]:
    return [action.text().split("  (")[0] for action in window.model_menus[role].actions() if action.isChecked()]


def choose(window, role, name) -> None:
    (action,) = [a for a in window.model_menus[role].actions() if a.text().split("  (")[0] == name]
    action.trigger()


def wait_model_explained(qtbot, window, role, name) -> None:
    """Until both roles show an explanation and ``role``'s comes from the model ``name``."""

    def done():
        display = window.displays[role]
        return (
            all(window.displays.values())
            and display.explanation.model_name == name
            and not window.runner.pending()
            and window.stack.panes["spectrogram"].background.pyramid is not None
        )

    qtbot.waitUntil(done, timeout=TIMEOUT_MS)


def test_models_menu_lists_every_card_of_each_role_and_checks_the_loaded_one(window, user_folder):
    builtin = [c for c in find_cards([BUILTIN_MODELS])[0] if c.task == "digits"]  # the menu lists one task's
    expected = {
        "waveform": [c.name for c in builtin if c.input_kind == "waveform"] + ["random-waveform"],
        "spectrogram": [c.name for c in builtin if c.input_kind == "spectrogram"]
        + ["random-spectrogram", OTHER, MISSING],
    }
    for role in ROLES:
        assert sorted(menu_names(window, role)) == sorted(expected[role])
        assert checked_names(window, role) == [START[role]]
    assert "broken" not in " ".join(menu_names(window, "spectrogram")), "an unreadable card is not offered"


def test_choosing_a_model_on_another_grid_loads_it_and_regrids_every_pane(window, qtbot):
    old_grid = window.backend.models["spectrogram"].card.features
    assert window.stack.panes["spectrogram"].background.pyramid.shape[0] == old_grid.n_bands == 129
    choose(window, "spectrogram", OTHER)
    wait_model_explained(qtbot, window, "spectrogram", OTHER)

    assert window.backend.models["spectrogram"].card.name == OTHER
    assert window.backend.models["waveform"].card.name == START["waveform"], "the other role keeps its model"
    assert checked_names(window, "spectrogram") == [OTHER], "the checkmark moved"
    assert checked_names(window, "waveform") == [START["waveform"]]
    column = window.class_panel.columns["spectrogram"]
    assert OTHER in column.title()
    assert window.class_panel.explanations["spectrogram"].model_name == OTHER

    # the clip was resampled for the new model's rate, and the new model explained it on its own grid
    clip = window.clip
    samples = clip.samples_at(16000)
    assert len(samples) == pytest.approx(16000 * clip.duration, abs=2)
    explanation = window.displays["spectrogram"].explanation
    assert explanation.grid == OTHER_GRID
    n_frames = OTHER_GRID.framing.n_frames(len(samples))
    assert explanation.tf_relevance.shape == (64, n_frames)
    pane = window.stack.panes["spectrogram"]
    for layer in (pane.background, pane.overlay):
        assert layer.grid == OTHER_GRID
        assert layer.pyramid.shape == (64, n_frames)
    np.testing.assert_allclose(pane.overlay.pyramid.image, 100 * explanation.tf_shares(), rtol=1e-6)  # % of |R|
    # the frequency axis now reaches the new Nyquist frequency (8 kHz, not 4 kHz) and rows follow the mel bands
    low, high = pane.view.viewRange()[1]
    assert pane.hz_at(high) == pytest.approx(8000, rel=0.05)
    band_centres = OTHER_GRID.band_frequencies()
    assert pane.background.mapping.band_at(band_centres).tolist() == list(range(64))
    # the waveform model (still 8 kHz) cannot be projected onto a 16 kHz grid: it keeps its own grid
    waveform_tf = window.stack.panes["waveform_tf"]
    waveform_grid = window.backend.models["waveform"].card.features
    assert window.displays["waveform"].explanation.grid == waveform_grid
    assert waveform_tf.overlay.pyramid.shape == window.displays["waveform"].explanation.tf_relevance.shape

    # and back: the old grid returns
    choose(window, "spectrogram", START["spectrogram"])
    wait_model_explained(qtbot, window, "spectrogram", START["spectrogram"])
    assert checked_names(window, "spectrogram") == [START["spectrogram"]]
    assert pane.background.pyramid.shape[0] == pane.overlay.pyramid.shape[0] == 129
    assert pane.hz_at(pane.view.viewRange()[1][1]) == pytest.approx(4000, rel=0.05)


def test_bad_cards_are_reported_and_do_not_break_switching(window, qtbot, monkeypatch):
    shown = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    assert window.problems_action.isEnabled()
    window.problems_action.trigger()
    assert "broken.card.json" in shown[-1]

    before = len(window.backend.problems)
    choose(window, "spectrogram", MISSING)  # listed (its card reads), but its weight file is missing
    qtbot.waitUntil(lambda: len(window.backend.problems) > before, timeout=TIMEOUT_MS)
    wait_explained(qtbot, window)
    loaded = window.backend.models["spectrogram"].card.name
    assert loaded != MISSING
    assert checked_names(window, "spectrogram") == [loaded], "the checkmark shows the model actually loaded"
    window.problems_action.trigger()
    assert f"{MISSING}.pt" in shown[-1] and "not found" in shown[-1]

    choose(window, "spectrogram", OTHER)
    wait_model_explained(qtbot, window, "spectrogram", OTHER)
    assert checked_names(window, "spectrogram") == [OTHER]
    assert window.stack.panes["spectrogram"].overlay.pyramid.shape[0] == 64


def test_a_failed_switch_keeps_the_model_that_was_loaded(window, qtbot, shipped_pair, monkeypatch):
    shown = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    before = len(window.backend.problems)
    choose(window, "spectrogram", MISSING)
    qtbot.waitUntil(lambda: len(window.backend.problems) > before, timeout=TIMEOUT_MS)
    wait_explained(qtbot, window)
    assert window.backend.models["spectrogram"].card.name == START["spectrogram"]
    assert checked_names(window, "spectrogram") == [START["spectrogram"]]
    assert "not found" in shown[-1] and f"Still using {START['spectrogram']}" in shown[-1]
