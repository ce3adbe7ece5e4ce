"""Load audio files into one float32 mono array, cheaply inspect them, and save WAV atomically.

Every problem with an input file raises ``AudioLoadError`` naming the file and the reason, so the GUI
can show one message instead of a soundfile or soxr traceback. Decoding is one pass over the file in
blocks: each block is mixed to mono (and resampled through a streaming soxr resampler when asked)
straight into a preallocated output, so an hour-long file is never held twice in memory.
"""

from __future__ import annotations

import math
import os
import stat
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from ..atomic import atomic_output
from ..batch import failure_reason, shown_path

BLOCK_FRAMES = 1 << 16
"""Frames decoded per block: large enough to amortise call overhead, small enough to stay in cache."""

SILENCE_PEAK = 1e-4
"""Peak amplitude (-80 dBFS, the spectrogram floor) below which a clip shows nothing and is flagged."""

RESAMPLE_QUALITY = "HQ"
"""soxr quality: the same filter as ``librosa.resample(res_type="soxr_hq")``."""

# libsndfile estimates an MP3's length from its size when the file has no Xing/LAME header; such an
# estimate can overshoot by a fraction of a percent, which must not be mistaken for truncation.
_LENGTH_ESTIMATE_TOLERANCE = {"MP3": 0.02}

# Best compression libsndfile's codecs reach (FLAC on near-silence); bounds what a header may claim.
_MAX_FRAMES_PER_BYTE = 256

# Extensions users meet, mapped to (libsndfile major format, subtype that must be available or None).
_EXTENSION_FORMATS = {
    ".wav": ("WAV", None),
    ".wave": ("WAV", None),
    ".flac": ("FLAC", None),
    ".ogg": ("OGG", "VORBIS"),
    ".oga": ("OGG", "VORBIS"),
    ".opus": ("OGG", "OPUS"),
    ".mp3": ("MP3", None),
    ".aif": ("AIFF", None),
    ".aiff": ("AIFF", None),
    ".aifc": ("AIFF", None),
    ".au": ("AU", None),
    ".caf": ("CAF", None),
    ".w64": ("W64", None),
    ".rf64": ("RF64", None),
}

# Subtypes with a fixed number of bytes per frame: their frame count follows from the data size.
_FIXED_SIZE_SUBTYPES = frozenset({"PCM_S8", "PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE", "ULAW", "ALAW"})


class AudioLoadError(Exception):
    """An audio file cannot be used; ``str()`` names the file and the reason."""

    def __init__(self, path: Path | str, reason: str):
        super().__init__(f"{shown_path(path)}: {reason}")  # printable even when the name is not UTF-8
        self.path = Path(path)
        self.reason = reason


def supported_extensions() -> list[str]:
    """File extensions this installation of libsndfile can decode (MP3/Opus depend on its build)."""
    formats = sf.available_formats()
    supported = []
    for extension, (major, subtype) in _EXTENSION_FORMATS.items():
        if major in formats and (subtype is None or subtype in sf.available_subtypes(major)):
            supported.append(extension)
    return supported


