"""Bad input never takes the tool down: one file's failure is that file's message; sidecars cannot trap edits."""

from __future__ import annotations

import json
import os
import shutil
import struct
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audioxai_gui.annotate.document import RegionDocument
from audioxai_gui.annotate.regions import Region
from audioxai_gui.annotate.sidecar import Autosaver, SidecarError, load_sidecar, sidecar_path, write_sidecar
from audioxai_gui.atomic import NAME_MAX, _temp_prefix, atomic_folder, atomic_output, temp_files_for
from audioxai_gui.audio.costs import CostLimit, load_cost
from audioxai_gui.audio.io import AudioLoadError, audio_info, load_audio, load_audio_rates
from audioxai_gui.batch import failure_message, run_isolated, shown_path
from audioxai_gui.cli import EXIT_BAD_INPUT, main
from audioxai_gui.report import reduce_columns


@pytest.fixture(scope="module")
def fsdd_clip(fsdd_dir):
    return fsdd_dir / "recordings" / "7_jackson_0.wav"


def deep_json(levels: int) -> str:
    return "[" * levels + "]" * levels


# --- the isolation helper ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "exc, words",
    [
        (MemoryError(), "not enough memory"),
        (RecursionError("maximum recursion depth exceeded"), "nested too deeply"),
        (OSError(36, "File name too long", "/x/" + "n" * 300), "name is too long"),
        (ZeroDivisionError("division by zero"), "unexpected ZeroDivisionError: division by zero"),
    ],
)
def test_any_failure_becomes_a_message_naming_the_file(exc, words):
    def fail():
        raise exc

    result, message = run_isolated("a/b.wav", fail)
    assert result is None and message.startswith("a/b.wav: ") and words in message


def test_a_message_that_names_the_file_does_not_repeat_it():
    assert failure_message("x.wav", ValueError("x.wav: empty")) == "x.wav: empty"


def test_non_utf8_names_print():
    name = os.fsdecode(b"caf\xe9.wav")
    assert shown_path(name) == "caf\ufffd.wav"
    shown_path(name).encode("utf-8")  # printable, no lone surrogates


# --- batches survive ------------------------------------------------------------------------------


def test_explain_batch_survives_a_name_too_long_an_out_of_memory_and_a_bad_file(
    fsdd_clip, tmp_path, capsys, monkeypatch
):
    long_name = tmp_path / ("n" * (NAME_MAX - 8) + ".wav")  # fits; its "<name>.relevance.npz" output does not
    shutil.copy(fsdd_clip, long_name)
    hungry = tmp_path / "hungry.wav"
    shutil.copy(fsdd_clip, hungry)
    garbage = tmp_path / "garbage.wav"
    garbage.write_bytes(b"RIFF" + bytes(100))
    good = tmp_path / "good.wav"
    shutil.copy(fsdd_clip, good)
    from audioxai_gui import report

    real_figure = report.save_figure

    def save_figure(path, *args):  # drawing a long file's figure is where memory ran out
        if "hungry" in path.name:
            raise MemoryError
        real_figure(path, *args)

    monkeypatch.setattr(report, "save_figure", save_figure)
    out = tmp_path / "out"
    files = [long_name, hungry, garbage, good]
    status = main(["explain", *map(str, files), "--out", str(out), "--json", "--model", "spectrogram"])
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert status == EXIT_BAD_INPUT and len(records) == 4
    assert "name is too long" in records[0]["error"] and long_name.name in records[0]["error"]
    assert records[1]["error"] == f"{hungry}: not enough memory to process this file"
    assert str(garbage) in records[2]["error"]
    assert "error" not in records[3] and (out / "good.wav.png").exists()
    assert not list(out.glob(".*.tmp"))


def test_explain_into_an_unwritable_folder_is_a_message(fsdd_clip, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["explain", str(fsdd_clip), "--out", str(blocker / "out")]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "cannot create the output folder" in err and "Traceback" not in err


def test_debug_prints_the_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF" + bytes(100))
    assert main(["explain", str(bad), "--model", "spectrogram", "--debug"]) == EXIT_BAD_INPUT
    assert "Traceback" in capsys.readouterr().err


def test_agreement_reports_a_deep_nested_sidecar_and_leaves_it_in_place(fsdd_clip, tmp_path, capsys):
    good = tmp_path / "good.wav"
    shutil.copy(fsdd_clip, good)
    write_sidecar(RegionDocument([Region(0.0, 0.2)]), good)
    deep = tmp_path / "deep.wav"
    shutil.copy(fsdd_clip, deep)
    sidecar_path(deep).write_text(deep_json(100_000))
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["agreement", str(tmp_path), "--model", "spectrogram", "--out", str(tmp_path / "o.csv")]) == 3
    err = capsys.readouterr().err
    assert f"sidecar {sidecar_path(deep)}: not valid JSON (nested too deeply)" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*before, "o.csv"])  # nothing renamed
    assert "good.wav" in (tmp_path / "o.csv").read_text()


