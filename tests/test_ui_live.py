"""Live mode on the analysis window, offscreen, with a fake capture the test feeds sample by sample."""

from __future__ import annotations

import gc
import threading
import weakref

import numpy as np
import pytest
import soundfile as sf
from PySide6 import QtCore

from audioxai_gui.features import spectrogram_db
from audioxai_gui.live.capture import CaptureError, InputDevice
from audioxai_gui.live.ringbuffer import RingBuffer
from audioxai_gui.live.scheduler import rms_dbfs
from audioxai_gui.ui.live.history import ScrollingHistory
from audioxai_gui.ui.live.trail import paste
from audioxai_gui.ui.tracks.model import NO_SOUND
from tests.ui_support import TIMEOUT_MS, make_backend, new_window

CAPTURE_RATE = 16000  # not the models' 8 kHz, so every path resamples


class FakeCapture:
    """LiveCapture's interface over a RingBuffer the test writes into; ``start_error`` makes start fail."""

    start_error: CaptureError | None = None
    created: list[FakeCapture] = []

    def __init__(self, device=None, block_seconds=0.02, buffer_seconds=30.0, *, sample_rate=None):
        self.sample_rate = CAPTURE_RATE
        self.buffer = RingBuffer(round(buffer_seconds * CAPTURE_RATE))
        self.device = InputDevice(0, "fake mic", CAPTURE_RATE, 1, True)
        self.error: CaptureError | None = None
        self.overflow_count = 0
        self.running = False
        FakeCapture.created.append(self)

    def start(self):
        if FakeCapture.start_error is not None:
            raise FakeCapture.start_error
        self.running = True

    def stop(self):
        self.running = False

    def level_dbfs(self, seconds=0.1):
        return rms_dbfs(self.buffer.latest(min(self.buffer.capacity, round(seconds * CAPTURE_RATE))))


class GatedEngine:
    """The real engine behind a gate: each explanation waits until the test opens it (a slow model)."""

    def __init__(self, engine):
        self.engine = engine
        self.open = threading.Event()
        self.open.set()
        self.calls = 0

    @property
    def device_name(self) -> str:
        return self.engine.device_name

    def explain(self, *args, **kwargs):
        self.calls += 1
        self.open.wait(TIMEOUT_MS / 1000)
        return self.engine.explain(*args, **kwargs)


def tone(seconds: float, amplitude: float = 0.5, hz: float = 440.0) -> np.ndarray:
    t = np.arange(round(seconds * CAPTURE_RATE)) / CAPTURE_RATE
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


@pytest.fixture(scope="module")
def engine():
    from audioxai_gui.explain.engine import ExplanationEngine

    return ExplanationEngine("cpu")


@pytest.fixture
def window(qtbot, tmp_path, random_pair, engine):

    waveform, spectrogram = random_pair
    window = new_window(qtbot, tmp_path, make_backend(GatedEngine(engine), random_pair))
    FakeCapture.start_error = None
    FakeCapture.created = []
    live = window.extensions["live"]
    live.capture_factory = FakeCapture
    live.device_lister = lambda: [InputDevice(0, "fake mic", CAPTURE_RATE, 1, True)]
    live.panel.view_seconds.setValue(5.0)
    yield window
    live.stop()


def feed(live, samples: np.ndarray) -> None:
    live.pipeline.capture.buffer.write(samples)
    live.tick()


def wait_results(qtbot, live, count: int) -> None:
    qtbot.waitUntil(lambda: (live.tick() or True) and live.pipeline.analyser.analysed >= count, timeout=TIMEOUT_MS)
    live.tick()


# ---------------------------------------------------------------- Qt-free parts the view relies on


def test_scrolling_spectrogram_equals_the_spectrogram_of_the_whole_history(random_pair):
    grid = random_pair[1].card.features
    history = ScrollingHistory(grid, grid.sample_rate, seconds=1.0)
    rng = np.random.default_rng(0)
    stream = (0.3 * rng.standard_normal(int(1.7 * grid.sample_rate))).astype(np.float32)
    for chunk in np.array_split(stream, 37):  # odd chunk sizes: hops straddle pushes
        history.push(chunk)
    whole = spectrogram_db(history.samples, grid)[:, : history.n_columns]
    shifted = history.end_samples
    assert shifted == len(stream) // grid.framing.hop_length * grid.framing.hop_length
    np.testing.assert_array_equal(history.samples, stream[shifted - len(history.samples) : shifted])
    # The newest columns see zeros after the last sample, exactly as the centred STFT pads; the two oldest
    # differ on purpose: their frames reach back into audio that has scrolled out (the STFT sees zeros).
    edge = grid.framing.n_fft // 2 // grid.framing.hop_length
    np.testing.assert_allclose(history.db[:, edge:], whole[:, edge:], atol=1e-3)
    assert history.start_seconds == pytest.approx((shifted - len(history.samples)) / grid.sample_rate)


