"""Bad audio files, generated with a fixed seed across the issue's categories, through load and the CLI.

Every outcome is finite mono audio or an AudioLoadError whose message starts with the file's path; no
load allocates more than a bound; one CLI batch over all of them explains the good files among them.
"""

from __future__ import annotations

import json
import os
import random
import signal
import struct
import tracemalloc
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audioxai_gui.audio.io import AudioLoadError, load_audio
from audioxai_gui.batch import shown_path
from audioxai_gui.cli import main

SEED = 15
MAX_LOAD_BYTES = 64 << 20  # the largest generated file decodes to well under 1 MB at 8 kHz
HANG_GUARD_S = 60  # not a timing assertion: a load that never returns must fail the test, not hang CI

EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3", ".aiff", ".au", ".caf", ".w64", ".rf64")
ENCODED = {  # extension -> (libsndfile format, subtype)
    ".wav": ("WAV", "PCM_16"),
    ".flac": ("FLAC", "PCM_16"),
    ".ogg": ("OGG", "VORBIS"),
    ".mp3": ("MP3", "MPEG_LAYER_III"),
    ".aiff": ("AIFF", "PCM_16"),
    ".au": ("AU", "PCM_16"),
    ".caf": ("CAF", "PCM_16"),
    ".w64": ("W64", "PCM_16"),
}
COMPRESSED_WAV = ("IMA_ADPCM", "MS_ADPCM", "GSM610", "G721_32", "ULAW", "ALAW", "PCM_U8", "FLOAT", "DOUBLE")


