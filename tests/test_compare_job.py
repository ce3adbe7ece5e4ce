"""The compare job: shards, resuming, and a real local Dask cluster giving the in-process result."""

from __future__ import annotations

import csv
import json
import os
import signal
import time

import numpy as np
import pytest
import soundfile as sf

from audioxai_gui.evaluate.clip import Settings
from audioxai_gui.evaluate.dataset import DatasetError, class_index, from_folder, from_manifest, list_clips
from audioxai_gui.evaluate.job import Pair, dask_runner, local_cluster, run_job

TINY = Settings(attributions=("EpsilonPlus",), steps=2, random_seeds=1, corruptions=("gain",))
SMALLER = Settings(attributions=("EpsilonPlus",), steps=2, random_seeds=1, measures=("faithfulness", "profiles"))


@pytest.fixture(scope="module")
def pair(model_pair) -> Pair:
    waveform, spectrogram = model_pair
    return Pair(str(waveform.card.path), str(spectrogram.card.path))


@pytest.fixture(scope="module")
def clip_folder(tmp_path_factory):
    """Five short tones in class sub-folders 0 and 1."""
    folder = tmp_path_factory.mktemp("clips")
    rng = np.random.default_rng(0)
    for index in range(5):
        label = str(index % 2)
        (folder / label).mkdir(exist_ok=True)
        t = np.arange(4000) / 8000
        samples = 0.3 * np.sin(2 * np.pi * (200 + 100 * index) * t) + 0.01 * rng.standard_normal(t.size)
        sf.write(folder / label / f"clip{index}.wav", samples.astype(np.float32), 8000)
    return folder


def _measured(aggregate_json: dict) -> dict:
    """The aggregate without its timing (the one thing that differs between two runs)."""
    return {key: value for key, value in aggregate_json.items() if key != "seconds"}


def _rows(out) -> list[list[str]]:
    with open(out / "results.csv", newline="") as f:
        return list(csv.reader(f))


def test_folder_and_manifest_list_the_same_clips(clip_folder, tmp_path):
    refs = from_folder(clip_folder)
    assert [(r.label, os.path.basename(r.path)) for r in refs][:2] == [("0", "clip0.wav"), ("0", "clip2.wav")]
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,label,fold\n" + "".join(f"{r.path},{r.label},1\n" for r in refs))
    assert [(r.path, r.label) for r in from_manifest(manifest)] == [(r.path, r.label) for r in refs]
    assert all(r.fold == "1" for r in from_manifest(manifest))
    assert list_clips(str(manifest)) == from_manifest(manifest)


def test_dataset_errors_name_the_thing(tmp_path):
    with pytest.raises(DatasetError, match="no such folder or file"):
        list_clips(str(tmp_path / "missing"))
    with pytest.raises(DatasetError, match="no audio files in sub-folders"):
        from_folder(tmp_path)
    with pytest.raises(DatasetError, match="'dog' is not one of"):
        class_index("dog", ["0", "1"])
    assert class_index("001 - Dog bark", ["Dog bark", "Rain"]) == 0


def test_fsdd_test_split_shortcut_lists_300_clips(fsdd_dir):
    refs = list_clips("fsdd-test")
    assert len(refs) == 300 and {r.label for r in refs} == {str(d) for d in range(10)}


def test_resume_computes_only_missing_shards_and_a_bad_file_is_reported(pair, clip_folder, tmp_path):
    refs = from_folder(clip_folder)
    first = run_job(pair, refs, TINY, tmp_path / "a", shard_size=2)
    assert first.computed_shards == 3 and first.aggregate.clips == 5
    shard = sorted((tmp_path / "a" / "shards").glob("shard-00001-*.json"))[0]
    shard.unlink()
    again = run_job(pair, refs, TINY, tmp_path / "a", shard_size=2)
    assert (again.computed_shards, again.resumed_shards) == (1, 2)
    assert _measured(again.aggregate.to_json()) == _measured(first.aggregate.to_json())
    broken = clip_folder.parent / "broken.wav"
    broken.write_bytes(b"not audio")
    result = run_job(pair, [*refs[:1], type(refs[0])(str(broken), "0")], TINY, tmp_path / "b")
    assert result.aggregate.clips == 1 and len(result.skipped) == 1 and "broken.wav" in result.skipped[0][1]


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with (
        local_cluster(2) as local,
        distributed.Client(local) as client,
    ):
        yield client


