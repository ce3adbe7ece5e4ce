"""Run a comparison over many clips: sharded by clip, in-process or on Dask, resumable, with progress.

Each shard (a few consecutive clips) is measured independently: every random choice is seeded by the clip's
name, so a shard gives the same result on any machine. Finished shards are saved (atomically) under
``OUT/shards`` by the process that started the job, never by a worker: a worker killed mid-shard leaves no file,
Dask runs its shard again, and a shard is counted only once, from its one file. A rerun with the same settings,
models and clips skips the shards already saved. The final merge reads the shards in order, so the in-process
and the Dask run give equal tables and aggregates.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from ..atomic import atomic_output, atomic_write
from .aggregate import Aggregate
from .clip import Clip, Settings, evaluate_clip
from .dataset import ClipRef, class_index
from .domains import DOMAINS_OF_KIND

SHARD_SIZE = 4
ROW_COLUMNS = ("clip", "label", "fold", "model", "input_kind", "measure", "value")


@dataclass(frozen=True)
class Pair:
    """The two models of a task by card path (workers load them themselves)."""

    waveform: str
    spectrogram: str

    def cards(self) -> dict[str, str]:
        return {"waveform": self.waveform, "spectrogram": self.spectrogram}


@lru_cache(maxsize=4)
def _subjects(pair: Pair):
    """The pair's models, loaded once per process (a worker keeps them between shards), on the process's device:
    $AUDIOXAI_DEVICE, else its GPU when it has one, else the CPU (one thread: one worker per core)."""
    import torch

    from ..classifiers import load_model
    from ..explain.engine import resolve_device
    from .subject import Subject

    torch.set_num_threads(1)
    device = resolve_device()
    return {kind: Subject(load_model(Path(card), device)) for kind, card in pair.cards().items()}


def faithfulness_key(settings: Settings, kind: str) -> str:
    """The measure the most/least faithful clips of a model are ranked by: AOPC of the first ranking in its own
    domain."""
    return f"faithfulness/{DOMAINS_OF_KIND[kind][0]}/{settings.attributions[0]}/aopc-morf"


def _measure(subjects, ref: ClipRef, settings: Settings, classes: list[str]):
    from ..annotate.sidecar import SidecarError, load_sidecar
    from ..audio.io import load_audio

    rates = {subject.card.sample_rate for subject in subjects.values()}
    loaded = {rate: load_audio(ref.path, rate).samples for rate in rates}  # one array per rate: shared work
    samples = {kind: loaded[subject.card.sample_rate] for kind, subject in subjects.items()}
    try:
        regions = list(load_sidecar(ref.path, keep_aside=False).regions)
    except SidecarError:
        regions = []
    clip = Clip(ref.path, samples, class_index(ref.label, classes), ref.fold, regions)
    return evaluate_clip(subjects, clip, settings)


def run_shard(pair: Pair, refs: list[ClipRef], settings: Settings, maps_folder: str | None = None) -> dict:
    """Measure a shard's clips; returns its rows, its aggregate and the clips that failed (with the reason).

    With ``settings.keep_maps`` each clip's common-grid maps go to ``maps_folder`` as ``<hash>.npz`` (written
    atomically, so a shard run twice writes the same file twice, harmlessly)."""
    from ..batch import run_isolated

    subjects = _subjects(pair)
    classes = list(subjects["spectrogram"].card.classes)
    names = {kind: subject.name for kind, subject in subjects.items()}
    aggregate, rows, skipped = Aggregate(), [], []
    ranking = {kind: faithfulness_key(settings, kind) for kind in subjects}
    for ref in refs:
        started = time.perf_counter()
        result, error = run_isolated(ref.path, _measure, subjects, ref, settings, classes)
        if error is not None:
            skipped.append([ref.path, error])
            continue
        result.seconds = time.perf_counter() - started
        if settings.keep_maps and maps_folder:
            _save_maps(Path(maps_folder), ref, result.maps)
        aggregate.add(result, classes, ranking)
        for kind, measure, value in result.rows:
            rows.append([ref.path, ref.label, ref.fold, names.get(kind, kind), kind, measure, value])
    return {"rows": rows, "aggregate": aggregate.to_json(), "skipped": skipped}


def _save_maps(folder: Path, ref: ClipRef, maps: dict) -> None:
    import io

    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, clip=ref.path, **maps)
    atomic_write(folder / (hashlib.sha256(ref.path.encode()).hexdigest()[:16] + ".npz"), buffer.getvalue())


def fingerprint(pair: Pair, settings: Settings, refs: list[ClipRef]) -> str:
    """Identifies a shard's work: models (their whole cards, which hold the weights' checksums and input settings
    such as the level normalisation), settings and clips."""
    cards = [hashlib.sha256(Path(card).read_bytes()).hexdigest() for card in pair.cards().values()]
    payload = json.dumps([cards, asdict(settings), [asdict(ref) for ref in refs]], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def shards_of(refs: list[ClipRef], size: int = SHARD_SIZE) -> list[list[ClipRef]]:
    return [refs[start : start + size] for start in range(0, len(refs), size)]


class Progress:
    """A progress bar: clips done of all, rate and time left, updated as each shard finishes (in any order, so it
    works the same for Dask). On a terminal it rewrites one line; into a log it writes a line per update.

    The bar never goes backwards: resumed shards count as done from the start, and a shard is counted when its
    result is saved, once (a shard Dask runs again after losing a worker is saved, and counted, once). The rate
    and time left are from the clips measured in this run only."""

    def __init__(self, total_clips: int, stream=None, clock=time.perf_counter):
        self.total, self.done, self.resumed = total_clips, 0, 0
        self.stream = stream if stream is not None else sys.stderr
        self.clock, self.started = clock, clock()
        self.in_place = bool(getattr(self.stream, "isatty", lambda: False)())

    def resume(self, clips: int) -> None:
        """Clips of shards saved by an earlier run (before any is measured)."""
        self.done += clips
        self.resumed += clips
        self.started = self.clock()

    def advance(self, clips: int) -> None:
        self.done = min(self.total, self.done + clips)
        self.show()

    def line(self) -> str:
        measured, elapsed = self.done - self.resumed, self.clock() - self.started
        rate = measured / elapsed if elapsed > 0 and measured > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else math.inf
        filled = round(30 * self.done / max(self.total, 1))
        resumed = f" ({self.resumed} resumed)" if self.resumed else ""
        return (
            f"[{'#' * filled:<30}] {self.done}/{self.total} clips{resumed}, {rate:.2f} clips/s, "
            f"{_duration(elapsed)} elapsed, {_duration(left)} left"
        )

    def show(self) -> None:
        if self.in_place:  # padded to the longest line so far, so a shorter line leaves nothing of the last one
            line = self.line()
            self.width = max(getattr(self, "width", 0), len(line))
            print("\r" + line.ljust(self.width), end="", file=self.stream, flush=True)
        else:
            print(self.line(), file=self.stream, flush=True)

    def finish(self) -> None:
        if self.in_place:
            print(file=self.stream, flush=True)


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes}:{seconds:02d}" if minutes < 60 else f"{minutes // 60}:{minutes % 60:02d}:{seconds:02d}"


def run_in_process(pair: Pair, shards, settings: Settings, pending: list[int], maps_folder: str | None):
    for index in pending:
        yield index, run_shard(pair, shards[index], settings, maps_folder)


def local_cluster(workers: int):
    """A local Dask cluster of ``workers`` single-threaded worker processes, started for this job's memory use.

    Dask starts its workers with MALLOC_TRIM_THRESHOLD_=65536 (to hand freed memory back); setting it also
    freezes glibc's mmap threshold at 128 kB, so every tensor above that is a fresh mapping whose pages fault in
    zeroed. Measured on 24 FSDD clips with 2 workers: 41 s of 117 CPU s in the kernel, 54 s wall; without the
    setting 3 s in the kernel, 33 s wall. A clip's work frees all it allocates, so the default malloc is right."""
    import dask
    from distributed import LocalCluster

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}))
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)