def tone(rng: random.Random, seconds: float = 0.5, rate: int = 8000, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    wave = 0.3 * np.sin(2 * np.pi * rng.uniform(100, 2000) * t).astype(np.float32)
    return np.repeat(wave[:, None], channels, axis=1) if channels > 1 else wave


def encoded(rng: random.Random, folder: Path, ext: str, **kwargs) -> bytes:
    major, subtype = ENCODED[ext]
    path = folder / f"_source{ext}"
    sf.write(path, tone(rng, **kwargs), kwargs.get("rate", 8000), format=major, subtype=subtype)
    data = path.read_bytes()
    path.unlink()
    return data


def wav_header(rate: int, frames: int, channels: int = 1, bits: int = 16, tag: int = 1) -> bytes:
    align = channels * bits // 8
    data = frames * align
    fmt = struct.pack("<HHIIHH", tag, channels, rate & 0xFFFFFFFF, (rate * align) & 0xFFFFFFFF, align & 0xFFFF, bits)
    return (
        b"RIFF"
        + struct.pack("<I", (36 + data) & 0xFFFFFFFF)
        + b"WAVEfmt "
        + struct.pack("<I", 16)
        + fmt
        + (b"data" + struct.pack("<I", data & 0xFFFFFFFF))
    )


def aiff_with_rate(rng: random.Random, folder: Path, rate_bytes: bytes) -> bytes:
    data = bytearray(encoded(rng, folder, ".aiff"))
    comm = data.index(b"COMM")
    data[comm + 16 : comm + 26] = rate_bytes
    return bytes(data)


def build_cases(folder: Path) -> dict[str, list[Path]]:
    """Category -> files (each category seeded; about 330 files, a few kB each)."""
    rng = random.Random(SEED)
    cases: dict[str, list[Path]] = {}
    number = 0

    def add(category: str, data: bytes, ext: str = ".wav") -> Path:
        nonlocal number
        number += 1
        path = folder / f"{category}-{number:03d}{ext}"
        path.write_bytes(data)
        cases.setdefault(category, []).append(path)
        return path

    for ext in EXTENSIONS * 8:  # random bytes behind every extension
        add("random bytes", rng.randbytes(rng.choice([1, 3, 44, 500, 4000])), ext)
    for ext in list(ENCODED) * 10:  # valid files cut anywhere
        data = encoded(rng, folder, ext)
        add("truncated", data[: rng.randrange(1, len(data))], ext)
    for ext in list(ENCODED) * 10:  # bytes flipped in or after the header
        data = bytearray(encoded(rng, folder, ext))
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(min(len(data), 128))] ^= 1 << rng.randrange(8)
        add("header bit flips", bytes(data), ext)
    for rate in (0, 1, 7, 999, 768_001, 2**31, 2**32 - 1):  # lying sample rates (1 Hz: 55 hours at 8 kHz)
        add("lying rate", wav_header(rate, 8000) + bytes(16000))
    for frames in (2**31, 2**32 // 2 - 1, 10**9):  # lying lengths
        add("lying length", wav_header(8000, frames) + bytes(rng.choice([0, 2, 16000])))
    for channels, bits, tag in ((0, 16, 1), (65535, 16, 1), (1, 0, 1), (1, 7, 1), (2, 16, 0xFFFF), (1, 64, 3)):
        add("odd format", wav_header(8000, 4000, channels, bits, tag) + bytes(8000))
    for rate_bytes in (bytes(10), b"\x7f\xff" + bytes(8), b"\xff" * 10, b"\x40\x0e\xfa" + bytes(7)):
        add("AIFF rates", aiff_with_rate(rng, folder, rate_bytes), ".aiff")
    for subtype in COMPRESSED_WAV * 4:  # compressed WAVs, whole and truncated
        path = folder / "_source.wav"
        sf.write(path, tone(rng), 8000, subtype=subtype)
        data = path.read_bytes()
        path.unlink()
        add("compressed WAV", data[: rng.randrange(60, len(data))] if rng.random() < 0.7 else data)
    for _ in range(8):  # header only, no frames
        add("empty", wav_header(8000, 0))
    add("empty", b"", ".wav")
    for values in (
        np.full(800, np.nan),
        np.full(800, np.inf),
        np.full(800, 3.4e38),
        np.full(800, -3.4e38),
        np.zeros(8000),
        np.full(8000, 1e-9),
        np.zeros(1),
    ):  # non-finite, float32-max, silence, one sample
        path = folder / "_source.wav"
        sf.write(path, values.astype(np.float32), 8000, subtype="FLOAT")
        add("extreme values", path.read_bytes())
        path.unlink()
    for channels, rate in ((2, 8000), (8, 8000), (64, 1000), (1, 768_000), (1, 1000), (3, 44100)):
        path = folder / "_source.wav"
        sf.write(path, tone(rng, 0.05, rate, channels), rate, subtype="PCM_16")
        add("channels and rates", path.read_bytes())
        path.unlink()
    for index in range(20):  # odd paths
        path = folder / f"odd-{index:02d}.wav"
        kind = index % 5
        if kind == 0:
            os.mkfifo(path)
        elif kind == 1:
            os.symlink(path, path)
        elif kind == 2:
            os.symlink(folder / "missing.wav", path)
        elif kind == 3:
            path.mkdir()
        else:
            path = Path(os.fsdecode(bytes(folder) + b"/odd-\xff\xfe" + bytes([48 + index]) + b".wav"))
            with open(path, "wb") as handle:  # libsndfile cannot take a non-UTF-8 name; a handle it can
                sf.write(handle, tone(rng, 0.2), 8000, format="WAV")
        cases.setdefault("odd paths", []).append(path)
    for length in (200, 240, 250):  # long names (the output names of explain --out go over 255 bytes)
        path = folder / ("n" * (length - 4) + ".wav")
        sf.write(path, tone(rng, 0.2), 8000)
        cases.setdefault("long names", []).append(path)
    return cases


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """The batch explains about 75 short clips: one thread each is fastest on a shared, busy CPU."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    return build_cases(tmp_path_factory.mktemp("bad_audio"))


def _guard(signum, frame):
    raise TimeoutError("a load did not return")


def test_every_bad_file_loads_or_fails_with_a_message_naming_it(cases):
    outcomes: Counter = Counter()
    previous = signal.signal(signal.SIGALRM, _guard)
    try:
        for category, paths in cases.items():
            for path in paths:
                tracemalloc.start()
                signal.alarm(HANG_GUARD_S)
                try:
                    audio = load_audio(path, 8000)
                except AudioLoadError as exc:
                    assert str(exc).startswith(f"{path}: ") and exc.reason, (category, path, exc)
                    shown_path(str(exc)).encode("utf-8")  # printable
                    outcomes[category, "refused"] += 1
                else:
                    assert audio.samples.ndim == 1 and np.isfinite(audio.samples).all(), (category, path)
                    outcomes[category, "loaded"] += 1
                finally:
                    signal.alarm(0)
                    peak = tracemalloc.get_traced_memory()[1]
                    tracemalloc.stop()
                assert peak < MAX_LOAD_BYTES, (category, path, peak)
    finally:
        signal.signal(signal.SIGALRM, previous)
    total = sum(outcomes.values())
    print("\nbad audio files by category:", dict(sorted(outcomes.items())), "total", total)
    assert total >= 300
    for expected in ("lying rate", "empty"):
        assert outcomes[expected, "loaded"] == 0, expected
    assert outcomes["odd paths", "loaded"] == 4  # the non-UTF-8 names; FIFOs, loops, folders are refused
    assert outcomes["extreme values", "loaded"] >= 3  # silence, float32-max and one sample load; NaN/Inf do not


def test_one_cli_batch_over_every_bad_file_explains_the_good_ones(cases, fsdd_dir, tmp_path, capsys):
    good = [fsdd_dir / "recordings" / name for name in ("3_theo_0.wav", "7_jackson_0.wav")]
    files = [good[0], *(p for paths in cases.values() for p in paths), good[1]]
    status = main(["explain", *map(str, files), "--model", "spectrogram", "--json"])
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert status == 3 and len(records) == len(files)
    for path, record in zip(files, records, strict=True):
        assert record["path"] == shown_path(path)
        if "error" in record:
            assert record["error"].startswith(shown_path(path)), record
        else:
            probabilities = record["models"]["spectrogram"]["probabilities"].values()
            assert all(np.isfinite(p) for p in probabilities), record
    assert records[0]["models"]["spectrogram"]["predicted"] == "3"
    assert records[-1]["models"]["spectrogram"]["predicted"] == "7"
    # Writing files: names whose outputs do not fit fail alone, the rest are written.
    files = [*cases["long names"], good[1]]
    assert main(["explain", *map(str, files), "--model", "spectrogram", "--json", "--out", str(tmp_path)]) == 3
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert ["error" in r for r in records] == [False, False, True, False]  # 240 bytes fits since the short temp names
    assert "name is too long" in records[2]["error"] and (tmp_path / "7_jackson_0.wav.png").exists()
