"""Speed of the explanation engine with the shipped models.

Forward, plain gradient and LRP per model x composite at batch 1 and 16; both models' explanation of a
1 s clip end to end (with the time-frequency projection); a 10-minute file explained end to end by both
models with 50 % overlap. Targets (issue 2): 1 s clip <= 50 ms for both models together on the CPU;
10 minutes <= 30 s.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from audioxai_gui.classifiers import find_cards, pick_card  # noqa: E402
from audioxai_gui.classifiers.inputs import model_input  # noqa: E402
from audioxai_gui.explain.composites import COMPOSITES, make_composite  # noqa: E402
from audioxai_gui.explain.engine import ExplanationEngine  # noqa: E402
from audioxai_gui.explain.zennit_import import import_zennit  # noqa: E402
from benchmarks.common import markdown_table, time_ms  # noqa: E402

REPEATS = 15


def _speech_like(seconds: float, rate: int = 8000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    bursts = 0.5 * (1 + np.sin(2 * np.pi * 1.3 * t)) ** 4 / 16
    return (bursts * (0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(t.size))).astype(np.float32)


def run(device: str | None = None, long_minutes: float = 10.0) -> list[dict]:
    engine = ExplanationEngine(device)
    cards, _ = find_cards()
    models = [engine.load(pick_card(cards, kind)) for kind in ("waveform", "spectrogram")]
    gradient = import_zennit().attribution.Gradient
    rows = []

    def add(case, model_name, batch, ms):
        rows.append(
            {
                "case": case,
                "model": model_name,
                "batch": batch,
                "ms median": float(np.median(ms)),
                "ms best": float(ms.min()),
                "device": engine.device_name,
            }
        )

    for model in models:
        for batch in (1, 16):
            windows = torch.from_numpy(np.stack([_speech_like(1.0, seed=i) for i in range(batch)])).to(engine.device)
            x = model_input(model.card, windows)
            with torch.no_grad():
                add("forward", model.card.name, batch, time_ms(lambda: model.module(x), REPEATS))  # noqa: B023

            def plain_gradient():
                inp = x.detach().requires_grad_(True)  # noqa: B023
                out = model.module(inp)  # noqa: B023
                torch.autograd.grad(out[:, 0].sum(), inp)

            add("gradient", model.card.name, batch, time_ms(plain_gradient, REPEATS))
            for name in COMPOSITES:

                def lrp():
                    with gradient(model.module, make_composite(name, model.card.input_kind)) as attributor:  # noqa: B023
                        attributor(x, torch.eye(10, device=x.device)[[0] * len(x)])  # noqa: B023

                add(f"LRP {name}", model.card.name, batch, time_ms(lrp, REPEATS))

    clip = _speech_like(1.0)
    grid = models[1].card.features

    def both_models():
        for model in models:
            engine.explain(model, clip, grid=grid)

    add("explain 1 s clip, both models (incl. projection)", "both", 1, time_ms(both_models, REPEATS))
    long = _speech_like(60 * long_minutes)
    started = time.perf_counter()
    for model in models:
        engine.explain(model, long, grid=grid, hop_fraction=0.5)
    seconds = time.perf_counter() - started
    add(
        f"explain {long_minutes:g} min file, both models, 50 % overlap",
        "both",
        engine.batch_size,
        np.array([seconds * 1e3]),
    )
    return rows


if __name__ == "__main__":
    print(markdown_table(run(sys.argv[1] if len(sys.argv) > 1 else None)))
