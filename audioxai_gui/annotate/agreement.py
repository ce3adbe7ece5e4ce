"""Which model's relevance agrees more with the regions a person marked?

Each explanation is measured in time (waveform model: its per-sample relevance; spectrogram model:
its relevance summed over bands) and in time-frequency (both models on the same grid), for every
region and for all regions together. Over a folder, the means per model and domain answer the
question in one small table.
"""

from __future__ import annotations

import csv
import dataclasses
import logging
import math
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..atomic import atomic_output
from ..audio.costs import CostLimit, load_within
from ..audio.io import supported_extensions
from ..batch import run_isolated
from .measures import ALL_REGIONS, RelevanceMap, alignment_per_region
from .regions import Region
from .sidecar import SIDECAR_SUFFIX, load_sidecar, sidecar_path

if TYPE_CHECKING:
    from ..classifiers import LoadedModel
    from ..explain.engine import Explanation, ExplanationEngine

log = logging.getLogger(__name__)

TIME = "time"
TIME_FREQUENCY = "time-frequency"


class AgreementError(Exception):
    """An agreement run cannot start or produce anything; the message names the folder and the reason."""


# How each input kind's relevance becomes a relevance-over-time curve.
TIME_RELEVANCE: dict[str, Callable[[Explanation], RelevanceMap]] = {
    "waveform": lambda e: RelevanceMap.per_sample(e.relevance, e.sample_rate),
    "spectrogram": lambda e: RelevanceMap(np.asarray(e.tf_relevance).sum(axis=0), e.frame_times()),
}


def _time_map(explanation: Explanation) -> RelevanceMap:
    try:
        to_time = TIME_RELEVANCE[explanation.input_kind]
    except KeyError:
        raise AgreementError(
            f"model {explanation.model_name}: no time relevance for input kind {explanation.input_kind!r}"
        ) from None
    return to_time(explanation)


DOMAINS: dict[str, Callable[[Explanation], RelevanceMap]] = {
    TIME: _time_map,
    TIME_FREQUENCY: lambda e: RelevanceMap(e.tf_relevance, e.frame_times(), e.band_frequencies()),
}


@dataclass(frozen=True)
class AgreementRow:
    """One line of the CSV: one model, class, domain and region (or ``"all"``)."""

    file: str
    model: str
    input_kind: str
    class_name: str
    domain: str
    region: str
    label: str
    mass: float
    rank_accuracy: float
    baseline: float
    n_inside: int
    reason: str


@dataclass(frozen=True)
class SummaryRow:
    """Means over files of the all-regions rows of one model in one domain."""

    model: str
    input_kind: str
    domain: str
    n_files: int
    mass: float
    rank_accuracy: float
    baseline: float


def agreement_rows(
    explanations: Iterable[Explanation], regions: Sequence[Region], audio_duration: float, file: str = ""
) -> list[AgreementRow]:
    """Rows for every explanation x domain x (each region, all regions).

    Relevance after ``audio_duration`` s (padding of a short clip) is left out, so the baseline is the
    regions' share of the audio itself.
    """
    labels = {region.id: region.label for region in regions}
    rows = []
    for explanation in explanations:
        class_name = explanation.classes[explanation.target]
        for domain, to_map in DOMAINS.items():
            relevance = to_map(explanation).cropped(audio_duration)
            for region_id, result in alignment_per_region(relevance, regions).items():
                rows.append(
                    AgreementRow(
                        file=file,
                        model=explanation.model_name,
                        input_kind=explanation.input_kind,
                        class_name=class_name,
                        domain=domain,
                        region=region_id,
                        label=labels.get(region_id, ""),
                        **dataclasses.asdict(result),
                    )
                )
    return rows


def summarize(rows: Iterable[AgreementRow]) -> list[SummaryRow]:
    """Mean mass, rank accuracy and baseline of the all-regions rows per (model, domain), NaNs skipped."""
    groups: dict[tuple[str, str, str], list[AgreementRow]] = {}
    for row in rows:
        if row.region == ALL_REGIONS:
            groups.setdefault((row.model, row.input_kind, row.domain), []).append(row)
    summary = []
    for (model, input_kind, domain), group in groups.items():
        scored = [row for row in group if math.isfinite(row.mass)]
        summary.append(
            SummaryRow(
                model=model,
                input_kind=input_kind,
                domain=domain,
                n_files=len({row.file for row in scored}),
                mass=_mean(row.mass for row in scored),
                rank_accuracy=_mean(row.rank_accuracy for row in scored),
                baseline=_mean(row.baseline for row in scored),
            )
        )
    return sorted(summary, key=lambda s: (s.domain, s.model))


