"""Time and peak memory of load_audio on an hour-long file (the file must not be held twice).

Run as ``python benchmarks/bench_load_audio.py``; a top-level runner imports ``run()``. It writes a
temporary 1 h 44.1 kHz stereo 16-bit WAV (~635 MB) and a 1 h FLAC, then loads each in a fresh process
so ``ru_maxrss`` measures only that load.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

SECONDS = 3600
SOURCE_RATE = 44100
CASES = [  # (case, file name, target rate)
    ("1 h wav, native 44.1 kHz", "long.wav", None),
    ("1 h wav -> 8 kHz", "long.wav", 8000),
    ("1 h flac -> 8 kHz", "long.flac", 8000),
]

_MEASURE = """
import json, resource, sys, time
from audioxai_gui.audio.io import load_audio
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
audio = load_audio(sys.argv[1], None if sys.argv[2] == "None" else int(sys.argv[2]))
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
output_mib = audio.samples.nbytes / 2**20
print(json.dumps({"seconds": seconds, "extra_mib": (peak - before) / 1024, "output_mib": output_mib}))
"""


def _write_long_file(path: Path) -> None:
    """A tone plus noise, written block by block so the benchmark itself stays small in memory."""
    rng = np.random.default_rng(0)
    block = SOURCE_RATE * 10
    with sf.SoundFile(path, "w", SOURCE_RATE, 2, subtype="PCM_16") as out:
        for offset in range(0, SECONDS * SOURCE_RATE, block):
            t = (offset + np.arange(block)) / SOURCE_RATE
            tone = 0.3 * np.sin(2 * np.pi * 440 * t)
            out.write(np.stack([tone, 0.05 * rng.standard_normal(block)], axis=1).astype(np.float32))


def run() -> list[dict]:
    rows = []
    repo = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as folder:
        for name in {name for _, name, _ in CASES}:
            _write_long_file(Path(folder) / name)
        for case, name, target_rate in CASES:
            path = Path(folder) / name
            result = subprocess.run(
                [sys.executable, "-c", _MEASURE, str(path), str(target_rate)],
                cwd=repo,
                capture_output=True,
                text=True,
                check=True,
            )
            rows.append({"case": case, "file_mib": path.stat().st_size / 2**20, **json.loads(result.stdout)})
    return rows


def markdown(rows: list[dict]) -> str:
    lines = [
        "| case | file MiB | load s | output MiB | peak extra RSS MiB |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        cells = [
            row["case"],
            f"{row['file_mib']:.0f}",
            f"{row['seconds']:.1f}",
            f"{row['output_mib']:.0f}",
            f"{row['extra_mib']:.0f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(run()))
