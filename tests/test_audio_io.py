"""Audio loading: every supported format round-trips, every bad file gets one clear AudioLoadError."""

from __future__ import annotations

import os

import librosa
import numpy as np
import pytest
import soundfile as sf

from audioxai_gui.audio import io as audio_io
from audioxai_gui.audio.io import (
    Audio,
    AudioLoadError,
    audio_info,
    load_audio,
    save_wav,
    supported_extensions,
)
from audioxai_gui.resources import EXAMPLE_AUDIO


def sine(rate: int, seconds: float = 1.0, freq: float = 440.0, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    return float(np.corrcoef(a[:n], b[:n])[0, 1])


# (file name, rate, soundfile write arguments, minimum correlation after decoding)
FORMATS = [
    ("pcm16.wav", 8000, {"subtype": "PCM_16"}, 0.9999),
    ("float.wav", 16000, {"subtype": "FLOAT"}, 0.999999),
    ("tone.flac", 8000, {}, 0.9999),
    ("tone.ogg", 8000, {"format": "OGG", "subtype": "VORBIS"}, 0.999),
    ("tone.opus", 48000, {"format": "OGG", "subtype": "OPUS"}, 0.995),
    ("tone.mp3", 8000, {"format": "MP3", "subtype": "MPEG_LAYER_III"}, 0.995),
    ("tone.aiff", 22050, {"subtype": "PCM_24"}, 0.9999),
]


@pytest.mark.parametrize("name, rate, write_args, min_correlation", FORMATS, ids=[f[0] for f in FORMATS])
def test_every_format_round_trips(tmp_path, name, rate, write_args, min_correlation):
    extension = os.path.splitext(name)[1]
    assert extension in supported_extensions(), f"libsndfile here cannot decode {extension}"
    path = tmp_path / name
    original = sine(rate)
    sf.write(path, original, rate, **write_args)

    audio = load_audio(path)

    assert audio.sample_rate == rate and audio.source_rate == rate and audio.channels == 1
    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    assert audio.duration == pytest.approx(1.0, abs=0.01)
    assert correlation(original, audio.samples) >= min_correlation
    assert audio.path == path and not audio.is_silent


def test_stereo_is_mixed_to_the_mean_of_its_channels(tmp_path):
    left = sine(8000, freq=440)
    right = sine(8000, freq=1000, amplitude=0.3)
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([left, right], axis=1), 8000, subtype="FLOAT")

    audio = load_audio(path)

    assert audio.channels == 2
    np.testing.assert_allclose(audio.samples, (left + right) / 2, atol=1e-7)


def test_resampling_keeps_pitch_and_duration_and_matches_librosa(tmp_path):
    source_rate, seconds = 44100, 2.0  # 88200 frames: more than one decoding block
    original = sine(source_rate, seconds=seconds)
    path = tmp_path / "tone44k.wav"
    sf.write(path, original, source_rate, subtype="FLOAT")

    audio = load_audio(path, target_rate=8000)

    assert audio.sample_rate == 8000 and audio.source_rate == source_rate
    assert len(audio.samples) == int(np.ceil(len(original) * 8000 / source_rate))
    spectrum = np.abs(np.fft.rfft(audio.samples * np.hanning(len(audio.samples))))
    peak_hz = np.argmax(spectrum) * 8000 / len(audio.samples)
    assert peak_hz == pytest.approx(440.0, abs=8000 / len(audio.samples))
    # Block-wise streaming resampling gives the same signal as librosa's one-shot soxr_hq.
    reference = librosa.resample(original, orig_sr=source_rate, target_sr=8000, res_type="soxr_hq")
    np.testing.assert_allclose(audio.samples, reference, atol=1e-5)


def test_audio_info_reads_the_header(tmp_path):
    path = tmp_path / "info.flac"
    sf.write(path, np.zeros((12000, 2), dtype=np.float32), 16000)

    info = audio_info(path)

    assert (info.sample_rate, info.channels, info.frames, info.format) == (16000, 2, 12000, "FLAC")
    assert info.duration == pytest.approx(0.75)


def test_silent_file_loads_but_is_flagged(tmp_path):
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros(8000, dtype=np.float32), 8000)
    assert load_audio(path).is_silent
    assert not Audio(sine(8000), 8000).is_silent


def wav_bytes(tmp_path, frames: int = 8000) -> bytes:
    path = tmp_path / "source.wav"
    sf.write(path, sine(8000, seconds=frames / 8000), 8000, subtype="PCM_16")
    return path.read_bytes()


def encoded_bytes(tmp_path, name: str, **write_args) -> bytes:
    path = tmp_path / f"source-{name}"
    sf.write(path, sine(8000), 8000, **write_args)
    return path.read_bytes()


def float_wav_with(value: float):
    def build(tmp_path) -> bytes:
        samples = sine(8000)
        samples[1234] = value
        path = tmp_path / "source-float.wav"
        sf.write(path, samples, 8000, subtype="FLOAT")
        return path.read_bytes()

    return build


HEADER_ONLY = "truncated: header says 8000 frames, only 0 present"
CUT_WAV = "truncated: header says 8000 frames, only 1500 present"
M4A_BYTES = b"\x00\x00\x00\x20ftypM4A " + bytes(3000)

