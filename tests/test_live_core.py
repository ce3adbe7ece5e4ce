"""Live core without a device: ring buffer, newest-wins scheduling, energy gate, onsets, capture plumbing."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from audioxai_gui.audio.io import resample
from audioxai_gui.live.capture import CaptureError, LiveCapture, list_input_devices
from audioxai_gui.live.onset import ONSET_MIN_DBFS, OnsetDetector
from audioxai_gui.live.ringbuffer import RingBuffer
from audioxai_gui.live.scheduler import SILENCE_FLOOR_DBFS, LatestWinsScheduler, rms_dbfs, should_analyse

REPO_ROOT = Path(__file__).resolve().parents[1]


def ramp(start: int, stop: int) -> np.ndarray:
    return np.arange(start, stop, dtype=np.float32)


# ---------------------------------------------------------------- RingBuffer


def test_ring_buffer_reads_across_the_wrap_in_order():
    ring = RingBuffer(10)
    ring.write(ramp(0, 7))
    assert ring.read_new().samples.tolist() == list(range(7))
    ring.write(ramp(7, 14))  # occupies slots 7, 8, 9, 0, 1, 2, 3

    samples, lost = ring.read_new()

    assert samples.tolist() == list(range(7, 14)) and lost == 0
    assert ring.total_written == 14 and ring.overflow_samples == 0
    assert ring.read_new().samples.size == 0


def test_ring_buffer_counts_unread_samples_it_overwrites():
    ring = RingBuffer(10)
    for start in range(0, 25, 5):
        ring.write(ramp(start, start + 5))
    assert ring.overflow_samples == 15

    samples, lost = ring.read_new()
    assert samples.tolist() == list(range(15, 25)) and lost == 15

    ring.write(ramp(25, 28))
    assert ring.read_new() == (pytest.approx([25, 26, 27]), 0)
    assert ring.overflow_samples == 15


def test_ring_buffer_block_longer_than_capacity_keeps_its_end():
    ring = RingBuffer(10)
    ring.write(ramp(0, 23))

    samples, lost = ring.read_new()

    assert samples.tolist() == list(range(13, 23)) and lost == 13 == ring.overflow_samples


def test_latest_spans_the_wrap_and_does_not_consume():
    ring = RingBuffer(8)
    for start in range(0, 13, 5):
        ring.write(ramp(start, min(start + 5, 13)))

    assert ring.latest(6).tolist() == list(range(7, 13))
    assert ring.latest(8).tolist() == list(range(5, 13))
    assert ring.read_new().samples.tolist() == list(range(5, 13))


def test_latest_zero_pads_before_enough_was_written():
    ring = RingBuffer(8)
    ring.write(np.array([1.0, 2.0], dtype=np.float32))

    assert ring.latest(4).tolist() == [0.0, 0.0, 1.0, 2.0]
    assert ring.latest(0).size == 0


def test_ring_buffer_rejects_bad_arguments_with_the_reason():
    with pytest.raises(ValueError, match="capacity"):
        RingBuffer(0)
    ring = RingBuffer(8)
    with pytest.raises(ValueError, match="1-D"):
        ring.write(np.zeros((4, 2), dtype=np.float32))
    with pytest.raises(ValueError, match=r"0\.\.8"):
        ring.latest(9)


class WriterRunsDuringCopy(RingBuffer):
    """Replays the race deterministically: the writer gets the GIL while the reader is copying."""

    def __init__(self, capacity: int, block_written_during_copy: np.ndarray):
        super().__init__(capacity)
        self.block_written_during_copy = block_written_during_copy

    def _copy_out(self, start_total: int, end_total: int) -> np.ndarray:
        copied = super()._copy_out(start_total, end_total)
        if self.block_written_during_copy is not None:
            block, self.block_written_during_copy = self.block_written_during_copy, None
            self.write(block)
        return copied


@pytest.mark.parametrize(
    ("written_before", "written_during_copy", "first_read", "first_lost"),
    [
        (9, 5, [4, 5, 6, 7, 8], 4),  # slots of 0..3 were rewritten with 10..13 mid-copy
        (5, 25, [], 20),  # the writer lapped the reader: all it copied (and 5..19) is gone
    ],
)
def test_read_racing_a_write_drops_and_counts_the_overwritten_part(
    written_before, written_during_copy, first_read, first_lost
):
    end = written_before + written_during_copy
    ring = WriterRunsDuringCopy(10, block_written_during_copy=ramp(written_before, end))
    ring.write(ramp(0, written_before))

    samples, lost = ring.read_new()

    assert samples.tolist() == first_read and lost == first_lost == ring.overflow_samples
    assert ring.read_new() == (pytest.approx(list(range(max(written_before, end - 10), end))), 0)


def test_concurrent_writer_and_reader_see_a_contiguous_ramp():
    """A writer thread streams a counting ramp; every read must be a contiguous run following the gap."""
    capacity, block, total = 2048, 441, 441 * 2000
    ring = RingBuffer(capacity)
    writer_done = threading.Event()

    def write_ramp():
        for start in range(0, total, block):
            ring.write(ramp(start, start + block))
            if start % (block * 50) == 0:
                time.sleep(0.001)  # let the reader catch up sometimes, so both paths are exercised
        writer_done.set()

    writer = threading.Thread(target=write_ramp)
    writer.start()
    expected_next, total_lost = 0, 0
    while not writer_done.is_set() or ring.total_written > expected_next + total_lost:
        samples, lost = ring.read_new()
        if samples.size:
            assert samples[0] == expected_next + total_lost + lost
            assert np.all(np.diff(samples) == 1.0)
        total_lost += lost
        expected_next += samples.size
    writer.join()

    assert expected_next + total_lost == total
    assert total_lost == ring.overflow_samples
    assert expected_next > capacity  # the reader did get data, not only losses


# ---------------------------------------------------------------- LatestWinsScheduler


def start_worker(scheduler: LatestWinsScheduler, processed: list, hold: threading.Event | None = None):
    """A worker that records each request it takes, optionally blocking on ``hold`` after the first."""

    def work():
        while (request := scheduler.take()) is not None:
            processed.append(request)
            if hold is not None:
                hold.wait()

    worker = threading.Thread(target=work)
    worker.start()
    return worker


def test_submissions_while_worker_is_busy_leave_only_the_newest():
    scheduler = LatestWinsScheduler()
    processed, hold = [], threading.Event()
    worker = start_worker(scheduler, processed, hold)
    scheduler.submit(0)
    while not processed:
        time.sleep(0.001)

    for request in range(1, 101):
        scheduler.submit(request)

    assert scheduler.has_pending and scheduler.dropped == 99 and scheduler.submitted == 101
    hold.set()
    while scheduler.has_pending:
        time.sleep(0.001)
    scheduler.close()
    worker.join(timeout=2)
    assert processed == [0, 100]


def test_slow_worker_only_ever_moves_forward_and_gets_the_last_request():
    scheduler = LatestWinsScheduler()
    processed = []

    def slow_work():
        while (request := scheduler.take()) is not None:
            processed.append(request)
            time.sleep(0.002)

    worker = threading.Thread(target=slow_work)
    worker.start()
    for request in range(300):
        scheduler.submit(request)
        time.sleep(0.0002)
    while scheduler.has_pending:
        time.sleep(0.001)
    scheduler.close()
    worker.join(timeout=2)

    assert processed == sorted(set(processed)) and processed[-1] == 299
    assert len(processed) + scheduler.dropped == 300 and scheduler.dropped > 0


def test_close_wakes_a_waiting_worker():
    scheduler = LatestWinsScheduler()
    taken = []
    worker = threading.Thread(target=lambda: taken.append(scheduler.take()))
    worker.start()
    time.sleep(0.05)

    scheduler.close()
    worker.join(timeout=1)

    assert not worker.is_alive() and taken == [None]
    with pytest.raises(RuntimeError, match="closed"):
        scheduler.submit(1)


def test_take_times_out_and_none_cannot_be_submitted():
    scheduler = LatestWinsScheduler()
    assert scheduler.take(timeout=0.01) is None and not scheduler.closed
    with pytest.raises(ValueError, match="None"):
        scheduler.submit(None)


# ---------------------------------------------------------------- energy gate


def test_rms_dbfs_of_known_signals():
    t = np.arange(8000) / 8000
    assert rms_dbfs(np.sin(2 * np.pi * 100 * t)) == pytest.approx(-3.0103, abs=1e-3)
    assert rms_dbfs(np.full(100, 0.1)) == pytest.approx(-20.0, abs=1e-9)
    assert rms_dbfs(np.zeros(100)) == SILENCE_FLOOR_DBFS == rms_dbfs(np.array([]))
    with pytest.raises(ValueError, match="NaN"):
        rms_dbfs(np.array([0.1, np.nan]))


def test_energy_gate_passes_speech_level_and_blocks_hiss():
    t = np.arange(8000) / 8000
    tone = np.sin(2 * np.pi * 440 * t)
    assert should_analyse(0.1 * tone, threshold_db=-40.0, block=100)  # about -23 dBFS
    assert not should_analyse(0.001 * tone, threshold_db=-40.0, block=100)  # about -63 dBFS
    assert should_analyse(np.full(10, 0.01), threshold_db=-40.0, block=5)  # exactly at the threshold


def test_gate_opens_as_soon_as_the_newest_block_is_loud():
    window = np.zeros(8000)
    window[-500:] = 0.03  # a word just starting: -36.5 dBFS over its 2000-sample block, -42.5 over the window
    assert rms_dbfs(window) < -40.0
    assert should_analyse(window, threshold_db=-40.0, block=2000)
    assert not should_analyse(np.full(8000, 1e-4), threshold_db=-40.0, block=2000)


# ---------------------------------------------------------------- onsets

ONSET_RATE = 8000  # blocks of 80 samples


def sine(seconds: float, dbfs: float, hz: float = 440.0) -> np.ndarray:
    """A sine whose RMS level is ``dbfs``."""
    t = np.arange(round(seconds * ONSET_RATE)) / ONSET_RATE
    return (np.sqrt(2) * 10 ** (dbfs / 20) * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def white_noise(seconds: float, dbfs: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (10 ** (dbfs / 20) * rng.standard_normal(round(seconds * ONSET_RATE))).astype(np.float32)


def onsets_of(stream: np.ndarray, gate_dbfs: float | None = None, chunks: int = 1) -> list[int]:
    """Onsets found when ``stream`` is pushed in ``chunks`` uneven pieces, as polls drain it."""
    detector = OnsetDetector(ONSET_RATE)
    cuts = np.sort(np.random.default_rng(chunks).choice(np.arange(1, len(stream)), chunks - 1, replace=False))
    return [onset for piece in np.split(stream, cuts) for onset in detector.push(piece, gate_dbfs)]


@pytest.mark.parametrize("chunks", [1, 7, 301])
def test_silence_then_a_lasting_tone_is_one_onset_at_the_block_where_it_starts(chunks):
    stream = np.concatenate([np.zeros(4000, np.float32), sine(3.0, -20.0)])
    assert onsets_of(stream, chunks=chunks) == [4000]
    assert onsets_of(stream, gate_dbfs=-30.0, chunks=chunks) == [4000]


def test_steady_noise_and_sound_from_the_first_block_are_no_onsets():
    assert onsets_of(white_noise(10.0, -40.0), chunks=500) == []
    assert onsets_of(sine(2.0, -20.0), gate_dbfs=-50.0) == []


def test_an_onset_must_rise_over_the_noise_floor_or_reach_the_gate():
    noise = white_noise(2.0, -40.0)
    slight = noise + np.concatenate([np.zeros(8000, np.float32), sine(1.0, -40.0)])  # 3 dB louder
    clear = noise + np.concatenate([np.zeros(8000, np.float32), sine(1.0, -20.0)])
    assert onsets_of(slight) == [] and onsets_of(clear) == [8000]
    quiet_tone = np.concatenate([np.zeros(4000, np.float32), sine(1.0, -40.0)])
    assert onsets_of(quiet_tone) == [4000] and onsets_of(quiet_tone, gate_dbfs=-30.0) == []
    hum = np.concatenate([np.zeros(4000, np.float32), sine(1.0, ONSET_MIN_DBFS - 5)])
    assert onsets_of(hum) == []


def test_words_after_pauses_and_a_soft_start_each_give_an_onset():
    pause, breath, vowel = np.zeros(4000, np.float32), white_noise(0.1, -45.0), sine(0.4, -15.0)
    stream = np.concatenate([pause, vowel, pause, breath, vowel, pause])
    assert onsets_of(stream, gate_dbfs=-50.0, chunks=40) == [4000, 11200, 12000]


def test_a_level_hovering_at_the_gate_is_one_onset():
    hovering = np.concatenate([sine(0.01, -31.0 + 2 * (block % 2)) for block in range(200)])
    assert onsets_of(np.concatenate([np.zeros(4000, np.float32), hovering]), gate_dbfs=-30.0) == [4080]


# ---------------------------------------------------------------- resampling


@pytest.mark.parametrize("from_rate", [44100, 48000, 16000])
def test_resampling_a_live_chunk_keeps_frequency_and_level(from_rate):
    t = np.arange(from_rate) / from_rate
    tone = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)

    resampled = resample(tone, from_rate, 8000)

    assert resampled.dtype == np.float32 and resampled.shape == (8000,)
    spectrum = np.abs(np.fft.rfft(resampled))
    assert np.argmax(spectrum) == 1000  # 1 Hz bins for one second
    assert rms_dbfs(resampled[400:-400]) == pytest.approx(rms_dbfs(tone), abs=0.1)


def test_resampling_rejects_bad_rates_and_shapes():
    with pytest.raises(ValueError, match="from_rate"):
        resample(np.zeros(10), 0, 8000)
    with pytest.raises(ValueError, match="to_rate"):
        resample(np.zeros(10), 8000, 22050.5)
    with pytest.raises(ValueError, match="1-D"):
        resample(np.zeros((10, 2)), 16000, 8000)
    same = np.ones(5, dtype=np.float32)
    assert resample(same, 8000, 8000) is not same


# ---------------------------------------------------------------- capture plumbing (fake PortAudio)


class FakePortAudioError(Exception):
    pass


class FakeCallbackAbort(Exception):
    pass


class FakeSoundDevice:
    """Just enough of sounddevice to drive LiveCapture's device choice, callback and error paths."""

    PortAudioError = FakePortAudioError
    CallbackAbort = FakeCallbackAbort

    def __init__(self, devices: list[dict], default_input: int = -1, open_error: Exception | None = None):
        self.devices = [{**info, "index": index} for index, info in enumerate(devices)]
        self.default = SimpleNamespace(device=[default_input, -1])
        self.open_error = open_error
        self.streams: list[FakeStream] = []

    def query_devices(self, device=None):
        if device is None:
            return self.devices
        if isinstance(device, str):
            matches = [info for info in self.devices if device in info["name"]]
            if not matches:
                raise ValueError(f"No input/output device matching {device!r}")
            return matches[0]
        if not 0 <= device < len(self.devices):
            raise FakePortAudioError(f"Error querying device {device}")
        return self.devices[device]

    def InputStream(self, **settings):  # noqa: N802 - mirrors sounddevice's class name
        if self.open_error is not None:
            raise self.open_error
        stream = FakeStream(settings)
        self.streams.append(stream)
        return stream


