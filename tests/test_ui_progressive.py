"""A 10-minute recording in the window: the windows in view first, cancel and resume, a reopen from the cache.

The engine is a counting fake (relevance of the right shape, logits naming class window % 10), so the test
checks which windows were asked for and in which order, not how fast a CPU is.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from audioxai_gui.audio import save_wav
from audioxai_gui.explain.cache import ExplanationCache
from audioxai_gui.explain.engine import WindowBatch
from tests.ui_support import TIMEOUT_MS, make_backend, new_window

RATE = 8000
MINUTES = 10


class GatedEngine:
    """Counts the windows it explains per model; ``gate`` (when set) holds the worker before a batch."""

    batch_size = 16
    device_name = "fake"

    def __init__(self):
        self.calls: dict[str, list[np.ndarray]] = {"waveform": [], "spectrogram": []}
        self.gate: threading.Event | None = None
        self.waiting = threading.Event()
        self.lock = threading.Lock()

    def explain_windows(self, model, windows, targets, composite, progress=None, cancelled=None):
        if self.gate is not None:
            self.waiting.set()
            self.gate.wait(30)
        card = model.card
        windows = windows.numpy()
        n = len(windows)
        with self.lock:
            self.calls[card.input_kind].append(windows[:, :2].copy())
        index = np.round(windows[:, 1] * 1e4).astype(np.int64)  # the second sample names the window
        logits = np.eye(len(card.classes), dtype=np.float32)[index % len(card.classes)] * 3
        if card.input_kind == "waveform":
            relevance = windows * 0.01
        else:
            shape = (n, card.features.n_bands, card.features.framing.n_frames(card.input_length))
            relevance = np.full(shape, 1e-4, dtype=np.float32)
        chosen = logits.argmax(axis=1) if targets is None else targets
        return WindowBatch(relevance.astype(np.float32), logits, chosen)

    def explained(self, role: str) -> list[int]:
        with self.lock:
            return [round(value * 1e4) for call in self.calls[role] for value in call[:, 1]]


@pytest.fixture(scope="module")
def ten_minutes(tmp_path_factory, model_pair):
    """Quiet noise whose sample 1 of each model window (hop 4000) holds the window's number."""
    rng = np.random.default_rng(0)
    samples = (0.01 * rng.standard_normal(RATE * 60 * MINUTES)).astype(np.float32)
    card = model_pair[0].card
    from audioxai_gui.explain.timeline import Timeline

    plan = Timeline.create(card, samples.size, "EpsilonPlus").plan
    samples[plan.starts + 1] = np.arange(len(plan.starts)) / 1e4
    path = tmp_path_factory.mktemp("long") / "ten_minutes.wav"
    save_wav(path, samples, RATE, subtype="FLOAT")
    return path, plan


def _window(qtbot, tmp_path, model_pair, engine, cache_dir):
    window = new_window(qtbot, tmp_path, make_backend(engine, model_pair))
    window.explainer.cache = ExplanationCache(cache_dir)
    return window


def _all_done(window) -> bool:
    return bool(window.explainer.timelines) and all(t.done.all() for t in window.explainer.timelines.values())


def test_view_first_cancel_resume_and_reopen_from_the_cache(qtbot, tmp_path, model_pair, ten_minutes, request):
    path, plan = ten_minutes
    engine = GatedEngine()
    engine.gate = threading.Event()
    request.addfinalizer(engine.gate.set)  # a failure must not leave workers held for the tests after it
    window = _window(qtbot, tmp_path, model_pair, engine, tmp_path / "cache")
    window.open_file(path)
    qtbot.waitUntil(lambda: engine.waiting.is_set(), timeout=TIMEOUT_MS)
    window.stack.set_time_range(300.0, 310.0)  # the user looks at 5:00-5:10 while the first batch waits
    qtbot.waitUntil(lambda: window.explainer.view == (300.0, 310.0), timeout=TIMEOUT_MS)
    engine.gate.set()

    timeline = window.explainer.timelines["waveform"]
    in_view = set(timeline.windows_in((300.0, 310.0)).tolist())
    qtbot.waitUntil(  # both models (their jobs run side by side: one can be a batch behind the other)
        lambda: all(in_view <= set(engine.explained(role)) for role in ("waveform", "spectrogram")),
        timeout=TIMEOUT_MS,
    )
    engine.gate.clear()  # hold the workers again, then cancel
    engine.waiting.clear()
    qtbot.waitUntil(lambda: engine.waiting.is_set(), timeout=TIMEOUT_MS)
    for role in ("waveform", "spectrogram"):
        order = engine.explained(role)
        last_in_view = max(order.index(index) for index in in_view)
        outside_before = [index for index in order[:last_in_view] if index not in in_view]
        assert len(outside_before) <= engine.batch_size, role  # at most the batch already running when it moved
    window.cancel_explanations()
    engine.gate.set()
    qtbot.waitUntil(lambda: window.explainer.resume_button.isVisibleTo(window), timeout=TIMEOUT_MS)

    def view_drawn() -> bool:  # the job publishes what is done when it sees the cancel; it arrives queued
        shown = window.displays.get("waveform")
        return shown is not None and shown.explanation.window_probabilities[sorted(in_view)].sum(axis=1).min() > 0

    qtbot.waitUntil(view_drawn, timeout=TIMEOUT_MS)  # the view's windows stay drawn after Cancel
    assert not _all_done(window)
    value_after_cancel = window.progress.value()

    progress = []
    window.progress.valueChanged.connect(progress.append)
    window.explainer.resume_button.click()
    qtbot.waitUntil(lambda: _all_done(window) and not window.runner.pending(), timeout=TIMEOUT_MS * 4)
    for role in ("waveform", "spectrogram"):
        order = engine.explained(role)
        assert sorted(order) == list(range(len(plan.starts))), role  # every window once: none recomputed
    assert progress == sorted(progress) and progress[0] >= value_after_cancel - 1  # never backwards
    assert window.extensions["tracks"].tracks["waveform"].done.all()

    reopen = GatedEngine()
    (tmp_path / "again").mkdir()
    second = _window(qtbot, tmp_path / "again", model_pair, reopen, tmp_path / "cache")
    written = []
    save = second.explainer.cache.save
    second.explainer.cache.save = lambda key, timeline: written.append(key) or save(key, timeline)
    second.open_file(path)
    qtbot.waitUntil(lambda: all(second.displays.values()) and not second.runner.pending(), timeout=TIMEOUT_MS * 4)
    assert reopen.explained("waveform") == reopen.explained("spectrogram") == []  # served from the cache
    assert written == []  # and the entries it was served from are not written again
    np.testing.assert_array_equal(
        second.displays["spectrogram"].explanation.window_probabilities,
        window.displays["spectrogram"].explanation.window_probabilities,
    )


