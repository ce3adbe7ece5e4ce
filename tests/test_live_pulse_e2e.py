"""Live mode end to end on a real (virtual) microphone: spoken FSDD digits played into a PulseAudio sink.

The child process runs the LivePipeline the window's timer polls (capture at the device's rate,
resampling, hop scheduling, gate, worker thread, both models) with the PulseAudio environment, through
the benchmark's driver; this process checks what it heard and predicted.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile
from pulse import run_live_child, skip_reason
from test_capture_pulse import peak_normalised_cross_correlation

REPO_ROOT = Path(__file__).resolve().parents[1]
N_CLIPS = 10

pytestmark = [pytest.mark.pulse, pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")]


def child(out_dir: Path, recordings: Path) -> None:
    from benchmarks.bench_live import clip_predictions, fsdd_test_clips, open_pipeline, play_and_poll

    pipeline = open_pipeline()
    pipeline.start()
    try:
        log = play_and_poll(pipeline, fsdd_test_clips(N_CLIPS, recordings), record=True)
    finally:
        pipeline.stop()
    np.save(out_dir / "recording.npy", log.recording)
    result = {
        "sample_rate": pipeline.sample_rate,
        "predictions": clip_predictions(
            log, pipeline.sample_rate, max(m.card.duration for m in pipeline.models.values())
        ),
        "clips": [[str(path), start, end] for path, start, end in log.clips],
        "models": {role: model.card.name for role, model in pipeline.models.items()},
    }
    (out_dir / "result.json").write_text(json.dumps(result))


def test_live_predictions_name_the_spoken_digits(shipped_pair, fsdd_dir, tmp_path):
    result = run_live_child(__file__, tmp_path, str(fsdd_dir / "recordings"), timeout=90)
    assert result["models"] == {"waveform": shipped_pair[0].card.name, "spectrogram": shipped_pair[1].card.name}
    predictions = result["predictions"]
    assert len(predictions) == N_CLIPS
    for role in ("waveform", "spectrogram"):
        correct = [row["clip"] for row in predictions if row.get(role) == row["digit"]]
        assert len(correct) >= 7, f"{role} model named the digit for only {correct}: {predictions}"
    # What the pipeline captured is what was played (resampled from the device's rate to the clip's).
    from audioxai_gui.audio.io import resample

    recording, rate = np.load(tmp_path / "recording.npy"), result["sample_rate"]
    for path, start, end in result["clips"][:3]:
        clip, clip_rate = soundfile.read(path, dtype="float32")
        heard = resample(recording[round(start * rate) : round(end * rate)], rate, clip_rate)
        assert peak_normalised_cross_correlation(heard, clip) > 0.9, path


if __name__ == "__main__":
    child(Path(sys.argv[1]), Path(sys.argv[2]))
