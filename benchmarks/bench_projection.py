"""Speed of the time-frequency projection of waveform relevance (target: 60 s @ 16 kHz in <= 20 ms).

Run from the repository root as ``python -m benchmarks.bench_projection`` (or as a script once the
package is installed); a top-level runner imports ``run()``.
"""

from __future__ import annotations

import numpy as np

from audioxai_gui.explain.projection import project_relevance
from audioxai_gui.features.framing import Framing
from audioxai_gui.features.spectrogram import FeatureSpec
from benchmarks.common import time_ms

FRAMING = Framing(n_fft=256, hop_length=64)
CASES = [
    ("1 s, stft", 1.0, FeatureSpec(sample_rate=8000, framing=FRAMING)),
    ("60 s, stft", 60.0, FeatureSpec(sample_rate=16000, framing=FRAMING)),
    ("60 s, mel 64", 60.0, FeatureSpec(sample_rate=16000, framing=FRAMING, kind="mel_db", n_mels=64)),
]
REPEATS = 21


def run(repeats: int = REPEATS) -> list[dict]:
    """One row per case: float32 noise clip, input-proportional relevance, median and best wall time.

    The best run is reported too because the CPU is shared: it shows the cost without other load.
    """
    rng = np.random.default_rng(0)
    rows = []
    for case, seconds, spec in CASES:
        n_samples = int(seconds * spec.sample_rate)
        signal = (0.1 * rng.standard_normal(n_samples)).astype(np.float32)
        relevance = signal * rng.standard_normal(n_samples).astype(np.float32)
        milliseconds = time_ms(lambda: project_relevance(signal, relevance, spec), repeats)  # noqa: B023
        rows.append(
            {
                "case": case,
                "samples": n_samples,
                "sample_rate": spec.sample_rate,
                "ms_median": float(np.median(milliseconds)),
                "ms_min": float(milliseconds.min()),
                "runs": repeats,
            }
        )
    return rows


def markdown(rows: list[dict]) -> str:
    lines = ["| case | signal length | rate | ms (median) | ms (best) | runs |", "|---|---|---|---|---|---|"]
    for row in rows:
        rate, median, best = f"{row['sample_rate']} Hz", f"{row['ms_median']:.2f}", f"{row['ms_min']:.2f}"
        cells = [row["case"], row["samples"], rate, median, best, row["runs"]]
        lines.append("| " + " | ".join(str(cell) for cell in cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(run()))
