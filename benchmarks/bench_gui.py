"""Analysis window timings: launch to visible window, launch to drawn explanation, opening an hour, panning it.

Usage: python benchmarks/bench_gui.py   (runs offscreen; models from models/ or $AUDIOXAI_MODELS)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.common import markdown_table  # noqa: E402

LAUNCHES = 5
HOUR_S = 3600
PAN_FRAMES = 40


def _launch() -> dict[str, float]:
    """Seconds from starting ``main.py`` to each milestone the app reports, up to "explained" (it then quits)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", AUDIOXAI_EVENTS="1", AUDIOXAI_EXIT_AFTER="explained")
    started = time.time()
    process = subprocess.run(
        [sys.executable, str(REPO / "main.py")], env=env, capture_output=True, text=True, timeout=300, cwd=REPO
    )
    events = {}
    for line in process.stdout.splitlines():
        parts = line.split()
        if parts[:1] == ["AUDIOXAI_EVENT"]:
            events[parts[1]] = float(parts[2]) - started
    if "explained" not in events:
        raise RuntimeError(f"the app never reported 'explained': {process.stderr[-2000:]}")
    return events


def _write_hour(path: Path, rate: int = 8000) -> None:
    import soundfile as sf

    from audioxai_gui.resources import EXAMPLE_AUDIO

    example, _ = sf.read(EXAMPLE_AUDIO, dtype="float32")
    noise = np.random.default_rng(0).normal(scale=0.01, size=rate).astype(np.float32)
    block = np.concatenate([example, np.tile(noise, 3)])
    sf.write(path, np.tile(block, HOUR_S * rate // len(block) + 1)[: HOUR_S * rate], rate, subtype="PCM_16")


def _hour_rows() -> list[dict]:
    from PySide6 import QtCore, QtWidgets

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    from audioxai_gui.ui.backend import discover, import_heavy_modules, load_models
    from audioxai_gui.ui.main_window import MainWindow

    import_heavy_modules()
    backend = load_models(discover())
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hour.wav"
        _write_hour(path)
        settings = QtCore.QSettings(str(Path(folder) / "settings.ini"), QtCore.QSettings.Format.IniFormat)
        window = MainWindow(settings=settings)
        window.resize(1500, 950)
        window.show()
        window.set_backend(backend)
        grid = backend.models["spectrogram"].card.features
        background = window.stack.panes["spectrogram"].background
        started = time.perf_counter()
        window.open_file(path)
        waveform_at = overview_at = spectrogram_at = None
        while spectrogram_at is None and time.perf_counter() - started < 300:
            app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
            if waveform_at is None and window.clip is not None:
                waveform_at = time.perf_counter() - started
            if overview_at is None and background.pyramid is not None:
                overview_at = time.perf_counter() - started
            full = window.clip.images.get(grid) if window.clip is not None else None
            if full is not None and background.pyramid is full.pyramid:
                spectrogram_at = time.perf_counter() - started
        window.cancel_explanations()  # explaining a whole hour is measured in bench_engine
        rows.append({"measure": "1-hour file: waveform shown", "seconds": waveform_at})
        rows.append({"measure": "1-hour file: spectrogram overview shown", "seconds": overview_at})
        rows.append({"measure": "1-hour file: spectrogram shown", "seconds": spectrogram_at})
        for label, span in (("pan, 10 s visible", 10.0), ("pan, whole hour visible", float(HOUR_S))):
            rows.append({"measure": f"1-hour file: frame time of a {label}", "seconds": _pan_frame(app, window, span)})
        window.close()
    return rows


def _pan_frame(app, window, span: float) -> float:
    """Median seconds to pan by 5 % of the view and redraw every pane (data re-sliced and painted)."""
    window.stack.set_time_range(HOUR_S / 2 - span / 2, HOUR_S / 2 + span / 2) if span < HOUR_S else window.stack.fit()
    app.processEvents()
    view = window.stack.time_view
    frames = []
    for index in range(PAN_FRAMES):
        started = time.perf_counter()
        view.translateBy(x=(0.05 if index % 20 < 10 else -0.05) * span)
        app.processEvents()  # runs each pane's coalesced redraw
        window.stack.widget.viewport().repaint()
        frames.append(time.perf_counter() - started)
    return statistics.median(frames)


def run() -> list[dict]:
    launches = [_launch() for _ in range(LAUNCHES)]

    def median(milestone: str) -> float:
        return statistics.median(events[milestone] for events in launches)

    rows = [
        {"measure": f"launch → window visible (median of {LAUNCHES})", "seconds": median("visible")},
        {"measure": "launch → torch, zennit and the engine imported", "seconds": median("imported")},
        {"measure": "launch → models loaded", "seconds": median("models")},
        {"measure": "launch → example explained and drawn", "seconds": median("explained")},
        {
            "measure": "window visible → example explained and drawn",
            "seconds": statistics.median(events["explained"] - events["visible"] for events in launches),
        },
    ]
    return rows + _hour_rows()


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    print(markdown_table(run()))