def test_the_waveform_shows_before_the_models_are_loaded(qtbot, tmp_path, ten_minutes):
    from PySide6 import QtCore

    from audioxai_gui.ui.main_window import MainWindow

    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    window.show()
    window.open_file(ten_minutes[0])  # no backend yet: torch and the models are still loading
    qtbot.waitUntil(lambda: window.stack.panes["waveform"].peaks is not None, timeout=TIMEOUT_MS)
    assert window.backend is None
    assert window.stack.duration == pytest.approx(60 * MINUTES)
    assert "ten_minutes.wav" in window.windowTitle()


def test_a_partial_result_while_the_fill_goes_on_covers_the_view_and_a_margin():
    """An hour's fill redraws only around the view (its width three times, at least a minute, each side)."""
    from audioxai_gui.ui.progressive import around_view

    hour = (0, 3600 * 8000)
    assert around_view(hour, (1800.0, 1810.0), 8000) == (1740 * 8000, 1870 * 8000)
    assert around_view(hour, (600.0, 1200.0), 8000) == (0, 3000 * 8000)  # a 10-minute view: 30 minutes a side
    assert around_view((8000, 80000), (1800.0, 1810.0), 8000) == (8000, 80000)  # the view lies elsewhere
    assert around_view(hour, None, 8000) == hour


def test_a_zoomed_out_view_is_drawn_while_it_fills(qtbot, tmp_path, model_pair, ten_minutes):
    """With the whole ten minutes in view (1,200 windows per model), partial results are drawn as the fill goes
    on, not once at the end: a user looking at a whole recording sees it being explained."""
    path, plan = ten_minutes
    engine = GatedEngine()
    window = _window(qtbot, tmp_path, model_pair, engine, tmp_path / "cache")
    partial_done = []
    window.explainer.partial.connect(
        lambda role, token, display: partial_done.append(
            int((display.explanation.window_probabilities.sum(axis=1) > 0).sum())
        )
    )
    window.open_file(path)
    window.stack.set_time_range(0.0, 600.0)
    qtbot.waitUntil(lambda: _all_done(window) and not window.runner.pending(), timeout=TIMEOUT_MS * 4)
    assert any(0 < done < len(plan.starts) for done in partial_done), partial_done


def test_once_a_zoomed_in_view_is_drawn_the_fill_behind_it_is_redrawn_rarely(
    qtbot, tmp_path, model_pair, ten_minutes, monkeypatch, request
):
    """Every redraw of a long recording costs CPU the fill needs; behind a complete zoomed-in view (off screen)
    it waits PUBLISH_BEHIND_S, not PUBLISH_EVERY_S (made 0 here, as if every batch were due for a redraw)."""
    from audioxai_gui.ui import progressive

    monkeypatch.setattr(progressive, "PUBLISH_EVERY_S", 0.0)
    monkeypatch.setattr(progressive, "PUBLISH_COST_FACTOR", 0.0)
    monkeypatch.setattr(progressive, "PUBLISH_BEHIND_S", 3600.0)
    engine = GatedEngine()
    engine.gate = threading.Event()
    request.addfinalizer(engine.gate.set)
    window = _window(qtbot, tmp_path, model_pair, engine, tmp_path / "cache")
    partials = []
    window.explainer.partial.connect(lambda role, token, display: partials.append(role))
    window.open_file(ten_minutes[0])
    qtbot.waitUntil(lambda: engine.waiting.is_set(), timeout=TIMEOUT_MS)
    window.stack.set_time_range(300.0, 310.0)
    qtbot.waitUntil(lambda: window.explainer.view == (300.0, 310.0), timeout=TIMEOUT_MS)
    engine.gate.set()
    qtbot.waitUntil(lambda: _all_done(window) and not window.runner.pending(), timeout=TIMEOUT_MS * 4)
    assert sorted(partials) == ["spectrogram", "waveform"]  # the complete view, once per model; then the end
