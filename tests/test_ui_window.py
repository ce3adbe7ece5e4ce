"""The analysis window end to end, offscreen, with the model pair from conftest (shipped or random weights)."""

from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf
from PySide6 import QtCore, QtWidgets

from audioxai_gui.audio.playback import PlaybackError, Player
from audioxai_gui.resources import EXAMPLE_AUDIO
from tests.ui_support import TIMEOUT_MS, new_window, wait_explained


def test_opening_a_file_fills_every_pane_on_the_spectrogram_models_grid(window, backend):
    grid = backend.models["spectrogram"].card.features
    clip = window.clip
    n_frames = grid.framing.n_frames(len(clip.samples_at(grid.sample_rate)))
    panes = window.stack.panes
    assert len(panes["waveform"].peaks) == len(clip.audio.samples)
    assert len(panes["waveform"].relevance) == len(clip.samples_at(backend.models["waveform"].card.sample_rate))
    x, y = panes["waveform"].wave.getData()
    assert len(x) > 0 and x.max() <= clip.duration + 1e-3
    for name in ("spectrogram", "waveform_tf"):
        pane = panes[name]
        assert pane.background.pyramid.shape == (grid.n_bands, n_frames)
        assert pane.overlay.pyramid.shape == (grid.n_bands, n_frames)
        assert pane.overlay.item.image is not None and pane.background.item.image is not None
    # each map is drawn as % of its own total |relevance|, and the colour bar says so
    explanation = window.displays["waveform"].explanation
    np.testing.assert_allclose(panes["waveform_tf"].overlay.pyramid.image, 100 * explanation.tf_shares(), rtol=1e-6)
    assert np.abs(panes["waveform_tf"].overlay.pyramid.image).sum() == pytest.approx(100, rel=1e-4)
    colorbar = panes["waveform_tf"].colorbar
    assert any("% of map |R|" in colorbar.getAxis(side).labelText for side in ("left", "right"))


def test_predictions_shown_match_the_engine(window, backend):
    for role, model in backend.models.items():
        samples = window.clip.samples_at(model.card.sample_rate)
        expected = backend.engine.explain(model, samples)
        shown = window.class_panel.explanations[role]
        np.testing.assert_allclose(shown.probabilities, expected.probabilities, atol=1e-5)
        top_row = window.class_panel.columns[role].rows[0]
        assert top_row.class_name == expected.classes[expected.predicted]
    predicted = {e.classes[e.predicted] for e in window.class_panel.explanations.values()}
    text = window.class_panel.agreement.text()
    assert ("Both models say" in text) == (len(predicted) == 1)


def test_clicking_a_class_explains_it_with_both_models(window, qtbot):
    rows = window.class_panel.columns["waveform"].rows
    chosen = rows[-1].class_name  # the least likely of the shown classes: never the default target
    rows[-1].button.click()
    qtbot.waitUntil(
        lambda: all(d and d.explanation.classes[d.explanation.target] == chosen for d in window.displays.values()),
        timeout=TIMEOUT_MS,
    )
    assert window.class_panel.target.currentData() == chosen
    assert window.class_panel.columns["spectrogram"].rows[0].button.text() != ""


def test_zooming_one_pane_moves_every_pane(window, qtbot):
    spectrogram_view = window.stack.panes["spectrogram"].view
    spectrogram_view.setXRange(0.4, 0.9, padding=0)
    for pane in window.stack.panes.values():
        assert pane.view.viewRange()[0] == pytest.approx([0.4, 0.9], abs=1e-6)
    # wheel over a pane zooms time around the pointer; Ctrl+wheel zooms only frequency
    view = window.stack.panes["waveform_tf"].view
    centre = view.mapViewToScene(QtCore.QPointF(0.5, 1000.0))
    y_before = view.viewRange()[1]
    view.wheelEvent(_wheel(view, centre, 120, QtCore.Qt.KeyboardModifier.NoModifier))
    x0, x1 = window.stack.panes["waveform"].view.viewRange()[0]
    assert x1 - x0 == pytest.approx(0.5 / 1.25, rel=1e-3) and x0 < 0.5 < x1
    view.wheelEvent(_wheel(view, centre, 120, QtCore.Qt.KeyboardModifier.ControlModifier))
    assert window.stack.panes["waveform"].view.viewRange()[0] == pytest.approx([x0, x1])
    assert np.diff(view.viewRange()[1])[0] < np.diff(y_before)[0]