# --- sidecars -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content, words",
    [
        (deep_json(100_000), "not valid JSON (nested too deeply)"),
        ('{"schema": 1, "duration": 1' + "0" * 400 + ', "regions": []}', "duration"),
        ('{"schema": 1, "regions": [{"start": 1' + "0" * 400 + ', "end": 2}]}', "start must be a finite number"),
        ('{"schema": 1e999, "regions": []}', "schema"),
    ],
)
def test_every_sidecar_read_error_is_a_sidecar_error_and_the_file_is_kept(tmp_path, content, words):
    audio = tmp_path / "clip.wav"
    sidecar_path(audio).write_text(content)
    with pytest.raises(SidecarError) as info:
        load_sidecar(audio)
    assert words in str(info.value) and str(sidecar_path(audio)) in str(info.value)
    assert info.value.kept_at.read_text() == content and not sidecar_path(audio).exists()


def test_a_fifo_sidecar_is_refused_without_opening_it(tmp_path):
    audio = tmp_path / "clip.wav"
    os.mkfifo(sidecar_path(audio))
    with pytest.raises(SidecarError, match="not a regular file"):
        load_sidecar(audio, keep_aside=False)


def test_a_corrupt_sidecar_of_a_long_audio_name_is_kept_aside_under_a_short_name(tmp_path):
    audio = tmp_path / ("a" * (NAME_MAX - len(".axai.json")) + "")
    sidecar_path(audio).write_text("{")
    with pytest.raises(SidecarError) as info:
        load_sidecar(audio)
    assert info.value.kept_at.read_text() == "{" and len(info.value.kept_at.name) < NAME_MAX


def test_audio_with_the_longest_names_autosaves(tmp_path):
    audio = tmp_path / ("b" * (NAME_MAX - len(".axai.json")))
    document = RegionDocument([Region(0.0, 1.0)])
    saver = Autosaver(document, audio, clock=lambda: 0.0)
    saver.notify_changed()
    assert saver.flush() and len(load_sidecar(audio)) == 1


def test_save_removes_stale_temporaries_of_long_names(tmp_path):
    audio = tmp_path / ("c" * 240)
    write_sidecar(RegionDocument([Region(0.0, 1.0)]), audio)
    assert not temp_files_for(sidecar_path(audio))
    leftover = tmp_path / f"{_temp_prefix(sidecar_path(audio))}.deadbeef.tmp"  # what a killed save leaves
    leftover.write_text("{")
    assert len(leftover.name) < NAME_MAX and temp_files_for(sidecar_path(audio)) == [leftover]
    an_hour_ago = time.time() - 3600
    os.utime(leftover, (an_hour_ago, an_hour_ago))
    write_sidecar(RegionDocument([Region(0.0, 1.0)]), audio)
    assert not leftover.exists()


def _write_session(path):
    from audioxai_gui.session import Session

    Session(audio_path="clip.wav").save(path)


def _write_rows(path):
    from audioxai_gui.annotate.agreement import write_rows_csv

    write_rows_csv([], path)


def _write_npz(path):
    with atomic_output(path) as temp, open(temp, "wb") as handle:  # how the report and the cache write arrays
        np.savez(handle, x=np.zeros(3))


def _write_wav(path):
    from audioxai_gui.audio.io import save_wav

    save_wav(path, np.zeros(80, np.float32), 8000)


WRITERS = {"session": _write_session, "agreement csv": _write_rows, "npz": _write_npz, "wav": _write_wav}


@pytest.mark.parametrize("writer", WRITERS.values(), ids=WRITERS.keys())
@pytest.mark.parametrize("name_bytes", [12, 255])
def test_every_writer_removes_its_own_stale_temporaries_only(tmp_path, writer, name_bytes):
    target = tmp_path / ("w" * (name_bytes - 4) + ".out")
    stale = tmp_path / f"{_temp_prefix(target)}.deadbeef.tmp"  # what a killed write of the target left
    fresh = tmp_path / f"{_temp_prefix(target)}.0123abcd.tmp"  # a write in progress in another process
    other = tmp_path / f"{_temp_prefix(target)}.x.deadbeef.tmp"  # a temporary of another file ("{target}.x")
    for leftover in (stale, fresh, other):
        assert len(os.fsencode(leftover.name)) <= NAME_MAX
        leftover.write_bytes(b"half")
    for old in (stale, other):
        os.utime(old, (time.time() - 3600, time.time() - 3600))
    writer(target)
    assert target.is_file() and not stale.exists() and fresh.exists() and other.exists()
    assert sorted(temp_files_for(target)) == [fresh]