class FakeStream:
    def __init__(self, settings: dict):
        self.settings = settings
        self.active = False
        self.closed = False

    def start(self):
        self.active = True

    def deliver(self, block: np.ndarray, overflow: bool = False):
        status = SimpleNamespace(input_overflow=overflow, input_underflow=False)
        self.settings["callback"](block.astype(np.float32), len(block), None, status)

    def die(self):
        self.active = False
        self.settings["finished_callback"]()

    def close(self, ignore_errors=True):
        if self.active:
            self.die()
        self.closed = True


STEREO_MIC = {"name": "USB Mic", "max_input_channels": 2, "default_samplerate": 48000.0}
SPEAKERS = {"name": "Speakers", "max_input_channels": 0, "default_samplerate": 48000.0}


@pytest.fixture
def fake_sd(monkeypatch):
    fake = FakeSoundDevice([SPEAKERS, STEREO_MIC], default_input=1)
    monkeypatch.setitem(sys.modules, "sounddevice", fake)
    return fake


def test_capture_opens_default_device_at_native_rate_and_mixes_to_mono(fake_sd):
    capture = LiveCapture(block_seconds=0.02, buffer_seconds=1.0)
    capture.start()
    stream = fake_sd.streams[0]

    stream.deliver(np.column_stack([np.full(960, 0.2), np.full(960, 0.6)]))
    stream.deliver(np.zeros((960, 2)), overflow=True)

    assert stream.settings["samplerate"] == 48000 and stream.settings["channels"] == 2
    assert stream.settings["blocksize"] == 960 and stream.settings["device"] == 1
    assert capture.sample_rate == 48000 and capture.buffer.capacity == 48000
    assert capture.buffer.read_new().samples[:960] == pytest.approx(np.full(960, 0.4))
    assert capture.overflow_count == 1
    assert capture.level_dbfs(0.02) == SILENCE_FLOOR_DBFS
    assert capture.level_dbfs(0.04) == pytest.approx(20 * np.log10(0.4) - 10 * np.log10(2), abs=1e-4)
    capture.stop()
    capture.stop()
    assert stream.closed and capture.error is None and not capture.is_running


