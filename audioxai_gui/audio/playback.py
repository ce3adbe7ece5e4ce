"""Play a range of a clip through the sound card, and make audio that sounds like what a model used.

sounddevice is imported only when a real stream is opened: importing it fails outright on machines
without PortAudio, and the rest of the application must still work there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

EXPLANATION_SMOOTHING_S = 0.010
"""Envelope smoothing: long enough that relevance flicker does not crackle, short enough to follow phones."""


class PlaybackError(Exception):
    """Audio cannot be played (no output device, PortAudio missing, the device refused the stream)."""


def _open_sounddevice_stream(**stream_args):
    """sounddevice.OutputStream, with every 'no device' failure turned into PlaybackError."""
    try:
        import sounddevice
    except (ImportError, OSError) as exc:  # OSError: sounddevice is installed but PortAudio is not
        raise PlaybackError(f"no audio output device: PortAudio is not available ({exc})") from exc
    try:
        return sounddevice.OutputStream(**stream_args)
    except (sounddevice.PortAudioError, ValueError) as exc:  # ValueError: no default device selected
        raise PlaybackError(f"no audio output device: {_plain_device_error(exc)}") from exc


NO_DEVICE_WORDS = (
    "this computer has no sound output that AudioXAI can use (no speakers, headphones or sound server "
    "found; connect one, or check that no other program holds it)"
)


def _plain_device_error(exc: Exception) -> str:
    """PortAudio's terse 'Error querying device -1' (device -1 = no default output) in plain words, its own
    words kept in brackets for whoever debugs it."""
    message = str(exc)
    if "device -1" in message or "no default" in message.lower():
        return f"{NO_DEVICE_WORDS} [{message}]"
    return message


class Player:
    """Plays ``samples[start:end]`` (optionally looping) and tracks the sample being played.

    ``position`` is written by the audio callback and read by the GUI thread; a single int attribute
    is read and written atomically in CPython, so polling needs no lock. The lock only serialises
    play/stop against each other.
    """

    def __init__(self, stream_factory: Callable[..., object] | None = None):
        self._stream_factory = stream_factory or _open_sounddevice_stream
        self._lock = threading.Lock()
        self._stream = None
        self._samples = np.zeros(0, dtype=np.float32)
        self._start = 0
        self._end = 0
        self._loop = False
        self._position = 0
        self._finished = True

    @property
    def position(self) -> int:
        """Index (into the samples given to ``play``) of the next sample sent to the device."""
        return self._position

    @property
    def is_playing(self) -> bool:
        return self._stream is not None and not self._finished

    def play(self, samples: np.ndarray, rate: int, start: int = 0, end: int | None = None, loop: bool = False):
        """Start playing ``samples[start:end]`` at ``rate`` Hz, replacing whatever was playing."""
        samples = np.ascontiguousarray(samples, dtype=np.float32)
        end = len(samples) if end is None else end
        if samples.ndim != 1:
            raise ValueError(f"playback needs mono 1-D samples, got shape {samples.shape}")
        if not 0 <= start < end <= len(samples):
            raise ValueError(f"playback range [{start}, {end}) is empty or outside the clip of {len(samples)} samples")
        if rate <= 0:
            raise ValueError(f"playback rate must be positive, got {rate}")
        self.stop()
        with self._lock:
            self._samples, self._start, self._end, self._loop = samples, start, end, loop
            self._position = start
            self._finished = False
            stream = self._stream_factory(
                samplerate=rate,
                channels=1,
                dtype="float32",
                callback=self._fill,
                finished_callback=self._on_finished,
            )
            try:
                stream.start()
            except Exception as exc:  # sounddevice.PortAudioError, named without importing sounddevice
                stream.close()
                raise PlaybackError(f"audio output device refused to start: {exc}") from exc
            self._stream = stream

    def stop(self) -> None:
        """Stop and release the device; the position stays where playback was."""
        with self._lock:
            stream, self._stream = self._stream, None
            self._finished = True
        if stream is not None:
            stream.stop()
            stream.close()

    def _fill(self, outdata: np.ndarray, frames: int, time, status) -> None:
        """Audio-thread callback: copy the next ``frames`` samples, wrapping or padding with silence."""
        out = outdata[:, 0]
        written = 0
        position = self._position
        while written < frames:
            if position >= self._end:
                if not self._loop:
                    out[written:] = 0.0
                    self._finished = True
                    break
                position = self._start
            count = min(frames - written, self._end - position)
            out[written : written + count] = self._samples[position : position + count]
            written += count
            position += count
        self._position = position

    def _on_finished(self) -> None:
        self._finished = True


def explanation_audio(
    samples: np.ndarray, relevance: np.ndarray, sample_rate: int, smoothing_s: float = EXPLANATION_SMOOTHING_S
) -> np.ndarray:
    """The clip weighted by where the model found evidence FOR its decision, to listen to.

    Negative relevance (evidence against) is clipped to 0, the rest is smoothed over ``smoothing_s``
    into an envelope normalised to peak 1, and multiplied with the samples. Samples further than half
    the smoothing window from any positive relevance come out exactly 0.
    """
    samples = np.asarray(samples, dtype=np.float32)
    relevance = np.asarray(relevance, dtype=np.float32)
    if samples.shape != relevance.shape or samples.ndim != 1:
        raise ValueError(f"samples {samples.shape} and relevance {relevance.shape} must be equal-length 1-D arrays")
    if not np.isfinite(relevance).all():
        raise ValueError("relevance contains NaN or Inf")
    from scipy.ndimage import maximum_filter1d, uniform_filter1d  # lazily: 0.25 s of start-up otherwise

    window = max(1, round(smoothing_s * sample_rate))
    positive = np.clip(relevance, 0.0, None)
    envelope = uniform_filter1d(positive, size=window, mode="constant")
    # The running-sum filter leaves round-off residue after evidence ends; the max filter over the
    # same window says exactly where evidence exists, so silence stays exactly silent.
    envelope[maximum_filter1d(positive, size=window, mode="constant") == 0.0] = 0.0
    peak = float(envelope.max())
    if peak == 0.0:
        return np.zeros_like(samples)
    return samples * (envelope / peak)
