"""The data-set comparison (issue 14): the digit test split with every measure, clips/s per core, and the
speed-up of a local Dask cluster with 2 workers over 1.

Usage: python benchmarks/bench_compare.py [--clips 300] [--speedup-clips 16] [--dataset fsdd-test] [--out DIR]
(also run by run_all.py). Leaves the report of the full run in OUT (default /tmp/audioxai-bench-compare).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _pair(task_name: str | None):
    from audioxai_gui.classifiers import discover_tasks, find_cards, get_task
    from audioxai_gui.evaluate.job import Pair

    task = get_task(discover_tasks(find_cards()[0])[0], task_name)
    return task, Pair(str(task.card("waveform").path), str(task.card("spectrogram").path))


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _report(result, settings, task, dataset: str, seconds: float, out: Path, where: str) -> str:
    from audioxai_gui.evaluate.domains import DOMAINS_OF_KIND
    from audioxai_gui.evaluate.report import ReportContext, write_outputs

    context = ReportContext(
        dataset=dataset,
        models={kind: task.card(kind).name for kind in ("waveform", "spectrogram")},
        classes=list(task.classes),
        rankings=list(settings.rankings),
        domains=dict(DOMAINS_OF_KIND),
        sample_rate=task.card("spectrogram").sample_rate,
        steps=settings.steps,
        seconds=seconds,
        workers=where,
        task=task.id,
    )
    return write_outputs(out, result.aggregate, context)


def _cluster_run(pair, refs, settings, workers: int) -> float:
    from distributed import Client

    from audioxai_gui.evaluate.job import _subjects, dask_runner, local_cluster, run_job

    with (
        local_cluster(workers) as cluster,
        Client(cluster) as client,
    ):
        client.run(lambda: _subjects(pair) and None)  # models loaded on every worker before the clock starts
        with tempfile.TemporaryDirectory() as scratch:
            started = time.perf_counter()
            run_job(pair, refs, settings, Path(scratch), dask_runner(client), shard_size=2)
            return time.perf_counter() - started


def run(
    clips: int = 300,
    speedup_clips: int = 16,
    dataset: str = "fsdd-test",
    out: str | None = None,
    speedup_steps: int = 20,
) -> list[dict]:
    """``clips`` (0: skip) in-process with every measure, then ``speedup_clips`` on 1 and 2 local Dask workers
    (with ``speedup_steps`` perturbation steps, so the comparison fits a busy machine)."""
    import torch

    from audioxai_gui.evaluate.clip import Settings
    from audioxai_gui.evaluate.dataset import SHORTCUTS, list_clips
    from audioxai_gui.evaluate.job import run_job

    torch.set_num_threads(1)
    task, pair = _pair(SHORTCUTS[dataset][1] if dataset in SHORTCUTS else None)
    all_refs = list_clips(dataset)
    refs = all_refs[:clips]
    settings = Settings()
    rows = []
    if refs:
        out_dir = Path(out or "/tmp/audioxai-bench-compare")
        for old in (out_dir / "shards").glob("*.json"):
            old.unlink()
        cpu, started = _cpu_seconds(), time.perf_counter()
        result = run_job(pair, refs, settings, out_dir)
        wall, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
        print(_report(result, settings, task, dataset, wall, out_dir, "in-process, 1 thread"), flush=True)
        rows.append(
            {
                "run": f"{dataset}, {len(refs)} clips, all measures, in-process (1 thread)",
                "wall s": wall,
                "clips/s": len(refs) / wall,
                "CPU s per clip": cpu / len(refs),
                "clips/s per core (CPU time)": len(refs) / cpu,
            }
        )
    speed_refs = all_refs[:speedup_clips]
    light = Settings(steps=speedup_steps)
    times = {workers: _cluster_run(pair, speed_refs, light, workers) for workers in (1, 2)}
    for workers, seconds in times.items():
        rows.append(
            {
                "run": f"{len(speed_refs)} clips ({speedup_steps} steps) on a local Dask cluster, {workers} worker(s)",
                "wall s": seconds,
                "clips/s": len(speed_refs) / seconds,
                "CPU s per clip": float("nan"),
                "clips/s per core (CPU time)": float("nan"),
            }
        )
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    rows.append({"run": f"speed-up of 2 workers over 1: {times[1] / times[2]:.2f}x (load average {load})"})
    return rows


if __name__ == "__main__":
    from benchmarks.common import markdown_table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=300)
    parser.add_argument("--speedup-clips", type=int, default=16)
    parser.add_argument("--dataset", default="fsdd-test")
    parser.add_argument("--out")
    parser.add_argument("--speedup-steps", type=int, default=20)
    args = parser.parse_args()
    print(markdown_table(run(args.clips, args.speedup_clips, args.dataset, args.out, args.speedup_steps)))
