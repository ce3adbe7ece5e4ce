"""Bad input never takes the tool down: one file's failure is that file's message; sidecars cannot trap edits."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from audioxai_gui.annotate.document import RegionDocument
from audioxai_gui.annotate.regions import Region
from audioxai_gui.annotate.sidecar import Autosaver, SidecarError, load_sidecar, sidecar_path, write_sidecar
from audioxai_gui.atomic import NAME_MAX, _temp_prefix, temp_files_for
from audioxai_gui.batch import failure_message, run_isolated, shown_path
from audioxai_gui.cli import EXIT_BAD_INPUT, main


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
