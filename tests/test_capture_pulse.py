"""LiveCapture against a real (virtual) PulseAudio device: what is played comes back, nothing leaks.

Each scenario runs in a child process started with the test daemon's environment, because PortAudio
enumerates devices once, when sounddevice is imported. The same file is the child's script:
``python tests/test_capture_pulse.py SCENARIO OUT_DIR [ARGS...]`` writes OUT_DIR/result.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import scipy.signal
import soundfile
from pulse import SINK_RATE, pulse_server, skip_reason

REPO_ROOT = Path(__file__).resolve().parents[1]
CHIRP_SECONDS = 1.2
CHIRP_AMPLITUDE = 0.5  # a constant-envelope chirp at 0.5 has an RMS level of -9.03 dBFS
AUDIO_TIMEOUT_S = 5.0
START_STOP_CYCLES = 100

pytestmark = [pytest.mark.pulse, pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")]


# ---------------------------------------------------------------- scenarios (run in the child process)


def wait_for_audio(capture) -> None:
    deadline = time.monotonic() + AUDIO_TIMEOUT_S
    while capture.buffer.total_written == 0:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no audio from {capture.device.label} within {AUDIO_TIMEOUT_S} s")
        time.sleep(0.01)


def scenario_capture_chirp(out_dir: Path, wav_path: str) -> dict:
    """Capture while paplay plays the chirp; keep the level meter's loudest reading during playback."""
    from audioxai_gui.live.capture import LiveCapture

    with LiveCapture() as capture:
        wait_for_audio(capture)
        time.sleep(0.1)
        silence_level = capture.level_dbfs()
        capture.buffer.read_new()
        player = subprocess.Popen(["paplay", wav_path])
        loudest_level = silence_level
        while player.poll() is None:
            loudest_level = max(loudest_level, capture.level_dbfs(0.1))
            time.sleep(0.02)
        time.sleep(0.3)  # the tail of the chirp is still in the server's and PortAudio's buffers
        captured, lost = capture.buffer.read_new()
        np.save(out_dir / "captured.npy", captured)
        return {
            "sample_rate": capture.sample_rate,
            "device": capture.device.name,
            "overflow_count": capture.overflow_count,
            "lost": lost,
            "silence_level": silence_level,
            "loudest_level": loudest_level,
            "error": str(capture.error) if capture.error else None,
        }


def scenario_start_stop_cycles(out_dir: Path, cycles: str) -> dict:
    """Open and close the stream many times; count Python threads, OS threads and file descriptors."""
    from audioxai_gui.live.capture import LiveCapture

    capture = LiveCapture()

    def resources() -> dict:
        return {
            "python_threads": threading.active_count(),
            "os_threads": len(os.listdir("/proc/self/task")),
            "open_fds": len(os.listdir("/proc/self/fd")),
        }

    for _ in range(2):  # warm-up: PortAudio and libpulse set up process-wide state once
        capture.start()
        capture.stop()
    before = resources()
    for _ in range(int(cycles)):
        capture.start()
        capture.stop()
    after = resources()
    capture.start()
    written_before_last_start = capture.buffer.total_written
    deadline = time.monotonic() + AUDIO_TIMEOUT_S
    while capture.buffer.total_written == written_before_last_start and time.monotonic() < deadline:
        time.sleep(0.01)
    still_records = capture.buffer.total_written > written_before_last_start
    capture.stop()
    capture.stop()
    return {"before": before, "after": after, "still_records": still_records, "running": capture.is_running}


def scenario_device_vanishes(out_dir: Path) -> dict:
    """Unload the server's only sink (so no source is left to move the stream to) while recording."""
    from audioxai_gui.live.capture import LiveCapture

    capture = LiveCapture()
    capture.start()
    wait_for_audio(capture)
    subprocess.run(["pactl", "unload-module", "module-null-sink"], check=True, timeout=AUDIO_TIMEOUT_S)
    deadline = time.monotonic() + AUDIO_TIMEOUT_S
    while capture.error is None and time.monotonic() < deadline:
        time.sleep(0.01)
    result = {"error": str(capture.error) if capture.error else None, "running": capture.is_running}
    capture.stop()
    capture.stop()
    return result


def scenario_open_errors(out_dir: Path) -> dict:
    """What a user sees for an impossible rate and an unknown device name, and the device list."""
    from audioxai_gui.live.capture import CaptureError, LiveCapture, list_input_devices

    messages = {}
    for case, capture in {
        "bad_rate": LiveCapture(sample_rate=10_000_000),
        "unknown_device": LiveCapture(device="no-such-microphone"),
    }.items():
        try:
            capture.start()
            capture.stop()
            messages[case] = None
        except CaptureError as exc:
            messages[case] = str(exc)
    devices = [
        {"name": d.name, "is_default": d.is_default, "channels": d.channels, "rate": d.default_sample_rate}
        for d in list_input_devices()
    ]
    return {"messages": messages, "devices": devices}


