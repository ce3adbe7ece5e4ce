"""Live mode latency: from a spoken digit entering the (virtual) microphone to both models' answer being ready.

FSDD test clips are played with paplay into a private PulseAudio null sink whose monitor is the default
input; the LivePipeline (what the window's timer polls) runs on it in a child process, because
PortAudio enumerates devices when sounddevice is imported. Latency per clip: from the wall-clock time
at which the clip's first loud sample reached the capture buffer to the time the first analysis whose
window contains it was collected by a poll ("ready"; drawing adds one GUI tick, at most 40 ms).
Accuracy per clip: both models' classes in the first window holding the whole clip. Memory: RSS less
the audio the benchmark's own recording holds (it keeps the whole stream, as Record does); "at 1 min"
is after torch's warm-up, so "end" minus it is what ten minutes of live use added.

Usage: python benchmarks/bench_live.py [--minutes 10]   (default 1 minute)
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from benchmarks.common import rss_mb  # noqa: E402

FSDD_RECORDINGS = REPO.parent / "shared" / "data" / "fsdd" / "recordings"
POLL_SECONDS = 0.01
GAP_SECONDS = 0.8  # silence after each clip: its last windows are analysed before the next starts
ONSET_FRACTION = 0.1  # a clip starts at its first sample above this fraction of its peak
TEST_CLIPS = 300  # FSDD's official test set: takes 0-4 of every digit and speaker


@dataclass(frozen=True)
class Analysis:
    """What the benchmark keeps of one live analysis; results themselves are dropped, as the window does."""

    end_seconds: float
    level_dbfs: float
    predictions: dict  # role -> class name
    ready: float  # perf_counter when a poll collected it
    probabilities: dict = field(default_factory=dict)  # role -> {class name: probability}

    @classmethod
    def of(cls, result, ready: float) -> Analysis:
        explanations = result.explanations.items()
        predictions = {role: e.classes[e.predicted] for role, e in explanations}
        probabilities = {
            role: dict(zip(e.classes, map(float, e.probabilities), strict=True)) for role, e in explanations
        }
        return cls(result.request.end_seconds, result.request.level_dbfs, predictions, ready, probabilities)


@dataclass
class SessionLog:
    """What a driven session saw: analyses with the time a poll collected them, and where each clip sat."""

    results: list = field(default_factory=list)  # Analysis
    clips: list = field(default_factory=list)  # (path, stream seconds at launch, stream seconds after)
    arrivals: list = field(default_factory=list)  # (perf_counter, samples in the capture buffer)
    recording: np.ndarray | None = None
    rss_mb: list = field(default_factory=list)  # (stream seconds, RSS less what the recording holds) per clip


def fsdd_test_clips(count: int, recordings: Path = FSDD_RECORDINGS) -> list[Path]:
    """``count`` official test clips (takes 0-4), cycling digits 0-9 and speakers."""
    by_digit = {digit: sorted(recordings.glob(f"{digit}_*_[0-4].wav")) for digit in range(10)}
    return [by_digit[i % 10][(i // 10 * 7 + i) % len(by_digit[i % 10])] for i in range(count)]


def open_pipeline(gate_dbfs: float = -50.0, capture_factory=None, task: str | None = None):
    """The window's pipeline on the default input (or ``capture_factory``'s) with the shipped models of
    ``task`` (default: the digit task)."""
    from audioxai_gui.classifiers import find_cards, pick_card
    from audioxai_gui.explain.engine import ExplanationEngine
    from audioxai_gui.live.capture import LiveCapture
    from audioxai_gui.ui.live.pipeline import LivePipeline, LiveSettings

    engine = ExplanationEngine("cpu")
    cards, _ = find_cards()  # models/ first, then $AUDIOXAI_MODELS
    models = {role: engine.load(pick_card(cards, role, task=task)) for role in ("waveform", "spectrogram")}
    settings = LiveSettings(view_seconds=10.0, gate_enabled=True, gate_dbfs=gate_dbfs)
    capture = (capture_factory or LiveCapture)(buffer_seconds=LivePipeline.capture_seconds(settings, models))
    return LivePipeline(capture, engine, models, settings)


def play_and_poll(pipeline, clips: list[Path], record: bool = False, seconds: float | None = None) -> SessionLog:
    """Play each clip into the sink and poll the pipeline as the window's timer does, logging everything;
    stop after ``seconds`` of wall time if given (the clips are played in a cycle)."""
    log = SessionLog()
    if record:
        pipeline.start_recording()
    began = time.perf_counter()

    def poll_for(seconds: float, player=None) -> None:
        deadline = time.perf_counter() + seconds
        while (player is not None and player.poll() is None) or time.perf_counter() < deadline:
            update = pipeline.poll()
            if update.error is not None:
                raise RuntimeError(f"live session failed: {update.error}")
            now = time.perf_counter()
            log.results += [Analysis.of(result, now) for result in update.results]
            log.arrivals.append((now, pipeline.capture.buffer.total_written))
            time.sleep(POLL_SECONDS)

    poll_for(0.5)  # the stream settles; the first windows are silence
    recording_start = pipeline.stream_seconds
    for clip in itertools.cycle(clips) if seconds else clips:
        if seconds and time.perf_counter() - began >= seconds:
            break
        started = pipeline.stream_seconds
        poll_for(0.0, subprocess.Popen(["paplay", str(clip)]))
        poll_for(GAP_SECONDS)
        log.clips.append((clip, started, pipeline.stream_seconds))
        recorded_mb = (pipeline.stream_seconds - recording_start) * pipeline.sample_rate * 4 / 2**20 if record else 0
        log.rss_mb.append((pipeline.stream_seconds, rss_mb() - recorded_mb))
    if record:
        log.recording = pipeline.stop_recording()
    return log


def _clip_span(log: SessionLog, sample_rate: int, start: float, end: float) -> tuple[int, int]:
    """Stream samples of a clip's first and last loud sample (above ONSET_FRACTION of its peak), as captured."""
    first = round(start * sample_rate)
    segment = log.recording[first : round(end * sample_rate)]
    loud = np.flatnonzero(np.abs(segment) >= ONSET_FRACTION * np.abs(segment).max())
    return first + int(loud[0]), first + int(loud[-1])


