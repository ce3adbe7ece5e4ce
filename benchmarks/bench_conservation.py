"""Honest maps: how well each composite's time-frequency map conserves relevance on real speech.

The shipped digit pair explains 20 official-test FSDD clips (takes 0-4; every 15th file in name order,
so all digits and speakers) with every composite. Per composite and model:

- conservation over the clip (relevance on the clip / target logit): mean, range, negative totals;
- waveform model, map error: |map total + silent track - time-domain total| / clip |relevance| (the
  accounting the window shows), and the map alone against the time-domain total;
- silent share: the part of |relevance| on near-silent samples (reported apart, not in the map);
- largest bin / map |relevance|, and on how many clips a bin holds more than 5 % without the
  time-domain relevance being that concentrated (the largest share of |relevance| in one frame's span);
- map |relevance| / time-domain |relevance| (cancelling artefacts make this large).

Run from the repository root: ``python -m benchmarks.bench_conservation`` (or via run_all.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from audioxai_gui.audio.io import load_audio
from audioxai_gui.classifiers import find_cards, load_model, pick_card
from audioxai_gui.explain.accounting import frame_concentration
from audioxai_gui.explain.composites import COMPOSITES
from audioxai_gui.explain.engine import ExplanationEngine

REPO = Path(__file__).resolve().parents[1]
FSDD = REPO.parent / "shared" / "data" / "fsdd" / "recordings"
N_CLIPS = 20


def official_test_clips(n: int = N_CLIPS) -> list[Path]:
    """Every 15th official-test file (takes 0-4) in name order: 20 clips over all digits and speakers."""
    files = sorted(path for path in FSDD.glob("*.wav") if int(path.stem.rsplit("_", 1)[1]) <= 4)
    if not files:
        raise FileNotFoundError(f"no FSDD recordings at {FSDD}")
    return files[:: max(1, len(files) // n)][:n]


def _waveform_numbers(e, samples: np.ndarray) -> dict:
    relevance = e.relevance.astype(np.float64)
    total, total_abs = relevance.sum(), np.abs(relevance).sum() or 1.0
    tf, silent = e.tf_relevance.astype(np.float64), e.tf_silent.astype(np.float64)
    max_bin = np.abs(tf).max() / (np.abs(tf).sum() or 1.0)
    return {
        "error": abs(tf.sum() + silent.sum() - total) / total_abs,
        "map_alone": abs(tf.sum() - total) / total_abs,
        "silent": e.silent_share,
        "max_bin": max_bin,
        "bin_over_limit": float(max_bin > max(0.05, frame_concentration(relevance, e.grid.framing.n_fft))),
        "mass": np.abs(tf).sum() / total_abs,
    }


def run(n_clips: int = N_CLIPS) -> list[dict]:
    torch.set_num_threads(1)
    cards, _ = find_cards([REPO / "models"])
    engine = ExplanationEngine("cpu")
    models = {kind: load_model(pick_card(cards, kind)) for kind in ("waveform", "spectrogram")}
    grid = models["spectrogram"].card.features
    clips = [load_audio(path, grid.sample_rate).samples for path in official_test_clips(n_clips)]
    rows = []
    for composite in COMPOSITES:
        for kind, model in models.items():
            conservation, negative, numbers = [], 0, []
            for samples in clips:
                e = engine.explain(model, samples, composite=composite, grid=grid)
                conservation.append(e.conservation)
                negative += e.total_relevance < 0
                if kind == "waveform":
                    numbers.append(_waveform_numbers(e, samples))
            row = {
                "composite": composite,
                "model": kind,
                "conservation mean": float(np.mean(conservation)),
                "conservation range": f"{min(conservation):.2f} … {max(conservation):.2f}",
                "negative totals": f"{negative}/{len(clips)}",
            }
            if numbers:
                worst = {key: max(n[key] for n in numbers) for key in numbers[0]}
                over = sum(n["bin_over_limit"] for n in numbers)
                row |= {
                    "map+silent error (worst)": f"{worst['error']:.1e}",
                    "map alone error (worst)": f"{worst['map_alone']:.1%}",
                    "silent share (worst)": f"{worst['silent']:.1%}",
                    "largest bin / map |R| (worst)": f"{worst['max_bin']:.1%}",
                    "bins > max(5 %, frame share of time |R|)": f"{over:.0f}/{len(numbers)}",
                    "map |R| / time |R| (worst)": f"{worst['mass']:.2f}",
                }
            else:
                row |= dict.fromkeys(
                    [
                        "map+silent error (worst)",
                        "map alone error (worst)",
                        "silent share (worst)",
                        "largest bin / map |R| (worst)",
                        "bins > max(5 %, frame share of time |R|)",
                        "map |R| / time |R| (worst)",
                    ],
                    "—",
                )
            rows.append(row)
            print(row, flush=True)
    return rows


if __name__ == "__main__":
    from benchmarks.common import markdown_table

    print(markdown_table(run()))