def dask_runner(client):
    """Shards as Dask tasks on ``client``'s cluster, submitted at once; yields each as it completes. A shard whose
    worker dies is run again by Dask (up to two retries besides Dask's own rescheduling)."""

    def run(pair: Pair, shards, settings: Settings, pending: list[int], maps_folder: str | None):
        from distributed import as_completed

        futures = {
            client.submit(run_shard, pair, shards[index], settings, maps_folder, pure=False, retries=2): index
            for index in pending
        }
        return ((futures[future], future.result()) for future in as_completed(futures))

    return run


@dataclass
class JobResult:
    aggregate: Aggregate
    rows_path: Path
    skipped: list[list[str]]
    computed_shards: int
    resumed_shards: int


def run_job(
    pair: Pair,
    refs: list[ClipRef],
    settings: Settings,
    out: Path,
    runner=run_in_process,
    shard_size: int = SHARD_SIZE,
    progress: Progress | None = None,
    on_shard: Callable[[int], None] | None = None,
) -> JobResult:
    """Measure every clip (resuming saved shards), then merge the shards in order into OUT/results.csv."""
    out = Path(out)
    shard_folder = out / "shards"
    shard_folder.mkdir(parents=True, exist_ok=True)
    shards = shards_of(refs, shard_size)
    keys = [fingerprint(pair, settings, shard) for shard in shards]
    paths = [shard_folder / f"shard-{index:05d}-{key}.json" for index, key in enumerate(keys)]
    progress = progress or Progress(len(refs))
    pending = []
    for index, path in enumerate(paths):
        if path.is_file():
            progress.resume(len(shards[index]))
        else:
            pending.append(index)
    maps_folder = str(out / "maps") if settings.keep_maps else None
    for index, payload in runner(pair, shards, settings, pending, maps_folder):
        atomic_write(paths[index], json.dumps(payload))
        progress.advance(len(shards[index]))
        if on_shard is not None:
            on_shard(index)
    progress.finish()
    return _merge(paths, out, len(shards) - len(pending), len(pending))


def _merge(paths: list[Path], out: Path, resumed: int, computed: int) -> JobResult:
    """Stream the shards' rows into one CSV and sum their aggregates: one shard in memory at a time."""
    aggregate, skipped = Aggregate(), []
    rows_path = out / "results.csv"
    with atomic_output(rows_path) as temp, open(temp, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(ROW_COLUMNS)
        for path in paths:
            payload = json.loads(path.read_text())
            aggregate.merge(Aggregate.from_json(payload["aggregate"]))
            writer.writerows(payload["rows"])
            skipped += payload["skipped"]
    atomic_write(out / "aggregate.json", json.dumps(aggregate.to_json()))
    return JobResult(aggregate, rows_path, skipped, computed, resumed)
