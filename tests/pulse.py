"""A private PulseAudio daemon whose null-sink monitor is the default input: a real device for tests.

What gets played into the sink (``paplay``) comes back out of the monitor source, so a capture test
exercises PortAudio -> ALSA pulse plugin -> PulseAudio end to end, without sound hardware.

Clients find the daemon through the environment in ``PulseServer.env``; PortAudio enumerates devices
when sounddevice is imported, so capture code must run in a process started with that environment
(a subprocess), not in a pytest process that may have imported sounddevice already.

Equivalent shell commands (e.g. for CI), as root or as a user:

    export XDG_RUNTIME_DIR=$(mktemp -d) HOME=$(mktemp -d); chmod 700 "$XDG_RUNTIME_DIR"
    export PULSE_SERVER=unix:$XDG_RUNTIME_DIR/native
    pulseaudio --daemonize=no -n --exit-idle-time=-1 --disallow-exit --realtime=no --high-priority=no \
        --load="module-native-protocol-unix socket=$XDG_RUNTIME_DIR/native auth-anonymous=1" \
        --load="module-null-sink sink_name=axai_sink rate=48000 channels=1" &
    pactl set-default-source axai_sink.monitor
    parec --latency-msec=20 -d axai_sink.monitor > /dev/null &
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

REQUIRED_PROGRAMS = ("pulseaudio", "pactl", "parec", "paplay")
SINK = "axai_sink"
SINK_RATE = 48000
COMMAND_TIMEOUT_S = 10.0


class PulseStartError(RuntimeError):
    """The test daemon did not come up; the message carries the end of its log."""


def skip_reason() -> str | None:
    """Why pulse tests cannot run here (for pytest.mark.skipif), or None when they can."""
    missing = [program for program in REQUIRED_PROGRAMS if shutil.which(program) is None]
    if missing:
        return (
            f"PulseAudio test device unavailable: {', '.join(missing)} not installed "
            "(Debian packages pulseaudio, pulseaudio-utils)"
        )
    return None


@dataclass(frozen=True)
class PulseServer:
    """A running test daemon: the environment to reach it and helpers to drive it."""

    env: dict[str, str]
    runtime_dir: Path
    sink: str = SINK

    @property
    def source(self) -> str:
        return f"{self.sink}.monitor"

    def pactl(self, *args: str) -> str:
        return _run(["pactl", *args], self.env)

    def play(self, wav_path: Path | str, sink: str | None = None) -> None:
        """Play a file into a sink and wait until it has been played."""
        _run(["paplay", "-d", sink or self.sink, str(wav_path)], self.env)


@contextmanager
def pulse_server(startup_timeout_s: float = COMMAND_TIMEOUT_S) -> Iterator[PulseServer]:
    """Start the daemon (private runtime dir and HOME), wait until the monitor delivers audio, yield it."""
    reason = skip_reason()
    if reason:
        raise PulseStartError(reason)
    with ExitStack() as cleanup:
        root = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="axai-pulse-")))
        server = PulseServer(env=_private_environment(root), runtime_dir=root / "runtime")
        log_path = root / "pulseaudio.log"
        daemon = _start(_daemon_command(server), server.env, log_path)
        cleanup.callback(_stop, daemon)
        _wait_until(lambda: _pactl_succeeds(server), startup_timeout_s, "accept connections", log_path)
        server.pactl("set-default-source", server.source)
        # A reader attached to the monitor keeps the sink clock running, so a stream opened later
        # gets its first block within tens of milliseconds instead of after a resume of a second.
        monitor_copy = root / "monitor.raw"
        reader = _start(["parec", "--latency-msec=20", "-d", server.source], server.env, monitor_copy)
        cleanup.callback(_stop, reader)
        _wait_until(lambda: monitor_copy.stat().st_size > 0, startup_timeout_s, "deliver audio", log_path)
        yield server


def _private_environment(root: Path) -> dict[str, str]:
    runtime_dir, home = root / "runtime", root / "home"
    for directory in (runtime_dir, home):
        directory.mkdir(mode=0o700)
    client_config = root / "client.conf"
    # Never let a client spawn a second daemon when ours is gone (tests make devices vanish).
    client_config.write_text("autospawn = no\n")
    return {
        **os.environ,
        "XDG_RUNTIME_DIR": str(runtime_dir),
        "HOME": str(home),
        "PULSE_RUNTIME_PATH": str(runtime_dir / "pulse"),
        "PULSE_SERVER": f"unix:{runtime_dir / 'native'}",
        "PULSE_CLIENTCONFIG": str(client_config),
    }


def _daemon_command(server: PulseServer) -> list[str]:
    return [
        "pulseaudio",
        "--daemonize=no",
        "-n",  # no default.pa: only the modules below
        "--exit-idle-time=-1",
        "--disallow-exit",
        "--realtime=no",  # be polite on a shared machine; the null sink does not need it
        "--high-priority=no",
        "--log-target=stderr",
        f"--load=module-native-protocol-unix socket={server.runtime_dir / 'native'} auth-anonymous=1",
        f"--load=module-null-sink sink_name={server.sink} rate={SINK_RATE} channels=1",
    ]


def _start(command: list[str], env: dict[str, str], output_path: Path) -> subprocess.Popen:
    with open(output_path, "wb") as output:
        return subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=COMMAND_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_live_child(script: str | Path, out_dir: Path, *args: str, timeout: float) -> dict:
    """Run ``script``'s ``__main__`` (argv: out_dir, *args) against a fresh daemon and return the
    ``result.json`` it wrote: capture code must run in a process started with the daemon's environment.
    The child sees the repository's models only (no user folder), like a fresh install."""
    repo = Path(__file__).resolve().parents[1]
    with pulse_server() as server:
        done = subprocess.run(
            [sys.executable, str(script), str(out_dir), *args],
            env={**server.env, "PYTHONPATH": f"{repo}:{repo / 'tests'}", "AUDIOXAI_MODELS": "/nonexistent"},
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    assert done.returncode == 0, f"live child failed:\n{done.stdout}\n{done.stderr}"
    return json.loads((out_dir / "result.json").read_text())


def _run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout.strip()


def _pactl_succeeds(server: PulseServer) -> bool:
    try:
        server.pactl("info")
    except (RuntimeError, subprocess.TimeoutExpired):
        return False
    return True


def _wait_until(condition, timeout_s: float, what: str, log_path: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            log_tail = log_path.read_text(errors="replace")[-2000:]
            raise PulseStartError(f"PulseAudio test daemon did not {what} within {timeout_s} s:\n{log_tail}")
        time.sleep(0.05)