def _mean(values: Iterable[float]) -> float:
    finite = [value for value in values if math.isfinite(value)]
    return sum(finite) / len(finite) if finite else math.nan


def annotated_audio_files(folder: str | os.PathLike) -> list[Path]:
    """Audio files directly in ``folder`` that have a sidecar, sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise AgreementError(f"{folder}: not a folder")
    extensions = set(supported_extensions())
    return sorted(
        path
        for path in folder.iterdir()
        if path.suffix.lower() in extensions and path.is_file() and sidecar_path(path).is_file()
    )


def agreement_over_folder(
    folder: str | os.PathLike,
    engine: ExplanationEngine,
    models: Sequence[LoadedModel],
    out_csv: str | os.PathLike,
    on_skip: Callable[[Path, str], None] | None = None,
    on_failure: Callable[[Path, str], None] | None = None,
    debug: bool = False,
    limit: CostLimit | None = None,
) -> list[SummaryRow]:
    """Explain every annotated audio file in ``folder`` with each model (its predicted class), write all
    rows to ``out_csv`` and return the per-model summary.

    Files with no regions are skipped through ``on_skip(path, reason)``; a file that fails in any way
    (unreadable sidecar or audio, out of memory, ...) is reported through ``on_failure(path, message)``
    and the run goes on. Both default to a logged warning. Sidecars are only read: a corrupt one is
    left where it is. Files over ``limit`` (default: ``CostLimit()``) fail without being decoded.
    """
    limit = limit or CostLimit()
    on_skip = on_skip or (lambda path, reason: log.warning("skipped %s: %s", path, reason))
    on_failure = on_failure or on_skip
    if not models:
        raise AgreementError(f"{folder}: no models to compare")
    files = annotated_audio_files(folder)
    if not files:
        raise AgreementError(f"{folder}: no audio file with a {SIDECAR_SUFFIX} sidecar")
    # Waveform models' relevance is projected onto the spectrogram model's grid so both compare bin by bin.
    grid = next((m.card.features for m in models if m.card.input_kind == "spectrogram"), None)
    rows: list[AgreementRow] = []
    for path in files:
        file_rows, error = run_isolated(path, _rows_of_file, path, engine, models, grid, limit, debug=debug)
        if error:
            on_failure(path, error)
        elif file_rows is None:
            on_skip(path, "its sidecar holds no regions")
        else:
            rows += file_rows
    write_rows_csv(rows, out_csv)
    return summarize(rows)


def _rows_of_file(
    path: Path, engine: ExplanationEngine, models: Sequence[LoadedModel], grid, limit: CostLimit
) -> list | None:
    """The agreement rows of one annotated file; None when its sidecar holds no regions."""
    document = load_sidecar(path, keep_aside=False)
    if not len(document):
        return None
    audio_by_rate = load_within(path, {m.card.sample_rate for m in models}, limit, "pass --max-duration to allow it")
    explanations = [engine.explain(model, audio_by_rate[model.card.sample_rate].samples, grid=grid) for model in models]
    duration = next(iter(audio_by_rate.values())).duration
    return agreement_rows(explanations, document.regions, duration, file=path.name)


def write_rows_csv(rows: Iterable[AgreementRow], out_csv: str | os.PathLike) -> None:
    out_csv = Path(out_csv)
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(out_csv) as temp, open(temp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(field.name for field in dataclasses.fields(AgreementRow))
        writer.writerows(dataclasses.astuple(row) for row in rows)


SUMMARY_COLUMNS = ("model", "input", "domain", "files", "mass", "rank acc.", "baseline", "mass / baseline")


def format_summary_table(summary: Sequence[SummaryRow]) -> str:
    """A Markdown table of the summary; ``mass / baseline`` > 1 means better than random placement."""

    def number(value: float) -> str:
        return f"{value:.3f}" if math.isfinite(value) else "n/a"

    lines = ["| " + " | ".join(SUMMARY_COLUMNS) + " |", "|" + "---|" * len(SUMMARY_COLUMNS)]
    for row in summary:
        lift = row.mass / row.baseline if row.baseline > 0 else math.nan
        cells = (row.model, row.input_kind, row.domain, str(row.n_files))
        cells += tuple(number(v) for v in (row.mass, row.rank_accuracy, row.baseline, lift))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
