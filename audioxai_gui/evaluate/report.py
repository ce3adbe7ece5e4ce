"""The comparison's answers: a printed summary with one verdict per question and a self-contained HTML report.

The HTML embeds its plots as base64 PNG (matplotlib, Agg), so the one file can be mailed or archived.
"""

from __future__ import annotations

import base64
import html
import io
import math
from dataclasses import dataclass

import numpy as np

from .aggregate import Aggregate
from .perturbation import LERF, MORF
from .profiles import PROFILE_BANDS
from .robustness import CORRUPTIONS, level_label

KINDS = ("waveform", "spectrogram")
RANDOM = "random-nonsilent"  # the baseline a ranking must beat (random among the regions with signal)


@dataclass
class ReportContext:
    """What the report says about the run besides the aggregate."""

    dataset: str
    models: dict[str, str]  # input kind -> model name
    classes: list[str]
    rankings: list[str]  # attributions first, then the baselines
    domains: dict[str, tuple[str, ...]]  # input kind -> domains measured
    sample_rate: int
    steps: int
    seconds: float = 0.0
    workers: str = "in-process"
    task: str = ""  # the task id of the model pair (the Compare view opens clips with it)

    def to_json(self) -> dict:
        return {**self.__dict__, "domains": {kind: list(d) for kind, d in self.domains.items()}}

    @classmethod
    def from_json(cls, data: dict) -> ReportContext:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        known["domains"] = {kind: tuple(d) for kind, d in known.get("domains", {}).items()}
        return cls(**known)


def _aopc(aggregate: Aggregate, kind: str, domain: str, ranking: str, what: str = "aopc-morf") -> float:
    return aggregate.mean(kind, f"faithfulness/{domain}/{ranking}/{what}")


def _ci(aggregate: Aggregate, kind: str, measure: str) -> float:
    moments = aggregate.scalars.get((kind, measure))
    return float(moments.ci95[0]) if moments is not None else math.nan


def _levels(aggregate: Aggregate) -> list[tuple[str, str]]:
    """(corruption, level label) present in the aggregate, in registry order."""
    present = {measure for _, measure in aggregate.scalars}
    return [
        (name, level_label(name, level))
        for name, corruption in CORRUPTIONS.items()
        for level in corruption.levels
        if f"robustness/{level_label(name, level)}/correct" in present
    ]


def _fmt(value: float, percent: bool = False) -> str:
    if not math.isfinite(value):
        return "-"
    return f"{value:.1%}" if percent else f"{value:.3f}"