def test_a_failed_write_names_the_target_not_its_temporary(tmp_path):
    target = tmp_path / "missing-folder" / "x.npz"
    with pytest.raises(OSError) as caught:
        _write_npz(target)
    assert "missing-folder" in failure_message(target, caught.value) and ".tmp" not in str(caught.value.filename)
    target = tmp_path / "out.npz"
    target.mkdir()  # replacing a folder by a file fails at the rename
    with pytest.raises(OSError) as caught:
        _write_npz(target)
    assert caught.value.filename == str(target) and not list(tmp_path.glob(".*.tmp"))


def test_a_folder_written_atomically_replaces_the_old_whole_and_a_failed_write_keeps_it(tmp_path):
    target = tmp_path / "entry.timeline"
    with atomic_folder(target) as temp:
        (temp / "a.npy").write_bytes(b"old a")
        (temp / "b.npy").write_bytes(b"old b")
    with pytest.raises(RuntimeError), atomic_folder(target) as temp:
        (temp / "a.npy").write_bytes(b"new a")
        raise RuntimeError("disk full halfway")
    assert sorted(f.read_bytes() for f in target.iterdir()) == [b"old a", b"old b"]
    with atomic_folder(target) as temp:
        (temp / "a.npy").write_bytes(b"new a")
    assert [f.read_bytes() for f in target.iterdir()] == [b"new a"]  # no old file left mixed in
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry.timeline"]  # no temporary left behind


def test_the_audio_duration_wins_over_the_sidecars(tmp_path):
    audio = tmp_path / "clip.wav"
    write_sidecar(RegionDocument([Region(0.0, 1.0)], duration=3600.0), audio)
    assert load_sidecar(audio, duration=2.0).duration == 2.0


def test_twenty_thousand_regions_load(tmp_path):
    audio = tmp_path / "clip.wav"
    regions = [{"start": i * 0.01, "end": i * 0.01 + 0.005, "id": f"r{i}"} for i in range(20_000)]
    sidecar_path(audio).write_text(json.dumps({"schema": 1, "regions": regions}))
    assert len(load_sidecar(audio)) == 20_000


def test_an_autosaver_whose_disk_fails_can_still_be_stopped(tmp_path):
    folder = tmp_path / "gone"
    folder.mkdir()
    saver = Autosaver(RegionDocument(), folder / "clip.wav", clock=lambda: 0.0)
    saver.notify_changed()
    folder.rmdir()
    with pytest.raises(SidecarError):
        saver.flush()
    saver.stop()
    assert saver.dirty and not Path(folder).exists()


# --- costs decided from headers -------------------------------------------------------------------


def wav_header(rate: int, frames: int, channels: int = 1) -> bytes:
    """A 16-bit PCM WAV header promising ``frames`` frames at ``rate`` Hz."""
    data = frames * channels * 2
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * channels * 2, channels * 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data)
        + b"WAVEfmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data"
        + struct.pack("<I", data)
    )


def test_a_lying_rate_is_refused_naming_it(tmp_path):
    path = tmp_path / "one_hertz.wav"
    path.write_bytes(wav_header(1, 200_000) + bytes(400_000))  # 400 kB that would be 55 hours at 8 kHz
    with pytest.raises(AudioLoadError, match=r"sample rate 1 Hz in the header is outside the 1,000-768,000 Hz"):
        load_audio(path, 8000)


def test_an_aiff_with_rate_zero_is_refused(tmp_path):
    path = tmp_path / "zero.aiff"
    sf.write(path, np.zeros(8000, dtype=np.float32), 8000, format="AIFF", subtype="PCM_16")
    data = bytearray(path.read_bytes())
    comm = data.index(b"COMM")
    data[comm + 16 : comm + 26] = bytes(10)  # the 80-bit extended sample rate: 0
    path.write_bytes(bytes(data))
    with pytest.raises(AudioLoadError) as info:
        load_audio(path, 8000)
    assert str(path) in str(info.value)


