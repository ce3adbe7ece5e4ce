"""Timing and table helpers shared by the benchmarks."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np


def time_ms(function: Callable[[], object], repeats: int, warmup: int = 1) -> np.ndarray:
    """Wall times in milliseconds of ``repeats`` calls, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return 1e3 * np.array(times)


def markdown_table(rows: list[dict]) -> str:
    """A Markdown table with one column per key of the first row; floats to two decimals."""
    if not rows:
        return "(no rows)"
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for row in rows:
        cells = [f"{row.get(k):.2f}" if isinstance(row.get(k), float) else str(row.get(k, "")) for k in keys]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def rss_mb() -> float:
    """This process's resident memory in MiB (Linux), NaN where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")
