"""A finished comparison read back from its folder: the summary, the verdicts and one row per clip.

What ``compare`` wrote: OUT/aggregate.json (the sums), OUT/context.json (models, task, rankings),
OUT/results.csv (one row per clip x model x measure). The Compare view shows this; the command line can too.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .aggregate import Aggregate
from .report import KINDS, ReportContext, summary_text, verdicts

REQUIRED = ("aggregate.json", "context.json", "results.csv")


class ResultsError(ValueError):
    """The folder is not a readable comparison; the message names the folder and what is wrong."""


@dataclass(frozen=True)
class Column:
    """A per-clip column: its header, what it means (tooltip), how it is read from a clip's measures, and how it
    is shown ("number", "percent" or "yes/no")."""

    header: str
    meaning: str
    value: Callable[[dict[tuple[str, str], float]], float]
    shown_as: str = "number"

    def text(self, value: float) -> str:
        if not math.isfinite(value):
            return "–"
        if self.shown_as == "yes/no":
            return "yes" if value >= 0.5 else "no"
        return f"{value:.0%}" if self.shown_as == "percent" else f"{value:.3f}"


def _mean_of(kind: str, prefix: str, suffix: str, leave_out: str = ""):
    def value(measures):
        values = [v for (k, m), v in measures.items()
                  if k == kind and m.startswith(prefix) and m.endswith(suffix) and m != leave_out]  # fmt: skip
        finite = [v for v in values if math.isfinite(v)]
        return sum(finite) / len(finite) if finite else math.nan

    return value


def _measure(kind: str, measure: str):
    return lambda measures: measures.get((kind, measure), math.nan)


def columns(context: ReportContext) -> list[Column]:
    """The per-clip table's columns for the run described by ``context``: each measure for both models side by
    side (headers "measure" over "model"), then the similarity of their maps."""
    ranking = context.rankings[0]
    per_model = [
        ("AOPC", f"AOPC of the {{kind}} model's {ranking} map in the common time-frequency domain (higher: more "
         "faithful; the mean drop of the class probability as its most relevant patches are removed)", "number",
         _measure, f"faithfulness/common/{ranking}/aopc-morf"),
        ("correct", "the {kind} model classifies the clean clip correctly", "yes/no",
         _measure, "robustness/clean/correct"),
        ("p(class)", "the {kind} model's probability of the true class on the clean clip", "percent",
         _measure, "robustness/clean/probability"),
        ("robust", "the {kind} model's accuracy over all corruptions of this clip", "percent",
         lambda kind, _: _mean_of(kind, "robustness/", "/correct", leave_out="robustness/clean/correct"), ""),
    ]  # fmt: skip
    out = [
        Column(f"{title}\n{kind}", meaning.format(kind=kind), make(kind, measure), shown_as)
        for title, meaning, shown_as, make, measure in per_model
        for kind in KINDS
    ]
    out.append(
        Column(
            "maps alike\n(rank corr.)",
            "rank correlation of the two models' maps on the common grid (1: the same order of importance)",
            _measure("pair", "similarity/rank-correlation"),
        )
    )
    return out


@dataclass
class ClipRow:
    path: str
    label: str
    fold: str
    measures: dict[tuple[str, str], float] = field(default_factory=dict)  # (kind, measure) -> value

    @property
    def name(self) -> str:
        return Path(self.path).name


@dataclass
class ComparisonResults:
    folder: Path
    context: ReportContext
    aggregate: Aggregate
    clips: list[ClipRow]

    @property
    def summary(self) -> str:
        return summary_text(self.aggregate, self.context)

    @property
    def verdicts(self) -> dict[str, str]:
        return verdicts(self.aggregate, self.context)

    def columns(self) -> list[Column]:
        return columns(self.context)


def _clip_rows(path: Path) -> list[ClipRow]:
    """One row per clip (in the table's order), keeping only the measures the columns read (robustness per
    corruption, clean results, common-domain AOPC, map similarity), so a large table stays small in memory."""
    rows: dict[str, ClipRow] = {}
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None or header[:2] != ["clip", "label"]:
            raise ResultsError(f"{path}: not a comparison table (expected the header clip,label,...)")
        index = {name: header.index(name) for name in ("clip", "label", "fold", "input_kind", "measure", "value")}
        for line in reader:
            measure = line[index["measure"]]
            if not (measure.startswith(("robustness/", "similarity/")) or "/common/" in measure):
                continue
            clip = line[index["clip"]]
            row = rows.get(clip)
            if row is None:
                row = rows[clip] = ClipRow(clip, line[index["label"]], line[index["fold"]])
            row.measures[(line[index["input_kind"]], measure)] = float(line[index["value"]])
    return list(rows.values())


def load_results(folder: str | Path) -> ComparisonResults:
    """Read a comparison folder; ResultsError names the folder and the missing or broken file."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ResultsError(f"{folder}: no such folder")
    missing = [name for name in REQUIRED if not (folder / name).is_file()]
    if missing:
        raise ResultsError(
            f"{folder}: not a finished comparison (missing {', '.join(missing)}); run "
            "'python -m audioxai_gui compare DATASET --out FOLDER' (an interrupted run resumes)"
        )
    try:
        aggregate = Aggregate.from_json(json.loads((folder / "aggregate.json").read_text(encoding="utf-8")))
        context = ReportContext.from_json(json.loads((folder / "context.json").read_text(encoding="utf-8")))
        clips = _clip_rows(folder / "results.csv")
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        if isinstance(exc, ResultsError):
            raise
        raise ResultsError(f"{folder}: cannot read the comparison ({type(exc).__name__}: {exc})") from exc
    return ComparisonResults(folder, context, aggregate, clips)
