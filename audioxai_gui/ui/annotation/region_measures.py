"""The numbers the region table shows: agreement.py's rows for the current explanations, indexed for lookup.

Qt-free on purpose: it runs in a worker thread (an hour of per-sample relevance takes a moment to sort)
and adds no measure of its own; every number comes from ``agreement_rows``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ...annotate.agreement import TIME, TIME_FREQUENCY, AgreementRow, SummaryRow, agreement_rows, summarize
from ...annotate.measures import ALL_REGIONS
from ...annotate.regions import Region

MEASURED = (("waveform", TIME), ("waveform", TIME_FREQUENCY), ("spectrogram", TIME_FREQUENCY))
"""(model role, domain) pairs shown per region: the waveform model in its own time domain, both in time-frequency."""
VERDICT_DOMAIN = TIME_FREQUENCY  # the one domain where both models are measured on the same grid
SAME_MASS = 0.01  # mass differences below this are not worth a verdict


@dataclass(frozen=True)
class RegionMeasures:
    """Agreement rows of one set of regions with the explanations of each role, plus their summary."""

    rows: dict[tuple[str, str, str], AgreementRow]  # (role, domain, region id or "all") -> row
    summary: tuple[SummaryRow, ...]
    class_names: dict[str, str]  # role -> the explained class

    def get(self, role: str, domain: str, region_id: str = ALL_REGIONS) -> AgreementRow | None:
        return self.rows.get((role, domain, region_id))

    def verdict(self) -> str:
        """One sentence: which model's relevance lies more inside the regions (time-frequency, all regions)."""
        scored = {
            role: row
            for role in ("waveform", "spectrogram")
            if (row := self.get(role, VERDICT_DOMAIN)) is not None and row.n_inside and math.isfinite(row.mass)
        }
        if not self.class_names:
            return "Waiting for the explanations."
        if not scored:
            return "Mark regions (annotate mode, A) to see how well each model agrees with them."
        if len(scored) == 1:
            (role, row), missing = next(iter(scored.items())), {"waveform", "spectrogram"} - set(scored)
            return f"{role} model: mass {row.mass:.2f} (chance {row.baseline:.2f}); no {missing.pop()} model result"
        wave, spec = scored["waveform"], scored["spectrogram"]
        chance = f"chance {spec.baseline:.2f}"
        if abs(wave.mass - spec.mass) < SAME_MASS:
            return f"Both models agree about equally with your regions (mass {spec.mass:.2f}, {chance})"
        better, worse = ("spectrogram", "waveform") if spec.mass > wave.mass else ("waveform", "spectrogram")
        high, low = scored[better].mass, scored[worse].mass
        return f"{better.capitalize()} model agrees more with your regions (mass {high:.2f} vs {low:.2f}, {chance})"


EMPTY_MEASURES = RegionMeasures({}, (), {})


def compute_measures(explanations: Iterable, regions: Sequence[Region], duration: float) -> RegionMeasures:
    """Measures of ``regions`` against each explanation (one per role; its ``input_kind`` names the role)."""
    explanations = [e for e in explanations if e is not None]
    # No regions, nothing to score: an hour's maps take seconds to sort for an empty table.
    rows = agreement_rows(explanations, regions, duration) if regions else []
    return RegionMeasures(
        {(row.input_kind, row.domain, row.region): row for row in rows},
        tuple(summarize(rows)),
        {e.input_kind: e.classes[e.target] for e in explanations},
    )


def export_columns(measures: RegionMeasures, regions: Iterable[Region]) -> dict[str, dict[str, float]]:
    """Per-region extra columns for annotation files: mass, rank accuracy and chance of each measured pair."""
    columns = {}
    for region in regions:
        values = {}
        for role, domain in MEASURED:
            row = measures.get(role, domain, region.id)
            if row is None:
                continue
            prefix = f"{role}_{domain.replace('-', '_')}"
            numbers = {"mass": row.mass, "rank_accuracy": row.rank_accuracy, "chance": row.baseline}
            # NaN (no positive relevance, region between frames) has no place in CSV/JSON files: leave it out.
            values.update({f"{prefix}_{name}": value for name, value in numbers.items() if math.isfinite(value)})
        if values:
            columns[region.id] = values
    return columns