def verdicts(aggregate: Aggregate, context: ReportContext) -> dict[str, str]:
    """One line per question: more robust, more faithful explanations, where the strategies differ, human
    agreement."""
    lines = {}
    names = context.models
    levels = _levels(aggregate)
    if levels:
        mean_accuracy = {
            kind: np.nanmean([aggregate.mean(kind, f"robustness/{label}/correct") for _, label in levels])
            for kind in KINDS
        }
        gaps = [
            (aggregate.mean("spectrogram", f"robustness/{label}/correct")
             - aggregate.mean("waveform", f"robustness/{label}/correct"), label)
            for _, label in levels
        ]  # fmt: skip
        gap, where = max(gaps, key=lambda g: abs(g[0]) if math.isfinite(g[0]) else -1)
        better = max(KINDS, key=lambda k: mean_accuracy[k])
        drop = {kind: aggregate.mean(kind, "robustness/clean/correct") - mean_accuracy[kind] for kind in KINDS}
        other = KINDS[1 - KINDS.index(better)]
        drops = f"({100 * drop[better]:.1f} vs {100 * drop[other]:.1f} points)"
        caveat = (
            f", though it loses more of its clean accuracy {drops}"
            if drop[better] > drop[other]
            else f"; it also loses less of its clean accuracy {drops}"
        )
        lines["more robust"] = (
            f"the {better} model ({names[better]}): mean accuracy over {len(levels)} corruptions "
            f"{mean_accuracy['waveform']:.1%} (waveform) vs {mean_accuracy['spectrogram']:.1%} (spectrogram)"
            f"{caveat}; largest gap under {where}: "
            f"{aggregate.mean('waveform', f'robustness/{where}/correct'):.1%} vs "
            f"{aggregate.mean('spectrogram', f'robustness/{where}/correct'):.1%}"
        )
    ranking = context.rankings[0]
    common = {kind: _aopc(aggregate, kind, "common", ranking) for kind in KINDS}
    if all(math.isfinite(v) for v in common.values()):
        parts = []
        for kind in KINDS:
            random = _aopc(aggregate, kind, "common", RANDOM)
            energy = _aopc(aggregate, kind, "common", "energy")
            parts.append(
                f"{kind} {common[kind]:.3f} ({common[kind] / random:.1f}x {RANDOM}, "
                f"{(common[kind] / energy - 1):+.0%} vs loudest-first)"
            )
        better = max(KINDS, key=lambda k: common[k])
        spread = math.hypot(*(_ci(aggregate, kind, f"faithfulness/common/{ranking}/aopc-morf") for kind in KINDS))
        winner = (
            f"the {better} model's {ranking} maps"
            if abs(common["waveform"] - common["spectrogram"]) > spread
            else "no clear difference (within the 95 % confidence interval)"
        )
        lines["more faithful explanations"] = (
            f"{winner}: AOPC in the common STFT domain (same perturbation for both) " + "; ".join(parts)
        )
    band_means = {}
    for kind in KINDS:
        profiles = [m.mean for (k, _, what), m in aggregate.profiles.items() if k == kind and what == "bands"]
        if profiles:
            band_means[kind] = np.nanmean(profiles, axis=0)
    if len(band_means) == 2:
        difference = band_means["waveform"] - band_means["spectrogram"]
        band = int(np.nanargmax(np.abs(difference)))
        width = context.sample_rate / 2 / PROFILE_BANDS
        correlation = aggregate.mean("pair", "similarity/rank-correlation")
        overlap = aggregate.mean("pair", "similarity/top-overlap")
        lines["strategies differ where"] = (
            f"most at {band * width:.0f}-{(band + 1) * width:.0f} Hz: "
            f"{band_means['waveform'][band]:.1%} (waveform) vs {band_means['spectrogram'][band]:.1%} (spectrogram) "
            f"of positive relevance; per clip the maps correlate {correlation:.2f} (rank) and share "
            f"{overlap:.0%} of their top 10 % cells"
        )
    agreement = {kind: aggregate.mean(kind, "agreement/mass-positive") for kind in KINDS}
    if any(math.isfinite(v) for v in agreement.values()):
        lines["agrees with human regions"] = ", ".join(
            f"{kind}: mass {agreement[kind]:.1%} (signed {aggregate.mean(kind, 'agreement/mass-signed'):.1%}), "
            f"chance {aggregate.mean(kind, 'agreement/chance'):.1%}"
            for kind in KINDS
        )
    return lines


def summary_text(aggregate: Aggregate, context: ReportContext) -> str:
    """The printed summary: AOPC per model, domain and ranking; robustness per corruption; the verdicts."""
    out = [f"{context.dataset}: {aggregate.clips} clips, {context.models['waveform']} vs "
           f"{context.models['spectrogram']}, {context.seconds:.0f} s ({context.workers})"]  # fmt: skip
    out.append("\nFaithfulness: AOPC of the target probability, most relevant regions first (higher = more faithful)")
    header = f"{'model':12s} {'domain':7s} " + " ".join(f"{r[:16]:>16s}" for r in context.rankings)
    out.append(header)
    for kind in KINDS:
        for domain in context.domains[kind]:
            values = " ".join(f"{_fmt(_aopc(aggregate, kind, domain, r)):>16s}" for r in context.rankings)
            out.append(f"{kind:12s} {domain:7s} {values}")
    levels = _levels(aggregate)
    if levels:
        out.append("\nRobustness: accuracy (mean true-class probability)")
        out.append(f"{'condition':28s} {'waveform':>18s} {'spectrogram':>18s}")
        for label in ["clean"] + [label for _, label in levels]:
            cells = [
                f"{_fmt(aggregate.mean(k, f'robustness/{label}/correct'), True)} "
                f"({_fmt(aggregate.mean(k, f'robustness/{label}/probability'))})"
                for k in KINDS
            ]
            out.append(f"{label:28s} {cells[0]:>18s} {cells[1]:>18s}")
    stability = [aggregate.mean(k, "stability/rank-correlation") for k in KINDS]
    if any(math.isfinite(v) for v in stability):
        out.append(
            f"\nExplanation stability (rank correlation before/after 30 dB white noise): "
            f"waveform {_fmt(stability[0])}, spectrogram {_fmt(stability[1])}"
        )
    out.append("\nVerdicts:")
    out += [f"- {question}: {answer}" for question, answer in verdicts(aggregate, context).items()]
    return "\n".join(out)