@dataclass
class Audio:
    """A mono float32 signal with where it came from; ``is_silent`` flags clips too quiet to show anything."""

    samples: np.ndarray
    sample_rate: int
    path: Path | None = None
    source_rate: int | None = None
    channels: int = 1
    is_silent: bool = field(init=False)

    def __post_init__(self):
        self.samples = np.ascontiguousarray(self.samples, dtype=np.float32)
        if self.samples.ndim != 1:
            raise ValueError(f"Audio samples must be 1-D (mono), got shape {self.samples.shape}")
        if self.sample_rate <= 0:
            raise ValueError(f"Audio sample_rate must be positive, got {self.sample_rate}")
        if self.source_rate is None:
            self.source_rate = self.sample_rate
        self.is_silent = _peak(self.samples) < SILENCE_PEAK

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.samples) / self.sample_rate

    def resampled(self, rate: int) -> Audio:
        """The same audio at ``rate``, without decoding the file again."""
        if rate == self.sample_rate:
            return self
        return Audio(resample(self.samples, self.sample_rate, rate), rate, self.path, self.source_rate, self.channels)


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Resample 1-D samples with the filter ``load_audio`` streams through (soxr HQ), as float32.

    The one resampler of the project: files, model inputs and live chunks all go through it.
    """
    for name, rate in (("from_rate", from_rate), ("to_rate", to_rate)):
        if rate != int(rate) or rate <= 0:
            raise ValueError(f"{name} must be a positive whole number of Hz, got {rate!r}")
    values = np.asarray(samples, dtype=np.float32)
    if values.ndim != 1:
        raise ValueError(f"resample takes 1-D samples, got shape {values.shape}")
    if int(from_rate) == int(to_rate):
        return values.copy()
    import soxr  # a librosa dependency; imported here so plain loads skip it

    return soxr.resample(values, int(from_rate), int(to_rate), quality=RESAMPLE_QUALITY).astype(np.float32)


@dataclass(frozen=True)
class AudioInfo:
    """What a file holds, read from its header without decoding."""

    path: Path
    duration: float
    sample_rate: int
    channels: int
    frames: int
    format: str
    subtype: str


def audio_info(path: Path | str) -> AudioInfo:
    """Header facts about an audio file; cheap (no decoding), raises ``AudioLoadError`` like load_audio."""
    path = Path(path)
    info = _read_header(path)
    return AudioInfo(
        path=path,
        duration=info.frames / info.samplerate,
        sample_rate=info.samplerate,
        channels=info.channels,
        frames=info.frames,
        format=info.format,
        subtype=info.subtype,
    )


def load_audio(path: Path | str, target_rate: int | None = None, max_seconds: float | None = None) -> Audio:
    """Decode a file to mono float32 (mean of channels), resampled to ``target_rate`` when given.

    ``max_seconds`` decodes only the start of a long file (the window's "open the first hour").
    """
    if target_rate is not None and target_rate <= 0:
        raise ValueError(f"target_rate must be positive, got {target_rate}")
    return load_audio_rates(path, [target_rate], max_seconds)[target_rate]


def load_audio_rates(
    path: Path | str, rates: Iterable[int | None], max_seconds: float | None = None
) -> dict[int | None, Audio]:
    """Decode a file once into mono float32 at each of ``rates`` (None: the file's own rate)."""
    path = Path(path)
    info = _read_header(path)
    declared = _declared_frames(path, info.format, info.subtype, info.frames)
    if declared == 0:
        raise AudioLoadError(path, "empty: the file holds no audio frames")
    wanted = declared if max_seconds is None else min(declared, max(1, round(max_seconds * info.samplerate)))
    targets = {rate: rate or info.samplerate for rate in rates}
    by_rate, frames_read = _decode_mono(path, info, wanted, set(targets.values()))
    _check_complete(path, info.format, wanted, frames_read)
    return {
        rate: Audio(by_rate[actual], actual, path=path, source_rate=info.samplerate, channels=info.channels)
        for rate, actual in targets.items()
    }


def save_wav(path: Path | str, samples: np.ndarray, rate: int, subtype: str = "PCM_16") -> None:
    """Write a WAV file atomically: readers see the old file or the complete new one, never a partial one.

    Samples beyond [-1, 1] are clipped by libsndfile for integer subtypes.
    """
    path = Path(path)
    samples = np.asarray(samples)
    if samples.ndim not in (1, 2) or len(samples) == 0:
        raise ValueError(f"{path}: samples must be a non-empty 1-D or (frames, channels) array")
    with atomic_output(path) as temp, open(temp, "wb") as handle:  # a handle: names need not be UTF-8
        sf.write(handle, samples, rate, subtype=subtype, format="WAV")


MIN_SAMPLE_RATE, MAX_SAMPLE_RATE = 1000, 768_000
"""Rates AudioXAI opens: below 1 kHz no sound it explains fits; above 768 kHz no converter writes; a header
outside is damaged or hostile (1 Hz turns 16 kB into hours of audio once resampled)."""


def _read_header(path: Path):
    """Check the path, then let libsndfile parse the header; every failure becomes AudioLoadError."""
    try:
        status = path.stat()
    except FileNotFoundError:
        reason = "a symbolic link to a file that does not exist" if path.is_symlink() else "file not found"
        raise AudioLoadError(path, reason) from None
    except OSError as exc:  # a symlink loop, a name too long (the message names the file once, not twice)
        raise AudioLoadError(path, failure_reason(OSError(exc.errno, exc.strerror))) from exc
    if stat.S_ISDIR(status.st_mode):
        raise AudioLoadError(path, "is a directory, not an audio file")
    if not stat.S_ISREG(status.st_mode):
        raise AudioLoadError(path, "not a regular file (a pipe, socket or device); save the audio to a file first")
    if status.st_size == 0:
        raise AudioLoadError(path, "empty file (0 bytes)")
    if not os.access(path, os.R_OK):
        raise AudioLoadError(path, "permission denied: the file is not readable")
    try:
        with open(path, "rb") as handle:  # a handle, not a name: file names need not be UTF-8
            info = sf.info(handle)
    except (sf.SoundFileError, RuntimeError) as exc:
        raise AudioLoadError(path, _unreadable_reason(path, exc)) from exc
    if not MIN_SAMPLE_RATE <= info.samplerate <= MAX_SAMPLE_RATE:
        raise AudioLoadError(
            path,
            f"sample rate {info.samplerate:,} Hz in the header is outside the {MIN_SAMPLE_RATE:,}-"
            f"{MAX_SAMPLE_RATE:,} Hz AudioXAI opens; the header is probably damaged",
        )
    if info.channels < 1:
        raise AudioLoadError(path, f"the header says {info.channels} channels; the header is probably damaged")
    return info


def _unreadable_reason(path: Path, exc: Exception) -> str:
    supported = supported_extensions()
    suffix = path.suffix.lower()
    if suffix not in supported:
        shown = suffix or "(no extension)"
        return f"unsupported format {shown}; supported: {', '.join(e.lstrip('.') for e in supported)}"
    reason = _libsndfile_reason(exc)
    kind = suffix.lstrip(".").upper()
    if "malformed" in reason.lower():
        return f"malformed or truncated {kind} file ({reason})"
    if any(unclear in reason.lower() for unclear in _UNCLEAR_LIBSNDFILE_REASONS):
        return f"not a recognised audio file: the content is not valid {kind} audio"
    return f"not a recognised audio file: content is not valid {kind} ({reason})"


# libsndfile wordings that mislead users ("possibly a pipe?" for a garbage MP3, "internal error") or only repeat
# what the message already says ("Format not recognised").
_UNCLEAR_LIBSNDFILE_REASONS = ("pipe", "internal error", "system error", "format not recognised", "unknown error")


def _libsndfile_reason(exc: Exception) -> str:
    """libsndfile's own words, without the 'Error opening <path>:' prefix that repeats the file name."""
    message = str(getattr(exc, "error_string", None) or exc)
    if message.startswith("Error opening"):
        message = message.split(": ", 1)[-1]
    return message.removeprefix("Error : ").strip().rstrip(".")


def _decode_mono(path: Path, info, declared: int, rates: set[int]) -> tuple[dict[int, np.ndarray], int]:
    """One pass: block -> mono -> (resample per rate) -> preallocated outputs. Returns (samples by rate, frames)."""
    # A damaged header can promise billions of frames: allocate no more than the file could hold.
    plausible = min(declared, path.stat().st_size * _MAX_FRAMES_PER_BYTE)
    sinks = {rate: _MonoSink(plausible, info.samplerate, rate) for rate in rates}
    block = np.empty((min(BLOCK_FRAMES, declared), info.channels), dtype=np.float32)
    frames_read = 0
    try:
        with open(path, "rb") as handle, sf.SoundFile(handle) as sound_file:
            while frames_read < declared:
                count = sound_file.read(min(len(block), declared - frames_read), out=block).shape[0]
                if count == 0:
                    break
                mono = block[:count, 0] if info.channels == 1 else block[:count].mean(axis=1)
                if not np.isfinite(mono).all():
                    first = frames_read + int(np.argmin(np.isfinite(mono)))
                    raise AudioLoadError(path, f"contains NaN or Inf samples (first at frame {first})")
                for sink in sinks.values():
                    sink.push(mono, last=False)
                frames_read += count
    except (sf.SoundFileError, RuntimeError) as exc:
        raise AudioLoadError(
            path,
            f"corrupt or truncated {info.format} data: decoding failed after {frames_read} of {declared} "
            f"frames ({_libsndfile_reason(exc)})",
        ) from exc
    return {rate: sink.finish(frames_read) for rate, sink in sinks.items()}, frames_read


class _MonoSink:
    """Collects mono blocks into one float32 array, resampling on the fly through a soxr stream.

    soxr (librosa's "soxr_hq" backend) is used directly because its stream keeps only filter state
    between blocks, so long files are resampled in chunks without a full-length intermediate copy.
    """

    def __init__(self, expected_frames: int, source_rate: int, target_rate: int):
        self.ratio = target_rate / source_rate
        self.stream = None
        if target_rate != source_rate:
            import soxr  # a librosa dependency; imported here so plain loads skip it

            self.stream = soxr.ResampleStream(source_rate, target_rate, 1, dtype="float32", quality=RESAMPLE_QUALITY)
        self.output = np.empty(self._output_length(expected_frames), dtype=np.float32)
        self.filled = 0

    def _output_length(self, frames: int) -> int:
        """The same length librosa.resample gives: ceil(frames * ratio)."""
        return frames if self.stream is None else math.ceil(frames * self.ratio)

    def _reserve(self, length: int) -> None:
        """Grow (one copy) when a header under-stated the length; a correct header never gets here."""
        if length > len(self.output):
            grown = np.empty(max(length, 2 * len(self.output)), dtype=np.float32)
            grown[: self.filled] = self.output[: self.filled]
            self.output = grown

    def push(self, mono: np.ndarray, last: bool) -> None:
        if self.stream is not None:
            mono = self.stream.resample_chunk(mono, last=last)
        self._reserve(self.filled + len(mono))
        self.output[self.filled : self.filled + len(mono)] = mono
        self.filled += len(mono)

    def finish(self, frames_read: int) -> np.ndarray:
        if self.stream is not None:
            self.push(np.zeros(0, dtype=np.float32), last=True)
        length = self._output_length(frames_read)
        self._reserve(length)
        self.output[self.filled : length] = 0.0
        return self.output[:length]


def _check_complete(path: Path, file_format: str, declared: int, frames_read: int) -> None:
    tolerance = _LENGTH_ESTIMATE_TOLERANCE.get(file_format, 0.0)
    if frames_read < declared * (1.0 - tolerance):
        raise AudioLoadError(path, f"truncated: header says {declared} frames, only {frames_read} present")


def _declared_frames(path: Path, file_format: str, subtype: str, frames_found: int) -> int:
    """The frame count the header promises.

    libsndfile quietly shrinks a PCM file's frame count to what is on disk, so a truncated WAV or
    AIFF would pass as a short clip; their own headers still hold the promised size.
    """
    reader = _HEADER_FRAME_READERS.get(file_format)
    declared = reader(path, subtype) if reader is not None else None
    return max(declared or 0, frames_found)


def _riff_declared_frames(path: Path, subtype: str) -> int | None:
    """data-chunk bytes / fmt block_align for fixed-size sample encodings; the fact chunk's frame count for
    compressed ones (ADPCM, GSM), which libsndfile otherwise lets pass truncated."""
    if subtype not in _FIXED_SIZE_SUBTYPES:
        fact = (_read_chunks(path, b"RIFF", "<", {b"fact"}) or {}).get(b"fact")
        if fact is None or fact[0] < 4 or len(fact[1]) < 4:
            return None
        frames = struct.unpack("<I", fact[1][:4])[0]
        return frames if frames not in (0, 0xFFFFFFFF) else None
    chunks = _read_chunks(path, b"RIFF", "<", {b"fmt ", b"data"})
    if chunks is None or len(chunks) < 2:
        return None
    fmt_size, fmt_head = chunks[b"fmt "]
    data_size, _ = chunks[b"data"]
    if fmt_size < 14 or data_size in (0, 0xFFFFFFFF):  # 0 / -1: a streaming writer left the size open
        return None
    block_align = struct.unpack("<H", fmt_head[12:14])[0]
    return data_size // block_align if block_align else None


def _aiff_declared_frames(path: Path, subtype: str) -> int | None:
    """numSampleFrames from the COMM chunk (valid for every AIFF/AIFC encoding)."""
    chunks = _read_chunks(path, b"FORM", ">", {b"COMM"})
    if not chunks:
        return None
    size, head = chunks[b"COMM"]
    return struct.unpack(">I", head[2:6])[0] if size >= 6 else None


_CHUNK_HEAD_BYTES = 32


def _read_chunks(
    path: Path, container: bytes, endian: str, wanted: set[bytes]
) -> dict[bytes, tuple[int, bytes]] | None:
    """(declared size, first bytes) of the wanted chunks of a RIFF/IFF file; None if it is not one."""
    chunks: dict[bytes, tuple[int, bytes]] = {}
    with open(path, "rb") as f:
        if f.read(4) != container:
            return None
        f.seek(12)  # past "RIFF"/"FORM", the container size and the form type
        while len(chunks) < len(wanted):
            chunk_header = f.read(8)
            if len(chunk_header) < 8:
                break
            chunk_id = chunk_header[:4]
            (size,) = struct.unpack(endian + "I", chunk_header[4:])
            skip = size + (size & 1)  # chunks are padded to an even length
            if chunk_id in wanted:
                head = f.read(min(size, _CHUNK_HEAD_BYTES))
                chunks[chunk_id] = (size, head)
                skip -= len(head)
            f.seek(skip, os.SEEK_CUR)
    return chunks


_HEADER_FRAME_READERS: dict[str, Callable[[Path, str], int | None]] = {
    "WAV": _riff_declared_frames,
    "WAVEX": _riff_declared_frames,
    "AIFF": _aiff_declared_frames,
}


def _peak(samples: np.ndarray) -> float:
    """Largest magnitude without allocating an abs() copy of a possibly hour-long array."""
    if len(samples) == 0:
        return 0.0
    return float(max(samples.max(), -samples.min()))
