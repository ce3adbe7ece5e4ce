"""Many saved regions in the window (issue 15): opening a sidecar of 1,000-20,000 regions, the longest the GUI
thread is blocked meanwhile, one edit, zooming in to 30 regions and panning.

Usage: python benchmarks/bench_regions.py   (offscreen; models from models/ or $AUDIOXAI_MODELS). Each size
runs in a fresh process so one window's items do not slow the next.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.common import markdown_table  # noqa: E402

SIZES = (1_000, 10_000, 20_000)
CLIP_S = 60.0
TICK_MS = 10  # a timer this fast shows every stall of the GUI thread


def _measure(count: int, folder: Path) -> dict:
    """One window, one sidecar of ``count`` regions; wall times in seconds (stall in ms)."""
    import numpy as np
    import soundfile as sf
    from PySide6 import QtCore, QtWidgets

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    from audioxai_gui.annotate.regions import Region
    from audioxai_gui.annotate.sidecar import sidecar_path
    from audioxai_gui.ui.backend import discover, import_heavy_modules, load_models
    from audioxai_gui.ui.main_window import MainWindow

    import_heavy_modules()
    backend = load_models(discover())
    audio = folder / "clip.wav"
    sf.write(audio, 0.01 * np.random.default_rng(0).normal(size=int(8000 * CLIP_S)).astype(np.float32), 8000)
    step = CLIP_S / count
    regions = [Region(i * step, (i + 0.5) * step, label=f"r{i}").to_dict() for i in range(count)]
    sidecar_path(audio).write_text(json.dumps({"schema": 1, "regions": regions}))
    settings = QtCore.QSettings(str(folder / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.resize(1366, 740)
    window.show()
    window.set_backend(backend)
    annotation = window.extensions["annotation"]

    def wait(done, limit=600.0) -> float:
        started = time.perf_counter()
        while not done() and time.perf_counter() - started < limit:
            app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 5)
        return time.perf_counter() - started

    window.open_file(audio)
    wait(lambda: window.clip is not None)
    gaps, last = [], [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QtCore.QTimer(interval=TICK_MS)
    timer.timeout.connect(tick)
    timer.start()
    loaded = wait(lambda: annotation.clip is not None and annotation.loading is None and len(annotation.document))
    timer.stop()
    wait(lambda: not window.runner.pending(), 600)  # explanations done: the edits below are timed alone

    def timed(action) -> float:
        started = time.perf_counter()
        action()
        app.processEvents()
        return time.perf_counter() - started

    edit = timed(lambda: annotation.document.add(Region(0.001, 0.002)))
    zoom = timed(lambda: (window.stack.set_time_range(10.0, 10.0 + 30 * step), annotation.overlay._draw()))
    pan = timed(lambda: (window.stack.set_time_range(11.0, 11.0 + 30 * step), annotation.overlay._draw()))
    return {
        "regions": count,
        "shown after the clip (s)": loaded,
        "longest GUI stall while loading (ms)": 1e3 * max(gaps or [0.0]),
        "one edit (s)": edit,
        "zoom to 30 regions (s)": zoom,
        "pan (s)": pan,
    }


def run() -> list[dict]:
    rows = []
    for count in SIZES:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
        process = subprocess.run(
            [sys.executable, __file__, "--one", str(count)], env=env, capture_output=True, text=True, timeout=900
        )
        lines = [line for line in process.stdout.splitlines() if line.startswith("{")]
        if not lines:
            raise RuntimeError(f"{count} regions: no result ({process.stderr[-2000:]})")
        rows.append(json.loads(lines[-1]))
    load = os.getloadavg()[0]
    return [{**row, "load average": load} for row in rows]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        scratch = Path(tempfile.mkdtemp(prefix="audioxai-bench-regions-"))
        try:
            print(json.dumps(_measure(int(sys.argv[2]), scratch)), flush=True)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)  # before os._exit, which skips every cleanup
        os._exit(0)  # skip interpreter teardown of the window (as the tests do)
    print(markdown_table(run()))