def _figure_png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _robustness_figure(aggregate: Aggregate) -> str | None:
    import matplotlib.pyplot as plt

    levels = _levels(aggregate)
    names = list(dict.fromkeys(name for name, _ in levels))
    if not names:
        return None
    fig, axes = plt.subplots(1, len(names), figsize=(2.6 * len(names), 2.8), sharey=True, squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        corruption = CORRUPTIONS[name]
        for kind, colour in zip(KINDS, ("tab:red", "tab:blue"), strict=True):
            accuracy = [aggregate.mean(kind, f"robustness/{level_label(name, lv)}/correct") for lv in corruption.levels]
            ax.plot(range(len(corruption.levels)), accuracy, "o-", color=colour, label=kind)
            ax.axhline(aggregate.mean(kind, "robustness/clean/correct"), color=colour, ls=":", lw=1)
        ax.set_xticks(range(len(corruption.levels)), [f"{lv:g}" for lv in corruption.levels], fontsize=7)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel(corruption.unit, fontsize=8)
        ax.set_ylim(0, 1.02)
    axes[0][0].set_ylabel("accuracy (dotted: clean)")
    axes[0][0].legend(fontsize=7)
    return _figure_png(fig)


def _faithfulness_figure(aggregate: Aggregate, context: ReportContext) -> str:
    import matplotlib.pyplot as plt

    panels = [(kind, domain) for kind in KINDS for domain in context.domains[kind]]
    fig, axes = plt.subplots(1, len(panels), figsize=(3.4 * len(panels), 3.0), sharey=True, squeeze=False)
    colours = plt.get_cmap("tab10")
    for ax, (kind, domain) in zip(axes[0], panels, strict=True):
        for index, ranking in enumerate(context.rankings):
            for order, style in ((MORF, "-"), (LERF, "--")):
                moments = aggregate.curves.get((kind, domain, ranking, order))
                if moments is None or (order == LERF and ranking != context.rankings[0] and ranking != "energy"):
                    continue
                x = np.linspace(0, 1, moments.mean.size)
                label = f"{ranking} {order.upper()}"
                ax.plot(x, moments.mean, style, color=colours(index % 10), lw=1.3, label=label)
                ax.fill_between(x, moments.mean - moments.ci95, moments.mean + moments.ci95,
                                color=colours(index % 10), alpha=0.15)  # fmt: skip
        ax.set_title(f"{kind} model, {domain} domain", fontsize=9)
        ax.set_xlabel("share of regions removed", fontsize=8)
    axes[0][0].set_ylabel("target probability (band: 95 % CI)")
    axes[0][-1].legend(fontsize=6, loc="upper right")
    return _figure_png(fig)


def _aopc_figure(aggregate: Aggregate, context: ReportContext) -> str:
    import matplotlib.pyplot as plt

    panels = [(kind, domain) for kind in KINDS for domain in context.domains[kind]]
    fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(context.rankings) * len(panels) / 2), 3.0))
    width = 0.8 / len(panels)
    for offset, (kind, domain) in enumerate(panels):
        means, errors = [], []
        for ranking in context.rankings:
            moments = aggregate.scalars.get((kind, f"faithfulness/{domain}/{ranking}/aopc-morf"))
            means.append(float(moments.mean[0]) if moments else np.nan)
            errors.append(float(moments.ci95[0]) if moments else 0.0)
        ax.bar(np.arange(len(context.rankings)) + offset * width, means, width, yerr=errors, label=f"{kind} / {domain}")
    ax.set_xticks(np.arange(len(context.rankings)) + 0.4 - width / 2, context.rankings, rotation=30, fontsize=7)
    ax.set_ylabel("AOPC (MoRF, probability)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _figure_png(fig)


def _profile_figure(aggregate: Aggregate, context: ReportContext, what: str) -> str | None:
    import matplotlib.pyplot as plt

    classes = [c for c in context.classes if ("waveform", c, what) in aggregate.profiles] or sorted(
        {c for (_, c, w) in aggregate.profiles if w == what}
    )
    if not classes:
        return None
    columns = min(5, len(classes))
    rows = math.ceil(len(classes) / columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(2.6 * columns, 2.1 * rows + 0.4), sharey=True, squeeze=False, layout="constrained"
    )
    for ax in axes.ravel()[len(classes) :]:
        ax.axis("off")
    for ax, name in zip(axes.ravel(), classes, strict=False):
        for kind, colour in zip(KINDS, ("tab:red", "tab:blue"), strict=True):
            moments = aggregate.profiles.get((kind, name, what))
            if moments is None:
                continue
            if what == "bands":
                x = (np.arange(moments.mean.size) + 0.5) * context.sample_rate / 2 / moments.mean.size / 1000
            else:
                x = (np.arange(moments.mean.size) + 0.5) / moments.mean.size
            ax.plot(x, moments.mean, color=colour, label=kind)
        ax.set_title(name, fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0][0].set_ylabel("share of positive relevance", fontsize=7)
    axes[0][0].legend(fontsize=6)
    fig.supxlabel("frequency (kHz)" if what == "bands" else "position in the window (0 = start, 1 = end)", fontsize=8)
    return _figure_png(fig)


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _image(png: str | None, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{png}">' if png else "<p>(not measured)</p>"


def html_report(aggregate: Aggregate, context: ReportContext) -> str:
    """The whole report as one HTML document with embedded PNG plots."""
    import matplotlib

    matplotlib.use("Agg")
    answers = verdicts(aggregate, context)
    aopc_rows = [
        [kind, domain, ranking, _fmt(_aopc(aggregate, kind, domain, ranking)),
         _fmt(_aopc(aggregate, kind, domain, ranking, "aopc-lerf")),
         _fmt(_aopc(aggregate, kind, domain, ranking, "lerf-minus-morf"))]
        for kind in KINDS for domain in context.domains[kind] for ranking in context.rankings
    ]  # fmt: skip
    extremes = [
        [kind, "least" if index < len(entries) // 2 else "most", name, _fmt(value)]
        for kind, entries in aggregate.extremes.items()
        for index, (value, name) in enumerate(entries)
    ]
    sections = [
        f"<h1>Which representation decides better? {html.escape(context.dataset)}</h1>",
        f"<p>{aggregate.clips} clips; waveform model <b>{html.escape(context.models['waveform'])}</b>, spectrogram "
        f"model <b>{html.escape(context.models['spectrogram'])}</b>; {context.steps} perturbation steps; "
        f"{context.seconds:.0f} s ({html.escape(context.workers)}).</p>",
        "<h2>Verdicts</h2><ul>"
        + "".join(f"<li><b>{html.escape(q)}</b>: {html.escape(a)}</li>" for q, a in answers.items())
        + "</ul>",
        "<h2>Robustness</h2><p>Accuracy under each corruption (dotted: clean accuracy).</p>",
        _image(_robustness_figure(aggregate), "robustness curves"),
        "<h2>Faithfulness</h2><p>Target probability while regions are removed, most relevant first (MoRF, solid) "
        "and least relevant first (LeRF, dashed); bands are 95 % confidence intervals of the mean. "
        f"<i>{RANDOM}</i> removes regions with signal in random order; <i>energy</i> removes the loudest first. "
        "In the <i>common</i> domain both models get the same STFT-patch removal, the waveform model ranked by its "
        "projected (DFT-LRP) relevance.</p>",
        _image(_faithfulness_figure(aggregate, context), "faithfulness curves"),
        _image(_aopc_figure(aggregate, context), "AOPC per ranking"),
        _table(["model", "domain", "ranking", "AOPC MoRF", "AOPC LeRF", "LeRF - MoRF"], aopc_rows),
        "<h2>Relevance profiles per class</h2><p>Mean share of positive relevance per frequency band, both models "
        "on the common STFT grid.</p>",
        _image(_profile_figure(aggregate, context, "bands"), "band profiles"),
        "<p>Mean share of positive relevance per position in the window.</p>",
        _image(_profile_figure(aggregate, context, "positions"), "position profiles"),
        "<h2>Most and least faithful clips</h2><p>By AOPC of the first ranking in each model's own domain.</p>",
        _table(["model", "", "clip", "AOPC"], extremes),
        "<h2>Summary</h2><pre>" + html.escape(summary_text(aggregate, context)) + "</pre>",
    ]
    style = (
        "body{font-family:sans-serif;max-width:1400px;margin:1em auto;padding:0 1em}"
        "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px}"
        "img{max-width:100%}"
    )
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>AudioXAI compare</title><style>{style}</style>'
        f"</head><body>{''.join(sections)}</body></html>"
    )


def write_outputs(out, aggregate: Aggregate, context: ReportContext) -> str:
    """Write OUT/summary.txt, OUT/report.html and OUT/context.json (what the Compare view reads beside
    aggregate.json and results.csv); returns the summary."""
    import json
    from pathlib import Path

    from ..atomic import atomic_write

    out = Path(out)
    summary = summary_text(aggregate, context)
    atomic_write(out / "summary.txt", summary + "\n")
    atomic_write(out / "report.html", html_report(aggregate, context))
    atomic_write(out / "context.json", json.dumps(context.to_json(), indent=1))
    return summary