def test_paste_cuts_what_falls_outside():
    values = np.arange(1, 6, dtype=np.float32)
    timeline = np.zeros(6, np.float32)
    paste(timeline, values, 1.0, 2.0)
    np.testing.assert_array_equal(timeline, [0, 0, 1, 2, 3, 4])
    timeline = np.full(4, 9, np.float32)
    paste(timeline, values, 1.0, -3.0)
    np.testing.assert_array_equal(timeline, [4, 5, 9, 9])  # what is not covered keeps its older value
    image = np.zeros((2, 6), np.float32)
    paste(image, np.ones((2, 3)), 0.5, 1.0)
    assert image[:, 2:5].all() and not image[:, [0, 1, 5]].any()


# ---------------------------------------------------------------- the controller on the window


def test_ctrl_r_starts_live_mode_and_every_hop_is_analysed_by_both_models(qtbot, window):
    live = window.extensions["live"]
    assert live.live_action.shortcut().toString() == "Ctrl+R"
    live.live_action.trigger()
    assert live.active and window.centralWidget() is live.view.widget and live.dock.isVisible()
    feed(live, tone(1.0))  # four hops late: one request for the newest window, not four
    assert live.pipeline.analyser.scheduler.submitted == 1
    feed(live, tone(0.1))
    assert live.pipeline.analyser.scheduler.submitted == 1  # the next hop is due at 1.25 s
    feed(live, tone(0.15))
    assert live.pipeline.analyser.scheduler.submitted == 2
    wait_results(qtbot, live, 2)
    result = live.latest_result
    assert result.request.end_seconds == pytest.approx(1.25)
    assert set(result.explanations) == {"waveform", "spectrogram"}
    assert live.panel.classes.explanations["spectrogram"] is result.explanations["spectrogram"]
    assert all(track.done.sum() == 2 and track.has_sound[track.done].all() for track in live.view.tracks)
    # Both windows' relevance is on screen (a trail): the stream is 1.25 s old, so in the 5 s view the first
    # window (stream 0..1 s) sits at 3.75..4.75 s and the second (0.25..1.25 s) at 4..5 s, newer over older.
    waveform_pane = live.view.stack.panes["waveform"]
    relevance_seconds = np.flatnonzero(waveform_pane.relevance.values) / waveform_pane.relevance_rate
    oldest = relevance_seconds.min()
    assert 3.75 - 0.01 <= oldest < 4.0 - 0.05 and relevance_seconds.max() <= 5.0  # the first window's stays
    overlay = live.view.stack.panes["spectrogram"].overlay.pyramid.image
    hop_seconds = 64 / 8000
    columns = np.flatnonzero(np.abs(overlay).sum(axis=0)) * hop_seconds
    assert 3.75 - 2 * hop_seconds <= columns.min() < 4.0 - 0.05 and columns.max() <= 5.0
    assert "analysed 2" in live.panel.counters.text()
    # The trail scrolls with the spectrogram: 1 s later the first window sits 1 s further left.
    live.pipeline.settings.gate_enabled = False
    feed(live, np.zeros(CAPTURE_RATE // 4, np.float32))
    wait_results(qtbot, live, 3)
    for _ in range(3):
        feed(live, np.zeros(CAPTURE_RATE // 4, np.float32))
    relevance_seconds = np.flatnonzero(waveform_pane.relevance.values) / waveform_pane.relevance_rate
    assert relevance_seconds.min() == pytest.approx(oldest - 1.0, abs=0.05)  # (the resampler delays a little)


def test_a_slow_engine_drops_the_oldest_windows_and_analyses_the_newest(qtbot, window):
    live = window.extensions["live"]
    gated = window.backend.engine
    live.start()
    gated.open.clear()
    feed(live, tone(0.25))  # taken by the worker at once, which then blocks in the engine
    qtbot.waitUntil(lambda: gated.calls == 1, timeout=TIMEOUT_MS)
    for _ in range(4):
        feed(live, tone(0.25))
    analyser = live.pipeline.analyser
    assert analyser.scheduler.submitted == 5 and analyser.dropped == 3
    gated.open.set()
    wait_results(qtbot, live, 2)
    assert live.latest_result.request.end_seconds == pytest.approx(1.25)  # the newest window won
    assert "dropped 3" in live.panel.counters.text()


def test_the_energy_gate_skips_quiet_windows(qtbot, window):
    live = window.extensions["live"]
    live.panel.gate_enabled.setChecked(True)
    live.panel.gate_dbfs.setValue(-30.0)
    live.start()
    feed(live, tone(0.5, amplitude=0.001))  # about -63 dBFS
    assert live.pipeline.gated == 1 and live.pipeline.analyser.scheduler.submitted == 0
    for track in live.view.tracks:  # silence is not a class
        assert [int(c) for c in track.top[track.done]] == [NO_SOUND]
        assert track.label_at(track.centres[track.done][0]) == "no sound"
    assert live.panel.classes.agreement.text().startswith("no sound")
    feed(live, tone(0.25, amplitude=0.9))  # the window's RMS rises above -30 dBFS: an onset, analysed at once
    assert live.pipeline.analyser.scheduler.submitted == 1 and live.pipeline.onset_analyses == 1
    live.panel.gate_enabled.setChecked(False)  # applies while running
    feed(live, tone(0.25, amplitude=0.0))
    assert live.pipeline.analyser.scheduler.submitted == 2 and live.pipeline.gated == 1


def test_the_gate_is_on_by_default_and_follows_the_noise_floor(qtbot, window):
    live = window.extensions["live"]
    assert live.panel.gate_enabled.isChecked()
    live.start()
    feed(live, tone(2.0, amplitude=0.003))  # steady room noise at about -53 dBFS: the floor settles on it
    assert live.pipeline.gated >= 1 and live.pipeline.analyser.scheduler.submitted == 0
    floor = live.pipeline._onsets.floor_db
    assert floor == pytest.approx(-53.5, abs=1.0) and live.pipeline.gate_threshold() == pytest.approx(floor + 10)
    feed(live, tone(0.25, amplitude=0.03))  # 20 dB over the noise (yet below -40 dBFS): a sound
    assert live.pipeline.analyser.scheduler.submitted == 1


def test_a_sound_starting_is_analysed_at_once_and_the_hops_continue_from_it(qtbot, window):
    live = window.extensions["live"]
    assert live.panel.onset_trigger.isChecked()
    live.panel.gate_enabled.setChecked(False)  # the hop over silence at 0.3 s is analysed too
    live.start()
    analyser, window_ends = live.pipeline.analyser, []
    submit = analyser.submit
    analyser.submit = lambda request: window_ends.append(round(request.end_seconds, 3)) or submit(request)
    feed(live, np.zeros(round(0.3 * CAPTURE_RATE), np.float32))  # the hop due at 0.25 s is analysed up to 0.3 s
    feed(live, tone(0.02))  # the onset, 30 ms before the next hop
    feed(live, tone(0.2))  # the old hop clock would analyse at 0.5 s, right after the onset's window
    feed(live, tone(0.05))  # a hop after the onset
    feed(live, tone(1.0))  # the tone stays loud: hops only
    assert window_ends == [0.3, 0.32, 0.57, 1.57] and live.pipeline.onset_analyses == 1
    live.panel.onset_trigger.setChecked(False)  # applies while running
    feed(live, np.zeros(round(0.25 * CAPTURE_RATE), np.float32))
    feed(live, tone(0.02))
    assert window_ends[4:] == [1.82] and live.pipeline.onset_analyses == 1
    assert "1 analysed at once when a sound began" in live.panel.counters.text()


def test_a_finished_analysis_is_drawn_without_waiting_for_the_timer(qtbot, window):
    live = window.extensions["live"]
    live.start()
    live.timer.stop()
    live.pipeline.capture.buffer.write(tone(0.3))
    live.pipeline.poll()  # submits the hop; only the worker's signal can tick from here on
    qtbot.waitUntil(lambda: live.latest_result is not None, timeout=TIMEOUT_MS)
    assert live.latest_result.request.end_seconds == pytest.approx(0.3)


def test_freeze_opens_the_captured_seconds_in_the_analysis_view(qtbot, window):
    live = window.extensions["live"]
    live.start()
    samples = tone(2.0, amplitude=0.4)
    feed(live, samples)
    path = live.freeze()
    assert not live.active and window.centralWidget() is window.stack.widget and not live.dock.isVisible()
    qtbot.waitUntil(lambda: window.clip is not None, timeout=TIMEOUT_MS)
    assert window.clip.path == path
    assert window.clip.audio.sample_rate == CAPTURE_RATE
    np.testing.assert_allclose(window.clip.audio.samples, samples, atol=1e-4)
    window.close()
    assert not path.exists() and not path.parent.exists()  # the captured seconds do not outlive the window


def test_frozen_captures_of_processes_that_died_are_removed_and_running_ones_kept(tmp_path):
    import os
    import subprocess
    import sys

    from audioxai_gui.ui.live.controller import FREEZE_FOLDER_PREFIX, remove_orphan_freeze_folders

    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = tmp_path / f"{FREEZE_FOLDER_PREFIX}{finished.stdout.strip()}-x1"
    alive = tmp_path / f"{FREEZE_FOLDER_PREFIX}{os.getpid()}-x2"
    for folder in (dead, alive):
        folder.mkdir()
        (folder / "live-1.wav").write_bytes(b"RIFF")
    assert remove_orphan_freeze_folders(tmp_path) == [dead]
    assert not dead.exists() and (alive / "live-1.wav").exists()


def test_space_freezes_in_live_mode_and_plays_otherwise(qtbot, window):
    live = window.extensions["live"]
    space_actions = [a for a in window.actions() if QtCore.Qt.Key.Key_Space in [s[0].key() for s in a.shortcuts()]]
    assert live.freeze_action in space_actions and len(space_actions) == 2
    enabled = lambda: [a for a in space_actions if a.isEnabled()]  # noqa: E731
    assert enabled() != [live.freeze_action]
    live.start()
    assert enabled() == [live.freeze_action]  # one owner of Space, so Qt does not call it ambiguous
    live.stop()
    assert live.freeze_action not in enabled() and len(enabled()) == 1


def test_record_writes_the_stream_from_start_to_stop_as_wav(qtbot, window, tmp_path):
    live = window.extensions["live"]
    live.start()
    feed(live, tone(0.3))  # before recording: not in the file
    live.start_recording()
    rng = np.random.default_rng(1)
    recorded = (0.2 * rng.standard_normal(12345)).astype(np.float32)
    for chunk in np.array_split(recorded, 7):
        feed(live, chunk)
    saved = live.stop_recording(tmp_path / "take")
    assert saved == tmp_path / "take.wav"
    data, rate = sf.read(saved, dtype="float32")
    assert rate == CAPTURE_RATE
    np.testing.assert_allclose(data, recorded, atol=1.0 / 32768)
    history = live.save_buffer(tmp_path / "history.wav")
    data, _ = sf.read(history, dtype="float32")
    assert len(data) == len(recorded) + round(0.3 * CAPTURE_RATE)


def test_a_device_that_vanishes_stops_live_mode_with_a_message(qtbot, window):
    live = window.extensions["live"]
    live.start()
    feed(live, tone(0.3))
    capture = live.pipeline.capture
    capture.error = CaptureError("recording from 'fake mic' (device 0) stopped unexpectedly: the device vanished")
    live.tick()
    assert not live.active and not capture.running and not live.live_action.isChecked()
    assert "'fake mic' (device 0) stopped unexpectedly" in window.statusBar().currentMessage()
    assert window.centralWidget() is window.stack.widget
    assert threading.active_count() == len([t for t in threading.enumerate() if "live" not in t.name])


@pytest.mark.parametrize(
    "reason", ["permission denied: this user may not record", "the sample rate is not supported by the device"]
)
def test_a_device_that_cannot_start_leaves_the_window_in_analysis_mode(qtbot, window, reason):
    live = window.extensions["live"]
    FakeCapture.start_error = CaptureError(f"cannot record from 'fake mic' (device 0) at 16000 Hz: {reason}")
    live.live_action.trigger()
    assert not live.active and not live.live_action.isChecked()
    assert reason in window.statusBar().currentMessage()
    assert window.centralWidget() is window.stack.widget


def test_live_mode_waits_for_the_models(qtbot, window):
    live = window.extensions["live"]
    window.backend = None
    assert not live.start()
    assert "still loading" in window.statusBar().currentMessage()


def test_a_hundred_start_stop_cycles_leak_no_thread_stream_or_session(qtbot, window):
    live = window.extensions["live"]
    threads_before = threading.active_count()
    sessions = []
    for cycle in range(100):
        assert live.start()
        if cycle % 10 == 0:
            feed(live, tone(0.3))
        sessions.append(weakref.ref(live.pipeline))
        live.stop()
    assert threading.active_count() == threads_before
    assert len(FakeCapture.created) == 100 and not any(capture.running for capture in FakeCapture.created)
    FakeCapture.created = []
    live.latest_result = None
    gc.collect()
    assert sum(ref() is not None for ref in sessions) == 0
    assert window.centralWidget() is window.stack.widget
