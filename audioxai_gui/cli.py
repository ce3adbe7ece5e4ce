"""Command line: ``python -m audioxai_gui [FILE]`` opens the app; sub-commands work headless.

Exit codes: 0 ok, 2 usage, 3 unreadable input (one bad file in a batch does not stop the others).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .batch import failure_message, run_isolated, shown_path
from .compare_cli import add_compare_parser, run_compare

EXIT_OK, EXIT_USAGE, EXIT_BAD_INPUT = 0, 2, 3
MODEL_CHOICES = {
    "waveform": ("waveform",),
    "spectrogram": ("spectrogram",),
    "both": ("waveform", "spectrogram"),
}


def _add_task_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--task", help="task id, e.g. digits or events (default: digits; `models` lists them)")


def _add_batch_options(parser: argparse.ArgumentParser) -> None:
    """Options of every command that works through many files (explain, agreement, compare)."""
    parser.add_argument("--debug", action="store_true", help="print the full traceback when a file fails")
    parser.add_argument(
        "--max-duration",
        type=float,
        metavar="SECONDS",
        help="explain files up to this long, whatever memory they need (default: refuse over 3 h or 2 GB)",
    )


def _cost_limit(args):
    from .audio.costs import CostLimit

    return CostLimit() if args.max_duration is None else CostLimit.allowing(args.max_duration)


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    _add_task_option(parser)
    parser.add_argument("--waveform-model", help="name of the task's waveform model card (default: its first)")
    parser.add_argument("--spectrogram-model", help="name of the task's spectrogram model card (default: its first)")
    parser.add_argument("--device", help="cpu, cuda or cuda:N (default: $AUDIOXAI_DEVICE, else CUDA if available)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="audioxai", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")

    explain = sub.add_parser("explain", help="explain audio files with both models and write relevance files")
    explain.add_argument("files", nargs="+", type=Path)
    explain.add_argument("--model", choices=sorted(MODEL_CHOICES), default="both")
    explain.add_argument("--target", type=int, help="class index to explain (default: each model's prediction)")
    explain.add_argument("--composite", help="zennit composite (default: each model card's)")
    explain.add_argument("--hop", type=float, default=0.5, help="window hop as a fraction of the model input")
    explain.add_argument("--out", type=Path, help="folder for .npz and .png files (none written without it)")
    explain.add_argument("--json", action="store_true", help="print one JSON record per file")
    explain.add_argument(
        "--target-mode",
        choices=["each_window", "one_class"],
        help="a long file: explain each window for its own class (default) or one class across it",
    )
    explain.add_argument(
        "--segments",
        action="store_true",
        help="with --out: write each model's sound events to OUT/<file name>.<model role>.events.tsv (DCASE)",
    )
    explain.add_argument("--min-confidence", type=float, default=0.5, help="--segments: top-class probability")
    explain.add_argument("--min-level-db", type=float, default=-35.0, help="--segments: level below the loud parts")
    _add_model_options(explain)
    _add_batch_options(explain)

    train = sub.add_parser("train", help="train a task's waveform or spectrogram model and write weights + card")
    train.add_argument("--task", default="digits", help="digits (FSDD) or events (ESC-10, 5-fold CV); default digits")
    train.add_argument("--model", choices=["waveform", "spectrogram"], help="train only this kind (default: both)")
    train.add_argument("--name", help="model name (default: the task's built-in name, e.g. fsdd-audionet)")
    train.add_argument("--data", type=Path, help="data folder (default: ../shared/data/fsdd or esc10)")
    train.add_argument("--epochs", type=int, help="training epochs (default: the task's recipe)")
    train.add_argument("--out", type=Path, default=Path("models"))
    train.add_argument("--threads", type=int, help="CPU threads for torch (default: torch's choice)")
    train.add_argument("--loso", action="store_true", help="digits: then run leave-one-speaker-out and record it")
    train.add_argument("--loso-epochs", type=int, default=12)
    train.add_argument(
        "--init-from",
        type=Path,
        help="digits: fine-tune the models of this folder (e.g. models) instead of from scratch",
    )
    train.add_argument("--folds", help="events: test folds to run, e.g. 5 or 5,1,2,3,4 (default: all; 5 is shipped)")

    agreement = sub.add_parser(
        "agreement", help="how well each model's relevance agrees with hand-made regions, over a folder"
    )
    agreement.add_argument("folder", type=Path, help="folder of audio files with .axai.json region sidecars")
    agreement.add_argument("--out", type=Path, help="CSV of every row (default: FOLDER/agreement.csv)")
    agreement.add_argument("--model", choices=sorted(MODEL_CHOICES), default="both")
    _add_model_options(agreement)
    _add_batch_options(agreement)

    add_compare_parser(sub, _add_model_options, _add_batch_options)

    models = sub.add_parser("models", help="list the tasks found, each with its waveform and spectrogram model")
    models.add_argument("--json", action="store_true")
    _add_task_option(models)
    return parser


def _find_tasks() -> dict:
    """Every complete task; unreadable cards and odd pairs are printed as warnings."""
    from .classifiers import discover_tasks, find_cards

    cards, problems = find_cards()
    tasks, task_problems = discover_tasks(cards)
    for problem in problems + task_problems:
        print(f"warning: {problem}", file=sys.stderr)
    return tasks


def _select_cards(args) -> dict:
    from .classifiers import get_task

    task = get_task(_find_tasks(), args.task)
    names = {"waveform": args.waveform_model, "spectrogram": args.spectrogram_model}
    return {kind: task.card(kind, names[kind]) for kind in MODEL_CHOICES[args.model]}


def _load_models(args):
    """The engine and the chosen models, or a usage error message."""
    from .classifiers import ModelLoadError
    from .explain.engine import ExplanationEngine

    try:
        engine = ExplanationEngine(args.device)
        return engine, {kind: engine.load(card) for kind, card in _select_cards(args).items()}
    except (ModelLoadError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None, None


def run_agreement(args) -> int:
    from .annotate.agreement import AgreementError, agreement_over_folder, format_summary_table

    engine, models = _load_models(args)
    if engine is None:
        return EXIT_USAGE
    out = args.out or args.folder / "agreement.csv"
    failed = []

    def report_failure(path: Path, message: str) -> None:
        failed.append(path)
        print(f"error: {message}", file=sys.stderr)

    try:
        summary = agreement_over_folder(
            args.folder,
            engine,
            list(models.values()),
            out,
            on_skip=lambda path, reason: print(f"skipped {shown_path(path)}: {reason}", file=sys.stderr),
            on_failure=report_failure,
            debug=args.debug,
            limit=_cost_limit(args),
        )
    except (AgreementError, OSError) as exc:
        print(f"error: {failure_message(args.folder, exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not summary and failed:
        print(f"error: no annotated file in {shown_path(args.folder)} could be used (see above)", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(format_summary_table(summary))
    print(f"rows written to {shown_path(out)}")
    return EXIT_BAD_INPUT if failed else EXIT_OK


def run_explain(args) -> int:
    from .explain.composites import COMPOSITES

    if args.composite and args.composite not in COMPOSITES:
        print(f"error: unknown composite {args.composite!r}; choose from {', '.join(COMPOSITES)}", file=sys.stderr)
        return EXIT_USAGE
    engine, models = _load_models(args)
    if engine is None:
        return EXIT_USAGE
    if args.segments and not args.out:
        print("error: --segments writes event files: give --out FOLDER", file=sys.stderr)
        return EXIT_USAGE
    try:
        from .explain.segments import SegmentRules

        SegmentRules(args.min_confidence, args.min_level_db).validate()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    grid = models["spectrogram"].card.features if "spectrogram" in models else None
    if args.out:
        try:
            args.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            print(f"error: cannot create the output folder: {failure_message(args.out, exc)}", file=sys.stderr)
            return EXIT_BAD_INPUT
    status = EXIT_OK
    for path in args.files:
        record: dict = {"path": shown_path(path), "models": {}}
        _, error = run_isolated(path, _explain_file, path, args, engine, models, grid, record, debug=args.debug)
        if error:
            record["error"] = error
            status = EXIT_BAD_INPUT
        if args.json:
            print(json.dumps(record))
        elif error:
            print(f"error: {error}", file=sys.stderr)
        else:
            parts = [
                f"{kind} model -> {m['predicted']} ({m['probabilities'][m['predicted']]:.1%})"
                for kind, m in record["models"].items()
            ]
            silence = (
                "  [no sound: the clip is silent, so these predictions mean nothing]" if record["no_sound"] else ""
            )
            print(f"{shown_path(path)}: " + ", ".join(parts) + silence)
    return status


def _explain_file(path: Path, args, engine, models: dict, grid, record: dict) -> None:
    """Explain one file with every model, filling ``record``; writes its files when ``--out`` is given."""
    from .audio.costs import load_within
    from .explain.accounting import accounting

    rates = {m.card.sample_rate for m in models.values()}
    audio = load_within(path, rates, _cost_limit(args), "pass --max-duration SECONDS to explain it anyway")
    clips = {kind: audio[m.card.sample_rate].samples for kind, m in models.items()}
    explanations = []
    for kind, model in models.items():
        exp = engine.explain(
            model, clips[kind], args.target, args.composite, grid, args.hop, target_mode=args.target_mode
        )
        explanations.append(exp)
        record["models"][kind] = {
            "model": exp.model_name,
            "predicted": exp.classes[exp.predicted],
            "probabilities": {c: round(float(p), 5) for c, p in zip(exp.classes, exp.probabilities, strict=True)},
            "target": exp.classes[exp.target],
            "target_mode": exp.target_mode,
            "composite": exp.composite,
            **accounting(exp),
            "seconds": round(exp.seconds, 4),
        }
    record["no_sound"] = any(exp.no_sound for exp in explanations)
    if args.out:
        from .report import save_figure, save_npz

        stem = args.out / path.name
        save_npz(stem.with_name(stem.name + ".relevance.npz"), clips, explanations, str(path))
        save_figure(stem.with_name(stem.name + ".png"), clips, explanations, shown_path(path.name))
    if args.segments:
        _write_segments(path, args, models, clips, explanations, record)


def _write_segments(path: Path, args, models: dict, clips: dict, explanations: list, record: dict) -> None:
    """One DCASE event list per model role: OUT/<file name>.<role>.events.tsv."""
    from .explain.segments import SegmentRules, segments_from_explanation, write_segments

    rules = SegmentRules(args.min_confidence, args.min_level_db)
    for (kind, model), exp in zip(models.items(), explanations, strict=True):
        segments = segments_from_explanation(exp, clips[kind], model.card.input_length, rules)
        target = args.out / f"{path.name}.{kind}.events.tsv"
        write_segments(target, segments, kind, model.card.sample_rate)
        record["models"][kind]["events"] = len(segments)
        record["models"][kind]["events_file"] = shown_path(target)


def run_train(args) -> int:
    from .classifiers.recipes import RECIPES
    from .classifiers.voices import SynthesiserMissingError

    recipe = RECIPES.get(args.task)
    if recipe is None:
        print(f"error: no training recipe for task {args.task!r}; known: {', '.join(RECIPES)}", file=sys.stderr)
        return EXIT_USAGE
    options = {"loso_epochs": args.loso_epochs if args.loso else None, "init_from": args.init_from}
    if args.folds:
        try:
            options["folds"] = tuple(int(f) for f in args.folds.split(","))
        except ValueError:
            print(f"error: --folds {args.folds!r} is not a comma-separated list of fold numbers", file=sys.stderr)
            return EXIT_USAGE
    unsupported = [k for k, v in options.items() if v and k not in recipe.options]
    if unsupported:
        flag = {"loso_epochs": "--loso"}.get(unsupported[0], "--" + unsupported[0].replace("_", "-"))
        print(f"error: {flag} does not apply to task {args.task!r}", file=sys.stderr)
        return EXIT_USAGE
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    options = {k: v for k, v in options.items() if k in recipe.options}
    if args.name and not args.model:
        print("error: --name names one model: give --model too", file=sys.stderr)
        return EXIT_USAGE
    for kind in [args.model] if args.model else ["waveform", "spectrogram"]:
        try:
            card = recipe.run(kind, args.out, data=args.data, epochs=args.epochs, name=args.name, **options)
        except (FileNotFoundError, SynthesiserMissingError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        print(json.dumps(card.accuracy if card else {}, indent=2))
    return EXIT_OK


def run_models(args) -> int:
    from .classifiers import UnknownTaskError, get_task

    tasks = _find_tasks()
    try:
        shown = [get_task(tasks, args.task)] if args.task else list(tasks.values())
    except UnknownTaskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        records = [
            {
                "task": task.id,
                "task_title": task.title,
                "classes": task.classes,
                "models": {
                    kind: [{**c.to_dict(), "path": str(c.path)} for c in cards] for kind, cards in task.cards.items()
                },
            }
            for task in shown
        ]
        print(json.dumps(records, indent=2))
        return EXIT_OK
    for task in shown:
        print(f"{task.id}: {task.title or 'untitled'} ({len(task.classes)} classes: {', '.join(task.classes)})")
        for kind in MODEL_CHOICES["both"]:
            for index, card in enumerate(task.cards[kind]):
                print(
                    f"  {kind if index == 0 else '  (other)':12s} {card.name:24s} {card.architecture:12s} "
                    f"{card.sample_rate} Hz {card.duration:.2f} s  accuracy {_headline_accuracy(card)}  ({card.path})"
                )
    return EXIT_OK


def _headline_accuracy(card) -> str:
    """The card's main accuracy figure: the cross-validated mean when stated, else the official test split,
    else the first figure the card gives (a user's card may name its own, e.g. "fold5_test")."""
    preferred = [key for key in ("cross_validation", "official_test") if key in card.accuracy]
    for key in preferred + [key for key in card.accuracy if key not in preferred]:
        value = card.accuracy[key]
        value = value.get("mean") if isinstance(value, dict) else value
        if isinstance(value, float) and 0.0 <= value <= 1.0:
            return f"{value:.1%} ({key.replace('_', ' ')})"
    return "not stated"


COMMANDS = {
    "explain": run_explain,
    "agreement": run_agreement,
    "train": run_train,
    "models": run_models,
    "compare": run_compare,
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS and argv[0] not in ("-h", "--help"):
        from .ui.app import run_app

        return run_app(argv)
    args = build_parser().parse_args(argv)
    return COMMANDS[args.command](args)