# (file name, builder of the file's bytes or None for "do not create", expected reason substring)
BAD_FILES = [
    ("missing.wav", None, "file not found"),
    ("empty.wav", lambda tmp: b"", "empty file (0 bytes)"),
    ("header_only.wav", lambda tmp: wav_bytes(tmp)[:44], HEADER_ONLY),
    ("cut.wav", lambda tmp: wav_bytes(tmp)[: 44 + 3000], CUT_WAV),
    ("cut.flac", lambda tmp: encoded_bytes(tmp, "x.flac")[:2000], "truncated"),
    ("cut.ogg", lambda tmp: encoded_bytes(tmp, "x.ogg")[:1500], "truncated"),
    ("cut.mp3", lambda tmp: encoded_bytes(tmp, "x.mp3")[:1500], "truncated"),
    ("noise.wav", lambda tmp: np.random.default_rng(0).bytes(4000), "not a recognised audio file"),
    ("song.m4a", lambda tmp: M4A_BYTES, "unsupported format .m4a; supported: wav"),
    ("nan.wav", float_wav_with(np.nan), "NaN or Inf samples (first at frame 1234)"),
    ("inf.wav", float_wav_with(np.inf), "NaN or Inf samples (first at frame 1234)"),
]


@pytest.mark.parametrize("name, build, reason", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_file_raises_audio_load_error_naming_file_and_reason(tmp_path, name, build, reason):
    path = tmp_path / name
    if build is not None:
        path.write_bytes(build(tmp_path))

    with pytest.raises(AudioLoadError) as raised:
        load_audio(path)

    assert str(path) in str(raised.value)
    assert reason in raised.value.reason
    assert raised.value.path == path


def test_directory_is_rejected(tmp_path):
    with pytest.raises(AudioLoadError, match="is a directory"):
        load_audio(tmp_path)
    with pytest.raises(AudioLoadError, match="is a directory"):
        audio_info(tmp_path)


def test_wav_holding_no_frames_is_empty(tmp_path):
    path = tmp_path / "zero_frames.wav"
    sf.write(path, np.zeros(0, dtype=np.float32), 8000)
    with pytest.raises(AudioLoadError, match="empty: the file holds no audio frames"):
        load_audio(path)


def test_missing_mp3_support_is_reported_as_unsupported(tmp_path, monkeypatch):
    """An older libsndfile without MP3: the user is told the format is unsupported, not 'corrupt'."""
    formats = {k: v for k, v in sf.available_formats().items() if k != "MP3"}
    monkeypatch.setattr(audio_io.sf, "available_formats", lambda: formats)
    path = tmp_path / "old.mp3"
    path.write_bytes(np.random.default_rng(1).bytes(2000))

    with pytest.raises(AudioLoadError, match=r"unsupported format \.mp3; supported: .*flac"):
        load_audio(path)


@pytest.mark.parametrize("source", ["x.wav", "x.flac"])
def test_damaged_files_never_leak_library_exceptions(tmp_path, source):
    """Cut and byte-flipped headers: each load either works or raises AudioLoadError, nothing else."""
    good = wav_bytes(tmp_path, 2000) if source == "x.wav" else encoded_bytes(tmp_path, source)
    rng = np.random.default_rng(7)
    variants = [good[:cut] for cut in range(1, 120, 7)]
    for _ in range(25):
        damaged = bytearray(good)
        for index in rng.integers(0, 100, size=3):
            damaged[index] ^= int(rng.integers(1, 256))
        variants.append(bytes(damaged))
    path = tmp_path / f"damaged-{source}"
    for variant in variants:
        path.write_bytes(variant)
        try:
            load_audio(path, target_rate=16000)
        except AudioLoadError as exc:
            assert str(path) in str(exc)


def test_save_wav_round_trips_and_replaces_atomically(tmp_path):
    path = tmp_path / "out.wav"
    path.write_bytes(b"previous contents")
    samples = sine(8000)

    save_wav(path, samples, 8000)

    audio = load_audio(path)
    np.testing.assert_allclose(audio.samples, samples, atol=1 / 32768)
    assert audio.sample_rate == 8000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.wav"], "temp file left behind"
    plain = tmp_path / "plain"
    plain.write_bytes(b"")
    assert path.stat().st_mode == plain.stat().st_mode, "saved file must get the usual permissions"


def test_failed_save_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "out.wav"
    save_wav(path, sine(8000), 8000)
    before = path.read_bytes()

    with pytest.raises(ValueError, match="Invalid combination"):
        save_wav(path, sine(8000), 8000, subtype="VORBIS")  # not a WAV subtype

    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.wav"]


def test_builtin_example_is_a_short_8k_mono_clip_with_speech():
    assert EXAMPLE_AUDIO.is_file()
    assert EXAMPLE_AUDIO.stat().st_size < 100_000
    audio = load_audio(EXAMPLE_AUDIO)
    assert audio.sample_rate == 8000 and audio.channels == 1
    assert audio.duration == pytest.approx(1.0)  # one model window: explained in one pass
    assert not audio.is_silent


def test_resampling_in_memory_matches_decoding_at_the_target_rate(tmp_path):
    """The window resamples once-decoded audio per model rate; the model must see what load_audio gives."""
    path = tmp_path / "tone.wav"
    t = np.arange(3 * 44100) / 44100
    sf.write(path, (0.4 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 44100)
    audio = load_audio(path)
    resampled = audio.resampled(8000)
    assert resampled.sample_rate == 8000 and resampled.source_rate == 44100 and resampled.path == path
    np.testing.assert_allclose(resampled.samples, load_audio(path, 8000).samples, atol=1e-4)
    assert audio.resampled(44100) is audio