def _kill_busy_worker(client) -> None:
    """SIGKILL a worker process while it has a shard in processing (its work is lost, Dask retries it)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        busy = [worker for worker, tasks in client.processing().items() if tasks]
        if busy:
            pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
            os.kill(pid, signal.SIGKILL)
            return
        time.sleep(0.05)
    raise AssertionError("no worker ever had a shard to process")


@pytest.mark.slow
def test_local_cluster_equals_in_process_even_when_a_worker_dies(pair, clip_folder, tmp_path, cluster):
    # The workers keep glibc's adaptive mmap threshold (Dask's trim setting freezes it: a page-fault storm).
    assert set(cluster.run(os.environ.get, "MALLOC_TRIM_THRESHOLD_").values()) == {None}
    refs = from_folder(clip_folder)[:3]
    local = run_job(pair, refs, SMALLER, tmp_path / "local", shard_size=1)
    distributed = run_job(pair, refs, SMALLER, tmp_path / "dask", dask_runner(cluster), shard_size=1)
    assert _rows(tmp_path / "dask") == _rows(tmp_path / "local")
    assert _measured(json.loads((tmp_path / "dask" / "aggregate.json").read_text())) == _measured(
        local.aggregate.to_json()
    )
    assert distributed.aggregate.clips == len(refs)

    plain = dask_runner(cluster)

    def killing_runner(*args):
        results = plain(*args)  # every shard submitted
        _kill_busy_worker(cluster)
        yield from results

    killed = run_job(pair, refs, SMALLER, tmp_path / "killed", killing_runner, shard_size=1)
    rows = _rows(tmp_path / "killed")
    assert rows == _rows(tmp_path / "local")
    keys = [(r[0], r[3], r[5]) for r in rows[1:]]
    assert len(keys) == len(set(keys))  # no clip counted twice
    assert {r[0] for r in rows[1:]} == {r.path for r in refs} and killed.aggregate.clips == len(refs)


def test_compare_command_writes_table_report_and_summary(clip_folder, tmp_path, capsys, model_pair):
    from audioxai_gui.cli import main

    out = tmp_path / "out"
    argv = ["compare", str(clip_folder), "--out", str(out), "--limit", "2", "--steps", "2", "--seeds", "1",
            "--rankings", "EpsilonPlus", "--measures", "faithfulness,robustness,profiles"]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "Verdicts:" in printed and "more robust" in printed and "more faithful explanations" in printed
    report = (out / "report.html").read_text()
    assert report.count("data:image/png;base64,") >= 4 and "<script" not in report
    header, *rows = _rows(out)
    assert header == ["clip", "label", "fold", "model", "input_kind", "measure", "value"]
    assert {r[3] for r in rows} >= {model_pair[0].card.name, model_pair[1].card.name, "pair"}


def test_compare_command_names_a_bad_data_set_and_option(tmp_path, capsys):
    from audioxai_gui.cli import main

    assert main(["compare", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]) == 2
    assert "no such folder or file" in capsys.readouterr().err
    assert main(["compare", "fsdd-test", "--out", str(tmp_path / "o"), "--patches", "big"]) == 2
    assert "--patches must look like 16x16" in capsys.readouterr().err


def test_progress_bar_counts_up_with_rate_and_time_left():
    import io

    from audioxai_gui.evaluate.job import Progress

    now = [0.0]
    stream = io.StringIO()
    progress = Progress(10, stream, clock=lambda: now[0])
    progress.resume(2)  # a shard saved by an earlier run
    for clips in (4, 1, 3):
        now[0] += 2.0
        progress.advance(clips)
    lines = stream.getvalue().splitlines()
    done = [int(line.split("] ")[1].split("/")[0]) for line in lines]
    assert done == [6, 7, 10] and all(line.count("#") <= 30 for line in lines)
    assert "(2 resumed)" in lines[0] and "2.00 clips/s" in lines[0] and "0:02 left" in lines[0]
    assert "1.33 clips/s" in lines[-1] and "0:00 left" in lines[-1] and "#" * 30 in lines[-1]


def test_a_job_reports_its_progress_up_to_every_clip(pair, clip_folder, tmp_path):
    import io

    from audioxai_gui.evaluate.job import Progress

    refs = from_folder(clip_folder)[:3]
    stream = io.StringIO()
    run_job(pair, refs, TINY, tmp_path / "p", shard_size=2, progress=Progress(len(refs), stream))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and lines[-1].split("] ")[1].startswith("3/3 clips")


def test_on_a_terminal_the_progress_bar_rewrites_one_line():
    import io

    from audioxai_gui.evaluate.job import Progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    now = [0.0]
    stream = Terminal()
    progress = Progress(1000, stream, clock=lambda: now[0])
    now[0] = 4000.0  # a long first shard: "1:06:30 left" ...
    progress.advance(1)
    now[0] = 4001.0  # ... then a fast one: a shorter line must not leave the old line's tail
    progress.advance(998)
    progress.finish()
    updates = stream.getvalue().split("\r")[1:]
    assert stream.getvalue().count("\n") == 1 and len(updates) == 2
    assert len(updates[1].rstrip("\n")) >= len(updates[0]) and updates[1].rstrip().endswith("left")