def clip_predictions(log: SessionLog, sample_rate: int, window_seconds: float) -> list[dict]:
    """Per clip, each model's class in the first analysed window that holds the whole clip: what the live
    panel shows once the word is complete (an earlier window sees only its start). Falls back to the
    loudest window of the clip when none holds all of it."""
    rows = []
    for path, start, end in log.clips:
        onset, offset = (sample / sample_rate for sample in _clip_span(log, sample_rate, start, end))
        during = [analysis for analysis in log.results if start < analysis.end_seconds <= end]
        whole = [a for a in during if a.end_seconds >= offset and a.end_seconds - window_seconds <= onset]
        row = {"clip": path.name, "digit": path.name[0]}
        if whole or during:
            row.update((whole[0] if whole else max(during, key=lambda analysis: analysis.level_dbfs)).predictions)
        rows.append(row)
    return rows


def onset_latencies(log: SessionLog, sample_rate: int) -> list[float]:
    """Seconds from each clip's onset reaching the buffer to the first analysis containing it being ready."""
    arrival_times, arrival_totals = map(np.array, zip(*log.arrivals, strict=True))
    latencies = []
    for _, start, end in log.clips:
        onset_total, _ = _clip_span(log, sample_rate, start, end)
        arrived = arrival_times[np.searchsorted(arrival_totals, onset_total + 1)]
        onset_seconds = onset_total / sample_rate
        ready = [analysis.ready for analysis in log.results if analysis.end_seconds >= onset_seconds]
        if ready:
            latencies.append(ready[0] - arrived)
    return latencies


def child_main(minutes: float, out_path: Path) -> None:
    pipeline = open_pipeline()
    pipeline.start()
    cpu_before, wall_before = os.times(), time.perf_counter()
    rss_start = rss_mb()
    try:
        log = play_and_poll(pipeline, fsdd_test_clips(TEST_CLIPS), record=True, seconds=60 * minutes)
    finally:
        pipeline.stop()
    cpu_after, wall = os.times(), time.perf_counter() - wall_before
    latencies = np.array(onset_latencies(log, pipeline.sample_rate)) * 1e3
    window_seconds = max(model.card.duration for model in pipeline.models.values())
    predictions = clip_predictions(log, pipeline.sample_rate, window_seconds)
    after_first_minute = next((rss for seconds, rss in log.rss_mb if seconds >= 60), log.rss_mb[-1][1])
    correct = {role: sum(row.get(role) == row["digit"] for row in predictions) for role in pipeline.models}
    cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    row = {
        "minutes": round(wall / 60, 2),
        "clips": len(predictions),
        "latency p50 ms": float(np.percentile(latencies, 50)),
        "latency p95 ms": float(np.percentile(latencies, 95)),
        "analyses": pipeline.analyser.analysed,
        "dropped": pipeline.analyser.dropped,
        "gated": pipeline.gated,
        "CPU % of one core": 100 * cpu / wall,
        "overflows": pipeline.capture.overflow_count,
        "lost samples": pipeline.lost_samples,
        "RSS start MB": rss_start,
        "RSS at 1 min MB": after_first_minute,
        "RSS max MB": max(rss for _, rss in log.rss_mb),
        "RSS end MB": log.rss_mb[-1][1],
        **{f"{role} correct": f"{n}/{len(predictions)}" for role, n in correct.items()},
    }
    out_path.write_text(json.dumps([row]))


def run(minutes: float = 1.0) -> list[dict]:
    """Start a private PulseAudio daemon and measure in a child process (rows for run_all.py)."""
    from pulse import pulse_server, skip_reason

    reason = skip_reason() or (None if FSDD_RECORDINGS.is_dir() else f"no FSDD recordings at {FSDD_RECORDINGS}")
    if reason:
        return [{"skipped": reason}]
    with tempfile.TemporaryDirectory() as folder, pulse_server() as server:
        out_path = Path(folder) / "rows.json"
        subprocess.run(
            [sys.executable, __file__, "--child", "--minutes", str(minutes), "--out", str(out_path)],
            env={**server.env, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"},
            check=True,
            timeout=120 + 90 * minutes,
        )
        return json.loads(out_path.read_text())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=1.0, help="length of the run (the issue asks for 10)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args.minutes, args.out)
    else:
        from benchmarks.common import markdown_table

        print(markdown_table(run(args.minutes)))
