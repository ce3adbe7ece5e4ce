"""``python -m audioxai_gui compare DATASET --out DIR``: which representation decides better, over a data set.

Writes OUT/results.csv (one row per clip x model x measure), OUT/report.html (self-contained), OUT/summary.txt
and OUT/aggregate.json, and prints the summary with one verdict per question. ``--workers N`` runs on a local
Dask cluster, ``--scheduler tcp://HOST:PORT`` on an existing one; an interrupted run resumes from OUT/shards.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def add_compare_parser(sub, add_model_options, add_batch_options) -> None:
    from .evaluate.dataset import SHORTCUTS  # light: the measures themselves load torch only when run

    compare = sub.add_parser(
        "compare",
        help="faithfulness, robustness and relevance profiles of the waveform vs the spectrogram model over a data set",
        description=__doc__.splitlines()[0],
    )
    compare.add_argument(
        "dataset",
        help=f"a folder (one sub-folder per class), a CSV manifest path,label[,fold], or {' / '.join(SHORTCUTS)}",
    )
    compare.add_argument("--out", type=Path, required=True, help="folder for the table, report and shards")
    compare.add_argument(
        "--rankings",
        default="fast",
        help="fast (LRP with the default composite, gradient x input, integrated gradients), all (every LRP "
        "composite and occlusion too) or a comma list; random and signal energy are always compared",
    )
    compare.add_argument("--steps", type=int, default=20, help="perturbation steps (default 20)")
    compare.add_argument("--seeds", type=int, default=3, help="random orders per clip for the random baselines")
    compare.add_argument(
        "--measures",
        help="comma list of faithfulness, robustness, stability, profiles, agreement (default: all of them)",
    )
    compare.add_argument("--segment-ms", type=float, default=20.0, help="waveform segment length in ms (default 20)")
    compare.add_argument("--patches", default="16x16", help="time-frequency patch grid, bands x frames (16x16)")
    compare.add_argument("--time-fill", choices=["zeros", "noise"], default="zeros", help="what replaces a segment")
    compare.add_argument("--limit", type=int, help="only the first N clips (a quick look)")
    compare.add_argument("--workers", type=int, help="start a local Dask cluster with N worker processes")
    compare.add_argument("--scheduler", help="address of an existing Dask scheduler, e.g. tcp://10.0.0.5:8786")
    compare.add_argument("--shard-size", type=int, default=4, help="clips per shard (the unit of resuming)")
    compare.add_argument("--keep-maps", action="store_true", help="also save each clip's maps under OUT/maps")
    add_model_options(compare)
    add_batch_options(compare)


def _attributions(choice: str) -> tuple[str, ...]:
    from .evaluate.attributions import ATTRIBUTIONS
    from .evaluate.clip import FAST_ATTRIBUTIONS

    if choice == "fast":
        return FAST_ATTRIBUTIONS
    if choice == "all":
        return tuple(ATTRIBUTIONS)
    return tuple(name.strip() for name in choice.split(",") if name.strip())


def _settings(args):
    from .evaluate.clip import ALL_MEASURES, Settings
    from .evaluate.domains import RegionSettings

    try:
        bands, frames = (int(part) for part in args.patches.lower().split("x"))
    except ValueError:
        raise ValueError(f"--patches must look like 16x16 (bands x frames), got {args.patches!r}") from None
    regions = RegionSettings(args.segment_ms, (bands, frames), args.time_fill)
    measures = tuple(m.strip() for m in args.measures.split(",") if m.strip()) if args.measures else ALL_MEASURES
    return Settings(_attributions(args.rankings), args.steps, args.seeds, regions, measures, keep_maps=args.keep_maps)


def _client(args):
    """A Dask client for --workers / --scheduler, or None to run in this process."""
    if args.scheduler:
        from distributed import Client

        return Client(args.scheduler), f"Dask cluster at {args.scheduler}"
    if args.workers:
        from distributed import Client

        from .evaluate.job import local_cluster

        return Client(local_cluster(args.workers)), f"local Dask cluster, {args.workers} worker processes"
    return None, "in-process"


def run_compare(args) -> int:
    from .classifiers import ModelLoadError, get_task
    from .cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_USAGE, _find_tasks
    from .evaluate.dataset import SHORTCUTS, DatasetError, list_clips
    from .evaluate.domains import DOMAINS_OF_KIND
    from .evaluate.job import Pair, dask_runner, run_in_process, run_job
    from .evaluate.report import ReportContext, write_outputs

    try:
        settings = _settings(args)
        refs = list_clips(args.dataset)
        task_name = args.task or (SHORTCUTS[args.dataset][1] if args.dataset in SHORTCUTS else None)
        task = get_task(_find_tasks(), task_name)
        cards = {"waveform": task.card("waveform", args.waveform_model),
                 "spectrogram": task.card("spectrogram", args.spectrogram_model)}  # fmt: skip
    except (DatasetError, ModelLoadError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.limit:
        refs = refs[: args.limit]
    pair = Pair(str(cards["waveform"].path), str(cards["spectrogram"].path))
    started = time.perf_counter()
    client, where = _client(args)
    try:
        runner = dask_runner(client) if client is not None else run_in_process
        result = run_job(pair, refs, settings, args.out, runner, args.shard_size)
    finally:
        if client is not None:
            client.close()
    for _path, message in result.skipped:
        print(f"error: {message}", file=sys.stderr)
    context = ReportContext(
        dataset=args.dataset,
        models={kind: card.name for kind, card in cards.items()},
        classes=list(task.classes),
        rankings=[*settings.rankings],
        domains=dict(DOMAINS_OF_KIND),
        sample_rate=cards["spectrogram"].sample_rate,
        steps=settings.steps,
        seconds=time.perf_counter() - started,
        workers=where + (f", {result.resumed_shards} shards resumed" if result.resumed_shards else ""),
        task=task.id,
    )
    print(write_outputs(args.out, result.aggregate, context))
    print(f"\ntable: {result.rows_path}\nreport: {args.out / 'report.html'}")
    return EXIT_BAD_INPUT if result.skipped else EXIT_OK
