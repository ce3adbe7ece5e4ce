"""The frequency axis choice (linear / log / mel) in the window: pane coordinates, tick labels, cursor readout,
where a pure tone is drawn, zoom and selection kept in Hz, and the choice saved in the session file.

A 1000 Hz tone sits exactly on STFT bin 32 of the 8 kHz / 256-point grid, so its brightest display row must
show the band 984..1016 Hz on every scale.
"""

import json

import numpy as np
import pytest
import soundfile as sf
from PySide6 import QtCore

from audioxai_gui.session import FREQUENCY_AXES
from audioxai_gui.ui.freq_scale import FREQUENCY_SCALES
from audioxai_gui.ui.pane_stack import Selection
from tests.ui_support import TIMEOUT_MS, make_backend, new_window, wait_explained

TONE_HZ = 1000.0
RATE = 8000
TF_PANES = ("spectrogram", "waveform_tf")


@pytest.fixture(scope="module")
def backend(random_pair):
    from audioxai_gui.explain.engine import ExplanationEngine

    return make_backend(ExplanationEngine("cpu"), random_pair)


@pytest.fixture(scope="module")
def tone_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("tone") / "tone.wav"
    t = np.arange(RATE) / RATE
    sf.write(path, (0.5 * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.float32), RATE)
    return path


@pytest.fixture
def window(qtbot, tmp_path, backend, tone_path):
    window = new_window(qtbot, tmp_path, backend)
    window.open_file(tone_path)
    wait_explained(qtbot, window)
    assert window.backend.models["spectrogram"].card.features.framing.n_fft == 256
    return window


def set_axis(window, name: str) -> None:
    """Choose the axis in the controls, as a user does, and let the panes redraw now."""
    window.controls.frequency_axis.setCurrentText(name)
    for pane_name in TF_PANES:
        window.stack.panes[pane_name].redraw()


def drawn_rows(layer):
    """(image as drawn, y of its bottom edge, height) in pane coordinates."""
    rect = layer.item.mapRectToParent(layer.item.boundingRect())
    return layer.item.image, rect.top(), rect.height()


def parse_hz(label: str) -> float:
    return float(label[:-1]) * 1000 if label.endswith("k") else float(label)


@pytest.mark.parametrize("name", FREQUENCY_AXES)
def test_a_tone_is_drawn_at_its_frequency_and_labelled_so_on_every_scale(window, name):
    scale = FREQUENCY_SCALES[name]
    if name != "linear":
        set_axis(window, "linear")
    set_axis(window, name)
    assert window.display.frequency_axis == name
    for pane_name in TF_PANES:
        pane = window.stack.panes[pane_name]
        assert pane.frequency_scale is scale and pane.frequency_axis.hz_scale is scale
        image, bottom, height = drawn_rows(pane.background)
        n_rows = image.shape[0]
        assert n_rows == (129 if name == "linear" else 258), "non-linear scales are resampled to more rows"
        brightest = int(np.argmax(image.mean(axis=1)))
        row_centre = bottom + (brightest + 0.5) * height / n_rows
        assert 984.375 <= pane.hz_at(row_centre) <= 1015.625, "the bright row shows the tone's band"
        row_height = height / n_rows
        assert abs(scale.to_display(TONE_HZ) - row_centre) <= row_height * (1 if name == "linear" else 2)
        # the relevance overlay uses the same rows and rectangle
        overlay, overlay_bottom, overlay_height = drawn_rows(pane.overlay)
        assert overlay.shape[0] == n_rows
        assert (overlay_bottom, overlay_height) == pytest.approx((bottom, height))
        # the view shows the whole band range: 0 Hz (the DC band) to the Nyquist frequency
        low, high = pane.view.viewRange()[1]
        assert pane.hz_at(high) == pytest.approx(4000, abs=20)
        assert pane.hz_at(low) <= 20 + 1e-6

        # every tick label names the frequency at its position, and a "1k" tick sits on the tone's row
        axis = pane.frequency_axis
        labels = {}
        for spacing, values in axis.tickValues(low, high, 400):
            for value, label in zip(values, axis.tickStrings(values, 1.0, spacing), strict=True):
                labels[label] = value
                assert scale.to_display(parse_hz(label)) == pytest.approx(value, abs=1e-6 * abs(high - low))
        assert "1k" in labels and abs(labels["1k"] - row_centre) <= row_height * 2
        if name != "linear":
            assert all(parse_hz(label) in scale.nice_hz for label in labels), "ticks at round frequencies"


@pytest.mark.parametrize("name", FREQUENCY_AXES)
def test_cursor_readout_reports_the_frequency_under_the_pointer(window, name):
    set_axis(window, name)
    scale = FREQUENCY_SCALES[name]
    for pane_name in TF_PANES:
        pane = window.stack.panes[pane_name]
        levels = {}
        for hz in (250.0, TONE_HZ, 3000.0):
            scene = pane.view.mapViewToScene(QtCore.QPointF(0.5, float(scale.to_display(hz))))
            window.stack._on_mouse_moved(scene)
            text = window.readout.text()
            assert f"f = {hz:.0f} Hz" in text, text
            levels[hz] = float(text.split("level = ")[1].split(" dB")[0])
        assert levels[TONE_HZ] > max(levels[250.0], levels[3000.0]) + 30, "the tone is loud only at its frequency"


