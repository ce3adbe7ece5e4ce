"""Microphone capture into a RingBuffer through sounddevice (PortAudio), without Qt.

The stream runs at the device's native rate (asking a device for 8 kHz often fails or resamples
badly); ``audio.io.resample`` converts the chunk the model sees. sounddevice is imported only when
capture is used, so the rest of the application (and its tests) work on machines without PortAudio.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from .ringbuffer import RingBuffer
from .scheduler import SILENCE_FLOOR_DBFS, rms_dbfs

MAX_CAPTURE_CHANNELS = 2
"""Channels opened on a multi-channel device before mixing down to mono (enough for stereo mics)."""

_REASONS_BY_PORTAUDIO_CODE = {
    -9997: "the sample rate is not supported by the device",  # paInvalidSampleRate
    -9998: "the channel count is not supported by the device",  # paInvalidChannelCount
    -9996: "the device does not exist (any more): it may have been unplugged",  # paInvalidDevice
    -9985: "the device is busy or unavailable: another program may be using it",  # paDeviceUnavailable
}
_REASONS_BY_HOST_MESSAGE = {
    "Permission denied": "permission denied: this user may not record (audio group / microphone privacy)",
    "Device or resource busy": "the device is busy: another program may be using it",
    "No such device": "the device does not exist (any more): it may have been unplugged",
}


class CaptureError(RuntimeError):
    """Audio capture cannot start or has stopped; the message names the device and the reason."""


@dataclass(frozen=True)
class InputDevice:
    """A PortAudio device that can record."""

    index: int
    name: str
    default_sample_rate: float
    channels: int
    is_default: bool

    @property
    def label(self) -> str:
        return f"{self.name!r} (device {self.index})"


def list_input_devices() -> list[InputDevice]:
    """Every device with input channels, as PortAudio enumerated them when sounddevice was imported."""
    sd = _sounddevice()
    default_index = _default_input_index(sd)
    return [
        _input_device(info, index, default_index)
        for index, info in enumerate(sd.query_devices())
        if info["max_input_channels"] > 0
    ]


class LiveCapture:
    """A mono input stream feeding ``buffer``; ``start``/``stop`` may be repeated.

    The buffer survives stop/start (its total keeps counting), so a view can keep its history.
    """

    def __init__(
        self,
        device: int | str | None = None,
        block_seconds: float = 0.02,
        buffer_seconds: float = 30.0,
        *,
        sample_rate: int | None = None,
    ):
        if not block_seconds > 0:
            raise ValueError(f"block_seconds must be positive, got {block_seconds!r}")
        if not buffer_seconds >= 2 * block_seconds:
            raise ValueError(f"buffer_seconds ({buffer_seconds!r}) must hold at least two blocks of {block_seconds} s")
        self._requested_device = device
        self._requested_rate = sample_rate
        self._block_seconds = block_seconds
        self._buffer_seconds = buffer_seconds
        self._device: InputDevice | None = None
        self._sample_rate: int | None = None
        self._buffer: RingBuffer | None = None
        self._mixdown = np.empty(0, dtype=np.float32)
        self._stream = None
        self._sd = None
        self._overflow_count = 0
        self._error: CaptureError | None = None
        self._stopping = False
        self._start_stop = threading.Lock()

    @property
    def device(self) -> InputDevice | None:
        """The device of the latest ``start`` (None before the first)."""
        return self._device

    @property
    def sample_rate(self) -> int | None:
        """Rate of the captured samples in Hz (the device's native rate unless one was asked for)."""
        return self._sample_rate

    @property
    def buffer(self) -> RingBuffer | None:
        return self._buffer

    @property
    def overflow_count(self) -> int:
        """Callbacks in which PortAudio reported lost input (input overflow or underflow)."""
        return self._overflow_count

    @property
    def error(self) -> CaptureError | None:
        """Why the stream died while running (device vanished, callback failure); None while healthy."""
        return self._error

    @property
    def is_running(self) -> bool:
        return self._stream is not None and self._error is None

    def level_dbfs(self, seconds: float = 0.1) -> float:
        """RMS level of the newest ``seconds`` of audio (the silence floor before any audio)."""
        if self._buffer is None:
            return SILENCE_FLOOR_DBFS
        n_samples = min(self._buffer.capacity, max(1, round(seconds * self._sample_rate)))
        return rms_dbfs(self._buffer.latest(n_samples))

    def start(self) -> None:
        """Open and start the stream (no-op while running); raises CaptureError naming device and reason."""
        with self._start_stop:
            if self._stream is not None:
                return
            sd = _sounddevice()
            device = _resolve_input_device(sd, self._requested_device)
            rate = int(round(self._requested_rate or device.default_sample_rate))
            block_size = max(1, round(self._block_seconds * rate))
            self._prepare_buffers(rate, block_size)
            self._device, self._sd, self._error, self._stopping = device, sd, None, False
            stream = None
            try:
                stream = sd.InputStream(
                    device=device.index,
                    samplerate=rate,
                    channels=min(device.channels, MAX_CAPTURE_CHANNELS),
                    dtype="float32",
                    blocksize=block_size,
                    callback=self._on_block,
                    finished_callback=self._on_finished,
                )
                stream.start()
            except sd.PortAudioError as exc:
                if stream is not None:
                    stream.close(ignore_errors=True)
                raise CaptureError(f"cannot record from {device.label} at {rate} Hz: {_reason(exc)}") from exc
            self._stream = stream

    def stop(self) -> None:
        """Stop and close the stream; safe to call repeatedly and after the stream died."""
        with self._start_stop:
            stream, self._stream = self._stream, None
            if stream is None:
                return
            self._stopping = True
            stream.close(ignore_errors=True)

    def __enter__(self) -> LiveCapture:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _prepare_buffers(self, rate: int, block_size: int) -> None:
        if self._buffer is None or rate != self._sample_rate:
            self._buffer = RingBuffer(round(self._buffer_seconds * rate))
        if len(self._mixdown) < block_size:
            self._mixdown = np.empty(block_size, dtype=np.float32)
        self._sample_rate = rate

    def _on_block(self, indata: np.ndarray, frames: int, time_info, status) -> None:
        """PortAudio callback thread: copy (mixing down in preallocated memory), count dropouts."""
        try:
            if status.input_overflow or status.input_underflow:
                self._overflow_count += 1
            if indata.shape[1] == 1:
                mono = indata[:, 0]
            else:
                if frames > len(self._mixdown):
                    self._mixdown = np.empty(frames, dtype=np.float32)
                mono = np.mean(indata, axis=1, out=self._mixdown[:frames])
            self._buffer.write(mono)
        except Exception as exc:
            self._error = CaptureError(f"recording from {self._device.label} failed in the callback: {exc!r}")
            raise self._sd.CallbackAbort from exc

    def _on_finished(self) -> None:
        """Called by PortAudio when the stream ends; unless ``stop`` asked for it, the device failed."""
        if not self._stopping and self._error is None:
            self._error = CaptureError(
                f"recording from {self._device.label} stopped unexpectedly: "
                "the device vanished or its audio server went away"
            )


def _sounddevice():
    try:
        import sounddevice
    except (ImportError, OSError) as exc:
        raise CaptureError(f"audio capture is unavailable: cannot load sounddevice/PortAudio: {exc}") from exc
    return sounddevice


def _default_input_index(sd) -> int | None:
    index = sd.default.device[0]
    return index if index is not None and index >= 0 else None


def _input_device(info: dict, index: int, default_index: int | None) -> InputDevice:
    return InputDevice(
        index=index,
        name=info["name"],
        default_sample_rate=float(info["default_samplerate"]),
        channels=int(info["max_input_channels"]),
        is_default=index == default_index,
    )


def _resolve_input_device(sd, device: int | str | None) -> InputDevice:
    default_index = _default_input_index(sd)
    if device is None:
        if default_index is None:
            raise CaptureError(
                "no input device: PortAudio found no default microphone "
                "(is one connected, and is the audio server running?)"
            )
        device = default_index
    try:
        info = sd.query_devices(device)
    except (ValueError, sd.PortAudioError) as exc:
        raise CaptureError(f"no input device matches {device!r}: {exc}") from exc
    found = _input_device(info, int(info["index"]), default_index)
    if found.channels < 1:
        raise CaptureError(f"{found.label} has no input channels: it cannot record")
    return found


def _reason(exc) -> str:
    """A user-facing reason for a PortAudioError, from its error code or the host API's message."""
    code = exc.args[1] if len(exc.args) > 1 else None
    if code in _REASONS_BY_PORTAUDIO_CODE:
        return _REASONS_BY_PORTAUDIO_CODE[code]
    message = str(exc)
    for fragment, reason in _REASONS_BY_HOST_MESSAGE.items():
        if fragment in message:
            return reason
    return message
