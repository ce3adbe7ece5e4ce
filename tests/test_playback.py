"""Player with an injected fake stream, device errors, and the 'hear the evidence' audio."""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest

from audioxai_gui.audio.playback import PlaybackError, Player, explanation_audio


class FakeStream:
    """Stands in for sounddevice.OutputStream: the test pulls blocks the way the audio thread would."""

    def __init__(self, **stream_args):
        self.args = stream_args
        self.started = self.stopped = self.closed = False

    def start(self):
        self.started = True

    def stop(self):
        self.stopped = True

    def close(self):
        self.closed = True

    def pull(self, frames: int) -> np.ndarray:
        outdata = np.full((frames, self.args["channels"]), np.nan, dtype=np.float32)
        self.args["callback"](outdata, frames, None, None)
        return outdata[:, 0]


class FakeDevice:
    def __init__(self):
        self.streams: list[FakeStream] = []

    def __call__(self, **stream_args) -> FakeStream:
        self.streams.append(FakeStream(**stream_args))
        return self.streams[-1]


@pytest.fixture
def device():
    return FakeDevice()


RAMP = np.arange(1000, dtype=np.float32) / 1000  # sample i has value i/1000: easy to see what played


def test_plays_the_requested_range_then_silence(device):
    player = Player(stream_factory=device)
    player.play(RAMP, 8000, start=100, end=400)
    stream = device.streams[0]

    assert stream.started and stream.args["samplerate"] == 8000 and stream.args["channels"] == 1
    assert player.is_playing and player.position == 100
    np.testing.assert_array_equal(stream.pull(128), RAMP[100:228])
    assert player.position == 228
    np.testing.assert_array_equal(stream.pull(128), RAMP[228:356])

    tail = stream.pull(128)
    np.testing.assert_array_equal(tail[:44], RAMP[356:400])
    assert np.all(tail[44:] == 0.0)
    assert player.position == 400 and not player.is_playing


def test_loop_wraps_to_the_range_start(device):
    player = Player(stream_factory=device)
    player.play(RAMP, 8000, start=10, end=60, loop=True)

    played = device.streams[0].pull(130)

    np.testing.assert_array_equal(played, np.concatenate([RAMP[10:60], RAMP[10:60], RAMP[10:40]]))
    assert player.position == 40 and player.is_playing


def test_stop_releases_the_device_and_keeps_the_position(device):
    player = Player(stream_factory=device)
    player.play(RAMP, 8000)
    device.streams[0].pull(300)

    player.stop()

    assert device.streams[0].stopped and device.streams[0].closed
    assert not player.is_playing and player.position == 300


def test_play_again_replaces_the_running_stream(device):
    player = Player(stream_factory=device)
    player.play(RAMP, 8000, start=0, end=500)
    player.play(RAMP, 16000, start=700)

    assert device.streams[0].closed and not device.streams[1].closed
    np.testing.assert_array_equal(device.streams[1].pull(10), RAMP[700:710])


@pytest.mark.parametrize("start, end", [(-1, 10), (10, 10), (500, 100), (0, 1001)])
def test_invalid_range_is_refused(device, start, end):
    with pytest.raises(ValueError, match="playback range"):
        Player(stream_factory=device).play(RAMP, 8000, start=start, end=end)
    assert device.streams == []


def test_no_output_device_raises_playback_error(monkeypatch):
    sounddevice = pytest.importorskip("sounddevice")

    def no_device(**stream_args):
        raise sounddevice.PortAudioError("Error querying device -1")

    monkeypatch.setattr(sounddevice, "OutputStream", no_device)
    with pytest.raises(PlaybackError, match="no audio output device: this computer has no sound output") as caught:
        Player().play(RAMP, 8000)
    assert "Error querying device -1" in str(caught.value)  # PortAudio's own words stay, in brackets


def test_missing_portaudio_raises_playback_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # import now fails as it does without PortAudio
    with pytest.raises(PlaybackError, match="no audio output device: PortAudio is not available"):
        Player().play(RAMP, 8000)


def test_device_refusing_to_start_raises_playback_error_and_closes_the_stream(device):
    class BusyStream(FakeStream):
        def start(self):
            raise RuntimeError("Device unavailable")

    streams = []

    def busy(**stream_args):
        streams.append(BusyStream(**stream_args))
        return streams[-1]

    player = Player(stream_factory=busy)
    with pytest.raises(PlaybackError, match="refused to start: Device unavailable"):
        player.play(RAMP, 8000)
    assert streams[0].closed and not player.is_playing


def test_explanation_audio_keeps_only_positively_relevant_parts():
    rate, window = 8000, 80  # 10 ms smoothing at 8 kHz
    samples = np.random.default_rng(0).uniform(-1, 1, 4000).astype(np.float32)
    relevance = np.zeros(4000, dtype=np.float32)
    relevance[1000:2000] = 2.0  # evidence for the decision
    relevance[3000:3500] = -5.0  # evidence against: must not be heard

    heard = explanation_audio(samples, relevance, rate)

    assert heard.shape == samples.shape and np.isfinite(heard).all()
    far_from_evidence = np.ones(4000, dtype=bool)
    far_from_evidence[1000 - window : 2000 + window] = False
    assert np.all(heard[far_from_evidence] == 0.0)
    # Inside the evidence (beyond the smoothing ramp) the clip plays at full level.
    np.testing.assert_allclose(heard[1100:1900], samples[1100:1900], rtol=1e-6)


def test_explanation_envelope_ramps_instead_of_clicking():
    ones = np.ones(2000, dtype=np.float32)
    relevance = np.where(np.arange(2000) >= 1000, 1.0, -1.0).astype(np.float32)

    envelope = explanation_audio(ones, relevance, 8000)

    assert envelope.max() == pytest.approx(1.0)
    assert np.abs(np.diff(envelope)).max() <= 1 / 80 + 1e-6  # no jump larger than one smoothing step


def test_explanation_without_positive_relevance_is_silent():
    heard = explanation_audio(np.ones(500), -np.ones(500), 8000)
    assert np.all(heard == 0.0)


def test_explanation_rejects_mismatched_relevance():
    with pytest.raises(ValueError, match="equal-length"):
        explanation_audio(np.ones(500), np.ones(400), 8000)


@pytest.mark.pulse
def test_real_output_device_plays_the_range_to_its_end():
    """Needs an output device (e.g. a PulseAudio null sink); skipped where there is none."""
    player = Player()
    try:
        player.play(np.full(2400, 0.1, dtype=np.float32), 8000, start=0, end=2000)
    except PlaybackError as exc:
        pytest.skip(str(exc))
    deadline = time.monotonic() + 10.0  # PulseAudio may take a second or two to start a stream
    while player.is_playing and time.monotonic() < deadline:
        time.sleep(0.02)
    finished = not player.is_playing
    player.stop()
    assert finished and player.position == 2000
