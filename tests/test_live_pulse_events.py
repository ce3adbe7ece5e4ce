"""Live mode with the event pair: ESC-10 fold-5 clips (never trained on) played into the virtual microphone.

The same LivePipeline the window polls runs in a child process with the PulseAudio environment (see
test_live_pulse_e2e.py); the capture runs at the device's 48 kHz and every window is resampled to each event
model's own rate. A 5 s event clip spans many live windows (1 s each); as for a whole clip in the analysis
window (the engine's rule), each model's answer for a clip is the class with the highest mean probability over
the analysed windows that lie inside it.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from pulse import run_live_child, skip_reason

from audioxai_gui.classifiers import discover_tasks, find_cards

REPO_ROOT = Path(__file__).resolve().parents[1]
ESC10 = REPO_ROOT.parent / "shared" / "data" / "esc10"
TASK = "events"
MIN_CORRECT = 6

pytestmark = [pytest.mark.pulse, pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")]


def fold5_clips(root: Path) -> list[Path]:
    """One fold-5 clip per class (the first by name): the fold the shipped event models never saw."""
    return [sorted(folder.glob("5-*.ogg"))[0] for folder in sorted(p for p in root.iterdir() if p.is_dir())]


def same_class(predicted: str | None, folder: str) -> bool:
    """A card's class name against an ESC-10 folder name ("001 - Dog bark" ~ "dog_bark", "Dog bark")."""
    return predicted is not None and _letters(predicted) == _letters(folder.split(" - ", 1)[-1])


def _letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def child(out_dir: Path) -> None:
    from benchmarks.bench_live import open_pipeline, play_and_poll

    pipeline = open_pipeline(task=TASK)
    pipeline.settings.gate_enabled = False  # the window's default: quiet stretches of a clip are analysed too
    pipeline.start()
    try:
        log = play_and_poll(pipeline, fold5_clips(ESC10))
    finally:
        pipeline.stop()
    window = max(model.card.duration for model in pipeline.models.values())
    rows = []
    for path, start, end in log.clips:
        inside = [a.probabilities for a in log.results if start + window <= a.end_seconds <= end]
        row = {"clip": path.name, "class": path.parent.name, "windows": len(inside)}
        for role in pipeline.models:
            mean = {name: np.mean([p[role][name] for p in inside]) for name in inside[0][role]} if inside else {}
            row[role] = max(mean, key=mean.get) if mean else None
        rows.append(row)
    models = {role: model.card.name for role, model in pipeline.models.items()}
    (out_dir / "result.json").write_text(json.dumps({"models": models, "rows": rows}))


@pytest.fixture(scope="module")
def event_task():
    tasks, _ = discover_tasks(find_cards([REPO_ROOT / "models"])[0])
    if TASK not in tasks:
        pytest.skip(f"the event models (task {TASK!r}) are not in models/ yet (tasks there: {', '.join(tasks)})")
    if not ESC10.is_dir():
        pytest.skip(f"ESC-10 not found at {ESC10} (the project reads it from ../shared/data/esc10)")
    return tasks[TASK]


def test_live_predictions_name_the_sound_events(event_task, tmp_path):
    result = run_live_child(__file__, tmp_path, timeout=300)
    assert result["models"] == {role: event_task.card(role).name for role in ("waveform", "spectrogram")}
    rows = result["rows"]
    assert len(rows) == 10 and all(row["windows"] > 0 for row in rows), rows
    for role in ("waveform", "spectrogram"):
        correct = [row["clip"] for row in rows if same_class(row[role], row["class"])]
        assert len(correct) >= MIN_CORRECT, f"{role} model named only {correct}: {rows}"


if __name__ == "__main__":
    child(Path(sys.argv[1]))
