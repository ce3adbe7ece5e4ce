"""The Faithfulness view: curves of both models for the clip in the window, and the "remove the top X %" player."""

from __future__ import annotations

import pytest

from audioxai_gui.resources import EXAMPLE_AUDIO
from tests.ui_support import TIMEOUT_MS


def _dock(window):
    return next(d for d in window.findChildren(type(window.right_docks[0])) if d.objectName() == "Faithfulness")


def test_showing_the_view_measures_both_models_and_the_slider_removes_the_top_part(window, qtbot):
    model = window.extensions["faithfulness"]
    dock = _dock(window)
    action = next(
        a
        for m in window.menuBar().actions()
        if m.menu()
        for a in m.menu().actions()
        if a.text().startswith("&Faithfulness")
    )
    action.trigger()
    assert dock.isVisible() and dock.faithfulness_widget.cancel_button.isEnabled()  # measuring has started
    qtbot.waitUntil(lambda: model.result is not None and model.removal is not None, timeout=6 * TIMEOUT_MS)
    widget = dock.faithfulness_widget
    curves = [item for item in widget.plot.listDataItems()]
    assert len(curves) == 8  # 2 models x (most relevant, least relevant, loudest, random)
    assert "AOPC" in widget.aopc.text() and widget.cancel_button.isEnabled() is False
    assert model.removal.fraction == pytest.approx(0.2)
    widget.slider.setValue(60)
    qtbot.waitUntil(lambda: model.removal.fraction == pytest.approx(0.6), timeout=TIMEOUT_MS)
    without, only = model.removal.without, model.removal.only
    assert without.shape == only.shape and (without**2).sum() < (model._top.window**2).sum()
    assert "spectrogram" in widget.preview_labels["only"].text()
    widget.play_buttons["only"].click()
    assert window.playback.is_playing


def test_measuring_can_be_cancelled_and_a_new_clip_clears_the_view(window, qtbot):
    model = window.extensions["faithfulness"]
    model.measure()
    model.cancel()
    window.runner.wait()
    qtbot.wait(50)
    assert model.result is None and _dock(window).faithfulness_widget.measure_button.isEnabled()
    model.measure()
    qtbot.waitUntil(lambda: model.result is not None, timeout=6 * TIMEOUT_MS)
    window.open_file(EXAMPLE_AUDIO)
    qtbot.waitUntil(lambda: model.result is None, timeout=TIMEOUT_MS)