def _wheel(view, scene_point, delta, modifiers):
    accepted = []
    return SimpleNamespace(
        delta=lambda: delta,
        modifiers=lambda: modifiers,
        pos=lambda: view.mapFromScene(scene_point),
        accept=lambda: accepted.append(True),
    )


def test_a_superseded_explanation_is_never_drawn(window, qtbot):
    classes = window.displays["spectrogram"].explanation.classes
    window.set_target(classes[1])
    window.set_target(classes[2])  # supersedes the first request before it can finish
    wait_explained(qtbot, window)
    qtbot.wait(100)
    for display in window.displays.values():
        assert display.explanation.classes[display.explanation.target] == classes[2]


def test_space_toggles_playback_and_moves_the_playhead(window, qtbot):
    window.stack.set_cursor(0.5)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Space)
    assert window.playback.is_playing
    assert window.playback.player._start == int(0.5 * window.clip.audio.sample_rate)
    qtbot.waitUntil(lambda: window.stack.panes["spectrogram"].playhead.isVisible(), timeout=2000)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Space)
    assert not window.playback.is_playing
    assert not window.stack.panes["waveform"].playhead.isVisible()


def test_no_output_device_is_reported_and_the_rest_works(qtbot, tmp_path, backend):
    def no_device(**kwargs):
        raise PlaybackError("no audio output device: none found")

    window = new_window(qtbot, tmp_path, backend, player=Player(stream_factory=no_device))
    window.open_file(EXAMPLE_AUDIO)
    wait_explained(qtbot, window)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Space)
    assert "no audio output device" in window.statusBar().currentMessage()
    assert not window.playback.is_playing


def test_a_bad_file_shows_the_error_and_keeps_the_analysis(window, qtbot, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "critical", lambda parent, title, text: shown.append(text))
    before = window.clip, dict(window.displays)
    bad = tmp_path / "broken.wav"
    bad.write_text("this is not audio")
    window.open_file(bad)
    qtbot.waitUntil(lambda: len(shown) == 1, timeout=TIMEOUT_MS)
    assert str(bad) in shown[0]
    assert (window.clip, window.displays) == before
    assert window.windowTitle().startswith(EXAMPLE_AUDIO.name)


def test_session_round_trip_reopens_the_same_view(window, qtbot, tmp_path, backend):
    target = window.displays["waveform"].explanation.classes[3]
    window.set_target(target)
    wait_explained(qtbot, window)
    window.stack.set_time_range(0.3, 0.8)
    window.controls.sign_filter.setCurrentIndex(window.controls.sign_filter.findData("positive"))
    window.controls.frequency_axis.setCurrentText("mel")
    window.pane_actions["waveform_tf"].trigger()  # hide the third pane
    path = window.save_session(tmp_path / "view.audioxai.json")

    reopened = new_window(qtbot, tmp_path, backend)
    reopened.open_session(path)
    wait_explained(qtbot, reopened)
    qtbot.waitUntil(lambda: reopened._pending_view is None, timeout=TIMEOUT_MS)
    assert reopened.stack.time_range() == pytest.approx((0.3, 0.8), abs=1e-6)
    assert reopened.display.sign_filter == "positive" and reopened.display.frequency_axis == "mel"
    assert reopened.controls.display_settings() == reopened.display
    assert reopened.target_class == target
    assert (
        reopened.displays["spectrogram"].explanation.classes[reopened.displays["spectrogram"].explanation.target]
        == target
    )
    assert not reopened.stack.visible["waveform_tf"]
    assert reopened.stack.panes["spectrogram"].view.viewRange()[1] == pytest.approx(
        window.stack.panes["spectrogram"].view.viewRange()[1], rel=1e-6
    )


