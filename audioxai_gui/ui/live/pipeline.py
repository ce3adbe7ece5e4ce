"""One live session without Qt: capture -> scrolling history -> onset and hop scheduling, gate -> analysis worker.

The GUI calls ``poll`` from a timer and draws what it returns; the end-to-end test and the latency
benchmark drive the very same object from a loop, so they measure what the window does.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from ...live.onset import OnsetDetector
from ...live.scheduler import gate_threshold_db, rms_dbfs, should_analyse
from .analysis import LiveAnalyser, LiveRequest, LiveResult
from .history import ScrollingHistory

VIEW_SECONDS_RANGE = (5.0, 30.0)
HOP_SECONDS_RANGE = (0.05, 2.0)
BUFFER_MARGIN_SECONDS = 2.0  # the capture ring holds the view plus this, so a slow tick loses nothing


class LiveSettingsError(ValueError):
    """A live setting is out of range; the message names the setting and the allowed range."""


@dataclass
class LiveSettings:
    view_seconds: float = 10.0  # scrolling history shown (and opened by Freeze)
    hop_seconds: float = 0.25  # a new window is analysed every hop
    gate_enabled: bool = True  # quiet windows show "no sound" instead of a class
    gate_dbfs: float = -60.0  # with the gate on, no window quieter than this (nor than the floor allows) is analysed
    onset_trigger: bool = True  # a sound starting is analysed at once, and the hops continue from there

    def validate(self) -> LiveSettings:
        for name, (low, high) in (("view_seconds", VIEW_SECONDS_RANGE), ("hop_seconds", HOP_SECONDS_RANGE)):
            value = getattr(self, name)
            if not low <= value <= high:
                raise LiveSettingsError(f"live setting {name} must be within {low:g}..{high:g} s, got {value!r}")
        if not -120.0 <= self.gate_dbfs <= 0.0:
            raise LiveSettingsError(f"live setting gate_dbfs must be within -120..0 dBFS, got {self.gate_dbfs!r}")
        return self


@dataclass
class LiveUpdate:
    """What one poll found: finished analyses (oldest first), the stream times of windows the gate found silent,
    and a problem that ends the session."""

    results: list[LiveResult] = field(default_factory=list)
    error: BaseException | None = None
    silent: list[float] = field(default_factory=list)


class LivePipeline:
    """``start`` opens the capture (raising CaptureError), ``poll`` advances, ``stop`` releases everything."""

    def __init__(self, capture, engine, models: dict, settings: LiveSettings | None = None, composites=None):
        self.capture = capture
        self.models = dict(models)
        self.settings = (settings or LiveSettings()).validate()
        self.grid = self.models["spectrogram"].card.features
        self.analyser = LiveAnalyser(engine, self.models, self.grid, composites)
        self.history: ScrollingHistory | None = None
        self.gated = 0  # hops skipped by the energy gate
        self._silent: list[float] = []  # their stream times, until the next poll hands them out
        self.onset_analyses = 0  # windows requested at an onset instead of at a hop
        self.lost_samples = 0  # samples the ring overwrote before a poll read them
        self._consumed = 0  # stream clock at the capture rate: samples read (lost ones included)
        self._next_hop = 0
        self._onsets: OnsetDetector | None = None
        self._tail = np.zeros(0, dtype=np.float32)
        self._recording: list[np.ndarray] | None = None

    @staticmethod
    def capture_seconds(settings: LiveSettings, models: dict) -> float:
        """How much the capture ring must hold: the view or the longest model window, plus a margin."""
        longest = max(model.card.duration for model in models.values())
        return max(settings.view_seconds, longest) + BUFFER_MARGIN_SECONDS

    @property
    def sample_rate(self) -> int:
        return self.capture.sample_rate

    @property
    def stream_seconds(self) -> float:
        return self._consumed / self.sample_rate

    def start(self) -> None:
        self.capture.start()
        rate = self.capture.sample_rate
        longest = max(model.card.duration for model in self.models.values())
        self._tail = np.zeros(math.ceil(longest * rate), dtype=np.float32)
        self.history = ScrollingHistory(self.grid, rate, self.settings.view_seconds)
        self._hop_samples = max(1, round(self.settings.hop_seconds * rate))
        self._next_hop = self._hop_samples
        self._onsets = OnsetDetector(rate)
        self.analyser.start()

    def stop(self) -> None:
        """Close the stream and join the worker; safe to call twice and after a failure."""
        try:
            self.capture.stop()
        finally:
            self.analyser.stop()

    def poll(self) -> LiveUpdate:
        """Move new audio into the history (and recording), schedule onsets and due hops, collect analyses.

        A sound that starts is analysed at this poll rather than at the next hop (on average half a hop
        later); the hop clock then restarts from it, so the next hop does not repeat the same window.
        """
        error = self.capture.error or self.analyser.error
        if error is not None:
            return LiveUpdate(self.analyser.take_results(), error)
        new, lost = self.capture.buffer.read_new()
        if lost:  # keep the stream clock honest: a gap of silence where samples were lost
            self.lost_samples += lost
            self._append(np.zeros(lost, dtype=np.float32))
        self._append(new)
        # The detector hears only captured audio (a dropout's zeros would look like a pause), and it runs with
        # the trigger off too, so its noise floor is current when the trigger is switched on.
        gate_dbfs = self.gate_threshold() if self.settings.gate_enabled else None
        onset = bool(self._onsets.push(new, gate_dbfs)) and self.settings.onset_trigger
        if onset:
            self.onset_analyses += 1
            self._submit_newest()  # an onset reaches the gate by construction; the gate's hop block would dilute it
            self._next_hop = self._consumed + self._hop_samples
        elif self._consumed >= self._next_hop:
            self._schedule_hop()
            missed = (self._consumed - self._next_hop) // self._hop_samples
            self._next_hop += (missed + 1) * self._hop_samples
        silent, self._silent = self._silent, []
        return LiveUpdate(self.analyser.take_results(), silent=silent)

    def _append(self, samples: np.ndarray) -> None:
        if not len(samples):
            return
        self._consumed += len(samples)
        self.history.push(samples)
        kept = samples[-len(self._tail) :]
        self._tail[: -len(kept)] = self._tail[len(kept) :]
        self._tail[-len(kept) :] = kept
        if self._recording is not None:
            self._recording.append(samples.copy())

    def gate_threshold(self) -> float:
        """The level (dBFS) a window's loudest block must reach: relative to the tracked noise floor, never below
        the absolute gate (see scheduler.gate_threshold_db)."""
        return gate_threshold_db(self.settings.gate_dbfs, self._onsets.floor_db if self._onsets else None)

    def _schedule_hop(self) -> None:
        if self.settings.gate_enabled and not should_analyse(self._tail, self.gate_threshold(), self._hop_samples):
            self.gated += 1
            self._silent.append(self.stream_seconds)
            return
        self._submit_newest()

    def _submit_newest(self) -> None:
        level = rms_dbfs(self._tail)
        request = LiveRequest(self._tail.copy(), self.sample_rate, self.stream_seconds, level, time.perf_counter())
        self.analyser.submit(request)

    # --- what Freeze and Record take ----------------------------------------------------------------
    def buffer_samples(self) -> np.ndarray:
        """The captured audio of the view (at the capture rate), oldest first; empty before any audio."""
        buffer = self.capture.buffer
        wanted = round(self.settings.view_seconds * self.sample_rate)
        return buffer.latest(min(wanted, buffer.total_written, buffer.capacity))

    @property
    def recording(self) -> bool:
        return self._recording is not None

    def start_recording(self) -> None:
        """Keep every sample from the next poll on, until ``stop_recording``."""
        self._recording = []

    def stop_recording(self) -> np.ndarray:
        chunks, self._recording = self._recording or [], None
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
