"""The live analysis worker: a plain thread that classifies and explains the newest window with both models.

Qt-free. Requests go through a LatestWinsScheduler, so when the models are slower than the hop the
newest window wins and latency stays bounded by one analysis; finished results wait in a deque until
the GUI (or a benchmark loop) collects them on its own clock.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ...audio.io import resample
from ...live.scheduler import LatestWinsScheduler

STOP_TIMEOUT_S = 30.0  # one explanation on a slow CPU; a worker still alive after this is a bug


@dataclass(frozen=True)
class LiveRequest:
    """The newest audio when a hop was due: enough samples (at the capture rate) for the longest model."""

    samples: np.ndarray
    sample_rate: int
    end_seconds: float  # stream time of the last sample (seconds since the stream started)
    level_dbfs: float
    submitted_at: float  # time.perf_counter() when the hop was scheduled


@dataclass
class LiveResult:
    """Both models' explanations of one request."""

    request: LiveRequest
    explanations: dict  # role -> Explanation
    window_seconds: dict  # role -> length of that model's window in seconds
    finished_at: float

    @property
    def latency_seconds(self) -> float:
        """From scheduling the hop to both explanations being ready."""
        return self.finished_at - self.request.submitted_at

    def window_start_seconds(self, role: str) -> float:
        """Stream time where this model's window starts (every window ends at the request's last sample)."""
        return self.request.end_seconds - self.window_seconds[role]


def model_window(samples: np.ndarray, sample_rate: int, card) -> np.ndarray:
    """The model's input: the newest ``card.input_length`` samples at its rate (zeros before the stream)."""
    resampled = resample(samples, sample_rate, card.sample_rate)[-card.input_length :]
    if len(resampled) == card.input_length:
        return resampled
    return np.concatenate([np.zeros(card.input_length - len(resampled), np.float32), resampled])


class LiveAnalyser:
    """One worker thread per live session; ``start`` once, ``stop`` joins it."""

    def __init__(self, engine, models: dict, grid, composites: dict | None = None, target_class: str | None = None):
        self.engine = engine
        self.models = dict(models)
        self.grid = grid
        self.composites = dict(composites or {})
        self.target_class = target_class  # explained by both models when they know it, else their prediction
        self.scheduler: LatestWinsScheduler[LiveRequest] = LatestWinsScheduler()
        self.analysed = 0
        self.error: BaseException | None = None
        self.on_result: Callable[[], None] | None = None  # called in the worker thread, so a GUI need not poll
        self._results: deque[LiveResult] = deque()
        self._thread = threading.Thread(target=self._run, name="audioxai-live-analysis", daemon=True)

    @property
    def dropped(self) -> int:
        """Windows a newer one replaced before the worker got to them (the worker fell behind)."""
        return self.scheduler.dropped

    def start(self) -> None:
        self._thread.start()

    def submit(self, request: LiveRequest) -> None:
        self.scheduler.submit(request)

    def take_results(self) -> list[LiveResult]:
        """Every result finished since the previous call, oldest first."""
        results = []
        while self._results:
            results.append(self._results.popleft())
        return results

    def stop(self) -> None:
        """Drop what is pending, wait for the running analysis to end, and join the thread."""
        self.scheduler.close()
        if self._thread.is_alive():
            self._thread.join(STOP_TIMEOUT_S)
            if self._thread.is_alive():
                raise RuntimeError(f"the live analysis thread did not stop within {STOP_TIMEOUT_S} s")

    def analyse(self, request: LiveRequest) -> LiveResult:
        """Classify and explain the request's window with every model (in the calling thread)."""
        explanations = {}
        for role, model in self.models.items():
            card = model.card
            target = card.classes.index(self.target_class) if self.target_class in card.classes else None
            explanations[role] = self.engine.explain(
                model,
                model_window(request.samples, request.sample_rate, card),
                target=target,
                composite=self.composites.get(role),
                grid=self.grid,
            )
        window_seconds = {role: model.card.duration for role, model in self.models.items()}
        return LiveResult(request, explanations, window_seconds, time.perf_counter())

    def _run(self) -> None:
        while (request := self.scheduler.take()) is not None:
            try:
                result = self.analyse(request)
            except Exception as exc:  # reported by the pipeline's next poll; the session then stops
                self.error = exc
                return
            self.analysed += 1
            self._results.append(result)
            if self.on_result is not None:
                self.on_result()