def test_the_cli_refuses_a_long_file_from_its_header_unless_allowed(tmp_path, capsys):
    path = tmp_path / "long.wav"
    frames = int(3.5 * 3600 * 8000)
    with open(path, "wb") as handle:  # sparse: the header promises 3.5 hours, nothing is decoded
        handle.write(wav_header(8000, frames))
        handle.truncate(44 + frames * 2)
    assert main(["explain", str(path), "--model", "spectrogram"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert f"{path}: 3.5 h long, about" in err and "longer than the 3.0 h limit" in err and "--max-duration" in err
    assert load_cost(audio_info(path), {8000}).seconds == pytest.approx(3.5 * 3600)
    assert "more than the 1.0 kB limit" in CostLimit(seconds=1e9, bytes=1000).exceeded_by(
        load_cost(audio_info(path), {8000})
    )
    assert CostLimit.allowing(4 * 3600).exceeded_by(load_cost(audio_info(path), {8000, 44100})) == ""


def test_one_decode_serves_every_rate(fsdd_clip):
    both = load_audio_rates(fsdd_clip, [8000, 16000, None])
    assert both[None].sample_rate == 8000 and len(both[16000].samples) == 2 * len(both[8000].samples)
    np.testing.assert_allclose(both[16000].samples, load_audio(fsdd_clip, 16000).samples, atol=1e-6)
    assert len(load_audio(fsdd_clip, max_seconds=0.1).samples) == 800


def test_a_non_utf8_name_opens_and_explains(fsdd_clip, tmp_path, capsys):
    path = Path(os.fsdecode(bytes(tmp_path) + b"/caf\xe9.wav"))
    shutil.copy(fsdd_clip, path)
    assert load_audio(path).duration > 0.1
    assert main(["explain", str(path), "--model", "spectrogram"]) == 0
    assert "caf\ufffd.wav: spectrogram model -> 7" in capsys.readouterr().out


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda p: os.mkfifo(p), "not a regular file (a pipe"),
        (lambda p: os.symlink(p, p), "loop of symbolic links"),
        (lambda p: os.symlink(p.with_name("gone.wav"), p), "a symbolic link to a file that does not exist"),
        (lambda p: p.write_bytes(b"\xff\xfb" + bytes(5000)), "not a recognised audio file"),
    ],
)
def test_odd_paths_have_plain_messages(tmp_path, make, words):
    path = tmp_path / "odd.mp3"
    make(path)
    with pytest.raises(AudioLoadError) as info:
        load_audio(path)
    assert str(info.value).startswith(f"{path}: ") and words in str(info.value)
    assert "pipe?" not in str(info.value) and "internal error" not in str(info.value)


def _cut_wav(subtype: str, share: float):
    def make(path: Path) -> None:
        sf.write(path, 0.3 * np.sin(np.arange(8000) / 3.0).astype(np.float32), 8000, subtype=subtype, format="WAV")
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * share)])

    return make


def _mp3(path: Path) -> None:
    sf.write(path, 0.3 * np.sin(np.arange(8000) / 3.0).astype(np.float32), 8000, format="MP3")


# The issue's unclear messages, one case per category: (file name, how to make it, words it must say, words it
# must not say). Every message must also start with the file's name and name it only once.
UNCLEAR_BEFORE = [
    ("random.mp3", lambda p: p.write_bytes(bytes(range(256)) * 3), "the content is not valid MP3 audio", "pipe"),
    ("id3.mp3", lambda p: p.write_bytes(b"ID3\x03" + bytes(6) + bytes(300)), "not valid MP3 audio", "recognised)"),
    ("garbage.wav", lambda p: p.write_bytes(b"RIFF" + bytes(60)), "not a recognised audio file", "internal error"),
    ("fifo.wav", os.mkfifo, "not a regular file (a pipe", "empty"),
    ("loop.wav", lambda p: os.symlink(p, p), "the path is a loop of symbolic links", "not found"),
    ("cut.mp3", lambda p: (_mp3(p), p.write_bytes(p.read_bytes()[:2000])), "truncated", "does not exist"),
    ("ima.wav", _cut_wav("IMA_ADPCM", 0.6), "truncated: header says", "loaded"),
    ("ms.wav", _cut_wav("MS_ADPCM", 0.9), "truncated: header says", "loaded"),
    ("gsm.wav", _cut_wav("GSM610", 0.6), "truncated: header says", "loaded"),
    ("zero.wav", lambda p: sf.write(p, np.zeros(0, np.float32), 8000), "the file holds no audio frames", "loaded"),
    (b"caf\xe9.mp3", lambda p: p.write_bytes(bytes(300)), "not valid MP3 audio", "surrogate"),
]