SCENARIOS = {
    "capture_chirp": scenario_capture_chirp,
    "start_stop_cycles": scenario_start_stop_cycles,
    "device_vanishes": scenario_device_vanishes,
    "open_errors": scenario_open_errors,
}


# ---------------------------------------------------------------- tests (the pytest process)


@pytest.fixture(scope="module")
def pulse():
    with pulse_server() as server:
        yield server


def run_scenario(env: dict, out_dir: Path, name: str, *args: str) -> dict:
    child_env = {**env, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, __file__, name, str(out_dir), *args],
        env=child_env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"scenario {name} failed:\n{done.stdout}\n{done.stderr}"
    return json.loads((out_dir / "result.json").read_text())


def exponential_chirp(rate: int) -> np.ndarray:
    t = np.arange(int(CHIRP_SECONDS * rate)) / rate
    chirp = CHIRP_AMPLITUDE * scipy.signal.chirp(t, f0=300, t1=CHIRP_SECONDS, f1=3000, method="logarithmic")
    fade = int(0.01 * rate)
    chirp[:fade] *= np.linspace(0, 1, fade)
    chirp[-fade:] *= np.linspace(1, 0, fade)
    return chirp.astype(np.float32)


def peak_normalised_cross_correlation(signal: np.ndarray, reference: np.ndarray) -> float:
    """Max over lags of the cosine similarity between the reference and the signal window at that lag."""
    dots = scipy.signal.correlate(signal, reference, mode="valid")
    window_energy = np.convolve(np.square(signal, dtype=np.float64), np.ones(len(reference)), mode="valid")
    ncc = dots / (np.linalg.norm(reference) * np.sqrt(np.maximum(window_energy, 1e-12)))
    return float(ncc.max())


def test_played_chirp_is_captured(pulse, tmp_path):
    from audioxai_gui.audio.io import resample

    chirp = exponential_chirp(SINK_RATE)
    wav_path = tmp_path / "chirp.wav"
    soundfile.write(wav_path, chirp, SINK_RATE)

    result = run_scenario(pulse.env, tmp_path, "capture_chirp", str(wav_path))

    captured = np.load(tmp_path / "captured.npy")
    assert result["error"] is None
    assert result["overflow_count"] == 0 and result["lost"] == 0
    assert len(captured) >= CHIRP_SECONDS * result["sample_rate"]
    assert result["silence_level"] < -90.0
    assert result["loudest_level"] == pytest.approx(20 * np.log10(CHIRP_AMPLITUDE / np.sqrt(2)), abs=1.0)
    at_sink_rate = resample(captured, result["sample_rate"], SINK_RATE)
    assert peak_normalised_cross_correlation(at_sink_rate, chirp) > 0.8


def test_start_stop_cycles_leak_no_threads_or_streams(pulse, tmp_path):
    result = run_scenario(pulse.env, tmp_path, "start_stop_cycles", str(START_STOP_CYCLES))

    assert result["after"] == result["before"]
    assert result["still_records"] and not result["running"]


def test_vanishing_device_sets_capture_error(tmp_path):
    with pulse_server() as private_server:  # its only device is removed: the shared one must survive
        result = run_scenario(private_server.env, tmp_path, "device_vanishes")

    assert result["error"] is not None and "'default'" in result["error"]
    assert "stopped unexpectedly" in result["error"]
    assert not result["running"]


def test_open_errors_name_device_and_reason(pulse, tmp_path):
    result = run_scenario(pulse.env, tmp_path, "open_errors")

    bad_rate = result["messages"]["bad_rate"]
    assert "'default'" in bad_rate and "10000000 Hz" in bad_rate
    assert "sample rate is not supported" in bad_rate
    assert "no-such-microphone" in result["messages"]["unknown_device"]
    defaults = [device for device in result["devices"] if device["is_default"]]
    assert len(defaults) == 1 and defaults[0]["channels"] >= 1


if __name__ == "__main__":
    scenario_name, scenario_out_dir, *scenario_args = sys.argv[1:]
    scenario_result = SCENARIOS[scenario_name](Path(scenario_out_dir), *scenario_args)
    (Path(scenario_out_dir) / "result.json").write_text(json.dumps(scenario_result))
