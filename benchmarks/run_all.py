"""Run every benchmark, print the tables, and write them to benchmarks/RESULTS.md with the machine.

Usage: python benchmarks/run_all.py [--device cuda] [--only engine,projection,...]
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import markdown_table  # noqa: E402

SUITES = {
    "engine": ("benchmarks.bench_engine", "Explanation engine (issue 2)"),
    "projection": ("benchmarks.bench_projection", "Time-frequency projection (issue 2)"),
    "load_audio": ("benchmarks.bench_load_audio", "Loading hour-long files (issue 2)"),
    "gui": ("benchmarks.bench_gui", "Analysis window (issue 3)"),
    "live": ("benchmarks.bench_live", "Live microphone latency (issue 4)"),
    "live_memory": ("benchmarks.bench_live_memory", "Live pipeline memory (issue 4)"),
    "long": ("benchmarks.bench_long", "Long recordings (issue 12)"),
    "conservation": ("benchmarks.bench_conservation", "Honest maps: conservation per composite (issue 9)"),
    "compare": ("benchmarks.bench_compare", "Data-set comparison (issue 14)"),
    "regions": ("benchmarks.bench_regions", "Many saved regions in the window (issue 15)"),
}
RESULTS = Path(__file__).with_name("RESULTS.md")


def machine() -> str:
    import torch

    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = f", GPU {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ", no GPU"
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB{gpu}; Python {platform.python_version()}, "
        f"torch {torch.__version__}, {platform.system()} {platform.release()}"
    )


def _sections(text: str) -> dict[str, str]:
    """Existing '## title' sections of RESULTS.md, so a partial run keeps the others."""
    sections, title = {}, None
    for line in text.splitlines():
        if line.startswith("## "):
            title = line[3:].strip()
            sections[title] = ""
        elif title is not None:
            sections[title] += line + "\n"
    return sections


TABLE_BEGIN = "<!-- run_all.py writes from here -->"
TABLE_END = "<!-- run_all.py writes up to here -->"


def with_new_table(section: str, generated: str) -> str:
    """The section with only its generated table replaced: the hand-written text before and after it is kept.

    Sections written before the markers existed count their first table and the 'Machine:' paragraph after it
    as generated.
    """
    if TABLE_BEGIN in section and TABLE_END in section:
        before, rest = section.split(TABLE_BEGIN, 1)
        after = rest.split(TABLE_END, 1)[1]
    else:
        before, after = _split_unmarked(section)
    parts = [before.strip(), f"{TABLE_BEGIN}\n{generated.strip()}\n{TABLE_END}", after.strip()]
    return "\n" + "\n\n".join(part for part in parts if part) + "\n"


def _split_unmarked(section: str) -> tuple[str, str]:
    lines = section.splitlines()
    table = [i for i, line in enumerate(lines) if line.startswith("|")]
    if not table:
        return section, ""
    end = table[0]
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    machine = next((i for i in range(end, len(lines)) if lines[i].startswith("Machine:")), None)
    if machine is not None:  # the machine paragraph, up to the next blank line, was generated too
        end = machine
        while end < len(lines) and lines[end].strip():
            end += 1
    return "\n".join(lines[: table[0]]), "\n".join(lines[end:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated suites: " + ", ".join(SUITES))
    parser.add_argument("--device", help="engine device (cpu, cuda)")
    parser.add_argument("--live-minutes", type=float, default=1.0, help="length of the live-latency run")
    parser.add_argument(
        "--full-hour", action="store_true", help="long: explain the whole hour (else estimated from the first minute)"
    )
    args = parser.parse_args()
    chosen = args.only.split(",") if args.only else list(SUITES)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # the GUI suites need no display
    tables = _sections(RESULTS.read_text()) if RESULTS.exists() else {}
    for key in chosen:
        module_name, title = SUITES[key]
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        kwargs = {
            "engine": {"device": args.device},
            "live": {"minutes": args.live_minutes},
            "live_memory": {"minutes": args.live_minutes},
            "long": {"full": args.full_hour},
        }.get(key, {})
        table = markdown_table(module.run(**kwargs))
        print(f"\n## {title}\n\n{table}", flush=True)
        generated = f"{table}\n\nMachine: {machine()}; {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC"
        tables[title] = with_new_table(tables.get(title, ""), generated)
        _write(tables)
    return 0


def _write(tables: dict[str, str]) -> None:
    order = [title for _, title in SUITES.values()]
    lines = [
        "# Benchmark results",
        "",
        "Measured, not asserted; regenerate with `make bench` (or `python benchmarks/run_all.py [--only SUITES]`).",
        "Each section names the machine and time it was measured.",
        "",
    ]
    for title in sorted(tables, key=lambda t: order.index(t) if t in order else len(order)):
        lines.append(f"## {title}\n{tables[title].rstrip()}\n")
    RESULTS.write_text("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