def test_exports_write_images_and_relevance_arrays(window, tmp_path):
    from audioxai_gui.ui.export import export_relevance, export_view

    png = export_view(window.stack.layout, tmp_path / "view.png")
    svg = export_view(window.stack.layout, tmp_path / "view.svg")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in svg.read_text()[:2000]
    arrays = np.load(export_relevance({r: d.explanation for r, d in window.displays.items()}, tmp_path / "r.npz"))
    np.testing.assert_array_equal(arrays["spectrogram_relevance"], window.displays["spectrogram"].explanation.relevance)
    assert str(arrays["waveform_model"]) == window.displays["waveform"].explanation.model_name


def test_recent_files_remember_the_opened_clip(window):
    assert window.recent_files()[0] == str(EXAMPLE_AUDIO.resolve())
    assert window.recent_menu.actions()[0].text() == str(EXAMPLE_AUDIO.resolve())


def test_a_long_file_is_explained_window_by_window_with_progress(qtbot, tmp_path, backend):
    rate = backend.models["waveform"].card.sample_rate
    samples = np.tile(sf.read(EXAMPLE_AUDIO, dtype="float32")[0], 6)  # ~13 s: several model windows
    path = tmp_path / "long.wav"
    sf.write(path, samples, rate)
    window = new_window(qtbot, tmp_path, backend)
    progress = []
    window.progress.valueChanged.connect(progress.append)
    window.open_file(path)
    wait_explained(qtbot, window)
    assert window.clip.duration == pytest.approx(len(samples) / rate)
    assert any(0 < value < 1000 for value in progress), "intermediate progress was shown"
    assert len(window.displays["waveform"].explanation.window_starts) > 1
    assert not window.progress.isVisible()


def test_dropping_a_file_opens_it(window, qtbot, tmp_path):
    from PySide6 import QtGui

    dropped = tmp_path / "dropped.wav"
    sf.write(dropped, np.sin(np.linspace(0, 2000, 12000)).astype(np.float32) * 0.3, 8000)
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(dropped))])
    position = QtCore.QPointF(100, 100)
    actions = QtCore.Qt.DropAction.CopyAction
    buttons, modifiers = QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier
    enter = QtGui.QDragEnterEvent(position.toPoint(), actions, mime, buttons, modifiers)
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    window.dropEvent(QtGui.QDropEvent(position, actions, mime, buttons, modifiers))
    qtbot.waitUntil(lambda: window.clip is not None and window.clip.path == dropped, timeout=TIMEOUT_MS)
    assert window.clip.duration == pytest.approx(1.5)


def test_an_opened_file_shows_its_waveform_and_spectrogram_before_the_models_load(qtbot, tmp_path, monkeypatch):
    """The grid comes from the card files alone and the display spectrogram is numpy: nothing waits for torch."""
    import subprocess
    import sys

    from audioxai_gui.ui.main_window import MainWindow

    monkeypatch.setattr(MainWindow, "_load_backend", lambda self, wanted, task=None: None)  # models never arrive
    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    window.start(EXAMPLE_AUDIO)
    pane = window.stack.panes["spectrogram"]
    qtbot.waitUntil(lambda: pane.background.pyramid is not None, timeout=TIMEOUT_MS)
    assert window.backend is None and window.stack.panes["waveform"].peaks is not None
    assert pane.background.pyramid.shape[1] == pane.background.grid.framing.n_frames(
        len(window.stack.panes["waveform"].peaks)
    )
    code = (
        "import sys; from audioxai_gui.ui.main_window import MainWindow; from audioxai_gui.classifiers.discovery "
        "import display_grid; from audioxai_gui.ui.clip import display_spectrogram; import numpy as np; "
        "display_spectrogram(np.ones(8000, np.float32), display_grid()); assert 'torch' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
