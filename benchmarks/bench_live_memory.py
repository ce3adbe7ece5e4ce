"""Live pipeline memory over ten minutes of stream, without the latency benchmark's recording.

The latency benchmark keeps the whole stream (to find clip onsets), which grows by about 11 MB a
minute in small chunks and fragments the heap, so its RSS cannot show whether live analysis itself
leaks. Here FSDD test clips (with 0.9 s gaps) go through the window's LivePipeline from a fake capture
at four times real time (the worker keeps up, about 250 analyses per stream minute as live), and RSS is
read every stream minute. Flat means "end" ≈ "at 1 min" (the first minute includes torch's warm-up).

Usage: python benchmarks/bench_live_memory.py [--minutes 10]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from benchmarks.bench_live import FSDD_RECORDINGS, TEST_CLIPS, fsdd_test_clips, open_pipeline  # noqa: E402
from benchmarks.common import rss_mb  # noqa: E402

BLOCK_SECONDS = 0.02  # what a PulseAudio source hands out per period
SPEED_UP = 4.0
GAP_SECONDS = 0.9


def _stream(seconds: float, rate: int) -> np.ndarray:
    import soundfile as sf

    from audioxai_gui.audio.io import resample

    gap = np.zeros(round(GAP_SECONDS * rate), dtype=np.float32)
    parts = []
    for clip in fsdd_test_clips(TEST_CLIPS):
        samples, clip_rate = sf.read(clip, dtype="float32")
        parts += [resample(samples, clip_rate, rate), gap]
    one_pass = np.concatenate(parts)
    return np.tile(one_pass, int(seconds * rate // len(one_pass)) + 1)[: round(seconds * rate)]


def run(minutes: float = 10.0) -> list[dict]:
    if not FSDD_RECORDINGS.is_dir():
        return [{"skipped": f"no FSDD recordings at {FSDD_RECORDINGS}"}]
    from test_ui_live import FakeCapture

    pipeline = open_pipeline(capture_factory=FakeCapture)
    rate = pipeline.sample_rate
    stream = _stream(60 * minutes, rate)
    pipeline.start()
    block = round(BLOCK_SECONDS * rate)
    per_minute = {}
    try:
        for start in range(0, len(stream), block):
            pipeline.capture.buffer.write(stream[start : start + block])
            pipeline.poll()
            time.sleep(BLOCK_SECONDS / SPEED_UP)
            minute = start // (60 * rate)
            per_minute.setdefault(minute, rss_mb())
        per_minute["end"] = rss_mb()
    finally:
        pipeline.stop()
    after_warm_up = [value for key, value in per_minute.items() if key != 0]  # minute 1 on, and the end
    return [
        {
            "stream minutes": minutes,
            "analyses": pipeline.analyser.analysed,
            "RSS at start MB": per_minute[0],
            "RSS at 1 min MB": per_minute.get(1, per_minute["end"]),
            "RSS min..max after 1 min MB": f"{min(after_warm_up):.0f}..{max(after_warm_up):.0f}",
            "RSS end MB": per_minute["end"],
        }
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    from benchmarks.common import markdown_table

    print(markdown_table(run(parser.parse_args().minutes)))