@pytest.mark.parametrize("name, make, says, never", UNCLEAR_BEFORE, ids=[str(case[0]) for case in UNCLEAR_BEFORE])
def test_the_issues_unclear_messages_now_name_the_file_and_the_reason(tmp_path, name, make, says, never):
    path = Path(os.fsdecode(bytes(tmp_path) + b"/" + (name if isinstance(name, bytes) else name.encode())))
    make(path)
    with pytest.raises(AudioLoadError) as info:
        load_audio(path)
    message = str(info.value)
    assert message.startswith(f"{shown_path(path)}: ") and message.count(shown_path(path.name)) == 1
    assert says in message and never not in message.lower()


def test_an_mp3_that_exists_opens(tmp_path):
    path = tmp_path / "tone.mp3"
    _mp3(path)
    assert load_audio(path).duration == pytest.approx(1.0, abs=0.05)


def test_a_silent_clip_is_flagged_no_sound(tmp_path, capsys):
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros(8000, dtype=np.float32), 8000)
    assert main(["explain", str(path), "--model", "spectrogram"]) == 0
    assert "no sound" in capsys.readouterr().out
    assert main(["explain", str(path), "--model", "spectrogram", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["no_sound"] is True


# --- figures of long clips ------------------------------------------------------------------------


def test_reduce_columns_keeps_extremes_and_sign():
    values = np.array([1.0, -3.0, 2.0, 0.5, -0.1, 4.0, -5.0])
    np.testing.assert_array_equal(reduce_columns(values, 3, "signed"), [-3.0, 4.0, -5.0])
    np.testing.assert_array_equal(reduce_columns(values, 3, "max"), [2.0, 4.0, -5.0])
    assert reduce_columns(values, 1, "min") is values


def test_a_long_clips_figure_is_drawn_from_decimated_data(tmp_path, model_pair):
    import tracemalloc

    from audioxai_gui.explain.engine import Explanation
    from audioxai_gui.report import save_figure

    spec = model_pair[1].card.features
    rate, seconds = spec.sample_rate, 10 * 60
    rng = np.random.default_rng(0)
    samples = (0.1 * rng.standard_normal(rate * seconds)).astype(np.float32)
    frames = spec.framing.n_frames(samples.size)
    tf = rng.standard_normal((spec.n_bands, frames)).astype(np.float32)

    def explanation(kind):
        return Explanation(
            "m",
            kind,
            ["a", "b"],
            np.array([0.5, 0.5]),
            0,
            "EpsilonPlus",
            samples if kind == "waveform" else tf,
            tf,
            spec,
            rate,
            1.0,
            np.zeros(1),
            np.zeros((1, 2)),
            0.0,
        )

    tracemalloc.start()
    save_figure(
        tmp_path / "long.png",
        {"waveform": samples, "spectrogram": samples},
        [explanation("waveform"), explanation("spectrogram")],
        "long",
    )
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert (tmp_path / "long.png").read_bytes()[:4] == b"\x89PNG"
    assert peak < 3 * (samples.nbytes + tf.nbytes), f"{peak / 1e6:.0f} MB for a 10-minute figure"


# --- checksums on model cards ------------------------------------------------------------------------


def test_built_in_cards_carry_the_checksum_of_their_weights_and_are_refused_without_it():
    from audioxai_gui.classifiers import ModelLoadError, find_cards, load_model
    from audioxai_gui.classifiers.discovery import BUILTIN_MODELS
    from audioxai_gui.classifiers.registry import file_sha256

    cards, problems = find_cards([BUILTIN_MODELS])
    assert cards and not problems
    for card in cards:
        assert card.sha256 == file_sha256(card.weights_path), card.name
    card = cards[0]
    card.sha256 = ""  # as if someone edited the shipped card
    with pytest.raises(ModelLoadError, match="built-in card must carry the sha256"):
        load_model(card)


def test_a_user_card_without_a_checksum_loads_and_one_with_a_wrong_checksum_is_refused(model_pair, tmp_path):
    from audioxai_gui.classifiers import ModelCard, ModelLoadError, load_model

    source = model_pair[0].card
    shutil.copy(source.weights_path, tmp_path / source.weights_path.name)
    card = ModelCard.load(shutil.copy(source.path, tmp_path / source.path.name))
    card.sha256 = ""
    assert load_model(card).card.name == source.name
    card.sha256 = "0" * 64
    with pytest.raises(ModelLoadError, match="does not match the card's sha256"):
        load_model(card)