def test_capture_reports_a_dying_stream_but_not_its_own_stop(fake_sd):
    capture = LiveCapture()
    capture.start()
    fake_sd.streams[0].die()

    assert "'USB Mic' (device 1)" in str(capture.error) and "stopped unexpectedly" in str(capture.error)
    assert not capture.is_running
    capture.stop()
    capture.start()  # a restart clears the error of the previous stream
    assert capture.error is None and capture.is_running and len(fake_sd.streams) == 2


def test_capture_failure_inside_the_callback_aborts_with_an_error(fake_sd):
    capture = LiveCapture()
    capture.start()
    with pytest.raises(FakeCallbackAbort):
        fake_sd.streams[0].deliver(np.zeros((960, 2, 1)))

    assert "failed in the callback" in str(capture.error) and "USB Mic" in str(capture.error)


@pytest.mark.parametrize(
    ("devices", "default_input", "device", "message"),
    [
        ([SPEAKERS], -1, None, "no input device"),
        ([SPEAKERS, STEREO_MIC], 1, "Webcam", "no input device matches 'Webcam'"),
        ([SPEAKERS, STEREO_MIC], 1, 7, "no input device matches 7"),
        ([SPEAKERS, STEREO_MIC], 1, "Speakers", "'Speakers' (device 0) has no input channels"),
    ],
)
def test_capture_device_choice_errors_name_the_device(monkeypatch, devices, default_input, device, message):
    monkeypatch.setitem(sys.modules, "sounddevice", FakeSoundDevice(devices, default_input))

    with pytest.raises(CaptureError, match=message.replace("(", r"\(").replace(")", r"\)")):
        LiveCapture(device=device).start()


@pytest.mark.parametrize(
    ("open_error", "reason"),
    [
        (FakePortAudioError("Invalid sample rate", -9997), "sample rate is not supported"),
        (FakePortAudioError("Device unavailable", -9985), "busy or unavailable"),
        (FakePortAudioError("Unanticipated host error", -9999, (0, -13, "Permission denied")), "permission"),
    ],
)
def test_capture_open_errors_name_device_rate_and_reason(monkeypatch, open_error, reason):
    monkeypatch.setitem(sys.modules, "sounddevice", FakeSoundDevice([STEREO_MIC], 0, open_error))

    with pytest.raises(CaptureError) as raised:
        LiveCapture().start()

    assert "'USB Mic' (device 0) at 48000 Hz" in str(raised.value) and reason in str(raised.value)


def test_capture_without_portaudio_raises_capture_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # what a failed import looks like

    with pytest.raises(CaptureError, match="sounddevice/PortAudio"):
        list_input_devices()


def test_capture_module_imports_without_loading_sounddevice():
    probe = "import sys, audioxai_gui.live.capture; print('sounddevice' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