def test_switching_scales_keeps_the_zoomed_frequencies_and_the_selection_box(window):
    pane = window.stack.panes["spectrogram"]
    pane.view.setYRange(500.0, 2000.0, padding=0)
    window.stack.set_selection(Selection(0.2, 0.6, 800.0, 1200.0))
    for name in ("mel", "log", "linear", "log"):
        set_axis(window, name)
        scale = FREQUENCY_SCALES[name]
        low, high = pane.view.viewRange()[1]
        assert (pane.hz_at(low), pane.hz_at(high)) == pytest.approx((500.0, 2000.0), rel=1e-3)
        for tf_pane in (window.stack.panes[p] for p in TF_PANES):
            box = tf_pane.box.rect()
            assert tf_pane.box.isVisible()
            assert (box.top(), box.bottom()) == pytest.approx(tuple(scale.to_display([800.0, 1200.0])))


def test_frequency_axis_choice_round_trips_through_the_session_file(window, qtbot, tmp_path, backend):
    set_axis(window, "log")
    window.stack.panes["spectrogram"].view.setYRange(*FREQUENCY_SCALES["log"].to_display([300.0, 3000.0]), padding=0)
    path = window.save_session(tmp_path / "log.audioxai.json")
    assert json.loads(path.read_text())["display"]["frequency_axis"] == "log"

    reopened = new_window(qtbot, tmp_path, backend)
    assert reopened.stack.panes["spectrogram"].frequency_scale.name == "linear"
    reopened.open_session(path)
    wait_explained(qtbot, reopened)
    qtbot.waitUntil(lambda: reopened._pending_view is None, timeout=TIMEOUT_MS)
    assert reopened.controls.frequency_axis.currentText() == "log"
    for pane_name in TF_PANES:
        pane = reopened.stack.panes[pane_name]
        assert pane.frequency_scale.name == pane.frequency_axis.hz_scale.name == "log"
        assert pane.background.mapping.scale.name == pane.overlay.mapping.scale.name == "log"
        pane.redraw()
        image, bottom, height = drawn_rows(pane.background)
        brightest = int(np.argmax(image.mean(axis=1)))
        assert 984.375 <= pane.hz_at(bottom + (brightest + 0.5) * height / image.shape[0]) <= 1015.625
    low, high = reopened.stack.panes["spectrogram"].view.viewRange()[1]
    assert (10**low, 10**high) == pytest.approx((300.0, 3000.0), rel=1e-6)
    assert reopened.session().display.frequency_axis == "log"


@pytest.mark.parametrize("via", ["log", "mel"])
def test_switching_scales_from_the_full_view_and_back_shows_the_full_view_again(window, via):
    pane = window.stack.panes["spectrogram"]
    full = tuple(pane.view.viewRange()[1])
    assert full == pytest.approx((pane.background.mapping.low, pane.background.mapping.high))
    set_axis(window, via)
    assert tuple(pane.view.viewRange()[1]) == pytest.approx((pane.background.mapping.low, pane.background.mapping.high))
    set_axis(window, "linear")
    assert tuple(pane.view.viewRange()[1]) == pytest.approx(full)


def test_re_explaining_keeps_each_panes_frequency_zoom(window, qtbot):
    for pane_name in TF_PANES:
        window.stack.panes[pane_name].view.setYRange(500.0, 2000.0, padding=0)
    window.set_target(window.displays["spectrogram"].explanation.classes[4])
    qtbot.waitUntil(
        lambda: all(d and d.explanation.target == 4 for d in window.displays.values()) and not window.runner.pending(),
        timeout=TIMEOUT_MS,
    )
    for pane_name in TF_PANES:
        assert window.stack.panes[pane_name].view.viewRange()[1] == pytest.approx([500.0, 2000.0]), pane_name


@pytest.mark.parametrize(("name", "span_hz"), [("log", (300.0, 450.0)), ("mel", (1100.0, 1900.0))])
def test_a_zoomed_non_linear_axis_still_labels_its_ticks(window, name, span_hz):
    set_axis(window, name)
    pane = window.stack.panes["spectrogram"]
    scale = FREQUENCY_SCALES[name]
    low, high = scale.to_display(span_hz)
    pane.view.setYRange(low, high, padding=0)
    values = [v for _, level in pane.frequency_axis.tickValues(low, high, 400) for v in level]
    assert len(values) >= 2
    for value, label in zip(values, pane.frequency_axis.tickStrings(values, 1.0, 1.0), strict=True):
        assert span_hz[0] <= parse_hz(label) <= span_hz[1]
        assert scale.to_display(parse_hz(label)) == pytest.approx(value, rel=1e-3)
