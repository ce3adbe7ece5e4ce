"""The Faithfulness view's state and work: curves for the current clip and class, the "remove the top X %"
audio, both computed in the window's worker pool (cancellable; a newer request supersedes an older one)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6 import QtCore

from ...evaluate.clip import Clip, ClipResult, Settings, evaluate_clip
from ...evaluate.listen import Removal, TopRemoval
from ...evaluate.subject import Subject, softmax

CURVES_CHANNEL = "faithfulness:curves"
LISTEN_CHANNEL = "faithfulness:listen"
KINDS = ("waveform", "spectrogram")
VIEW_STEPS = 10  # coarser than a data-set run (20): the view answers within seconds on a laptop CPU


@dataclass
class Measured:
    """One clip's faithfulness: its curves and AOPC rows, the class explained and the ranking it used."""

    result: ClipResult
    class_name: str
    ranking: str


class FaithfulnessViewModel(QtCore.QObject):
    measured = QtCore.Signal(object)  # Measured
    removed = QtCore.Signal(object)  # Removal
    busy = QtCore.Signal(bool)
    problem = QtCore.Signal(str)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.fraction = 0.2
        self.ranked_by = "spectrogram"
        self.result: Measured | None = None
        self.removal: Removal | None = None
        self._top: TopRemoval | None = None
        self._top_key = None
        window.clipShown.connect(lambda _: self.reset())
        window.backendChanged.connect(lambda _: self.reset())

    # --- what is measured --------------------------------------------------------------------
    def _subjects(self) -> dict[str, Subject] | None:
        backend = self.window.backend
        if backend is None or self.window.clip is None:
            return None
        return {kind: Subject(backend.models[kind]) for kind in KINDS}

    def _target(self, subjects: dict[str, Subject], samples: dict[str, np.ndarray]) -> int:
        """The class chosen in the window, else the spectrogram model's prediction for the clip's window."""
        classes = subjects["spectrogram"].card.classes
        if self.window.target_class in classes:
            return classes.index(self.window.target_class)
        subject = subjects["spectrogram"]
        return int(np.argmax(softmax(subject.logits(subject.inputs(subject.window(samples["spectrogram"])[None])))))

    def reset(self) -> None:
        self.window.runner.cancel(CURVES_CHANNEL)
        self.window.runner.cancel(LISTEN_CHANNEL)
        self.result, self.removal, self._top, self._top_key = None, None, None, None
        self.busy.emit(False)
        self.measured.emit(None)
        self.removed.emit(None)

    def measure(self) -> None:
        """Region perturbation of both models for the current clip and class (the common STFT domain and each
        model's own), MoRF / LeRF / random / loudest-first."""
        subjects = self._subjects()
        if subjects is None:
            self.problem.emit("open a clip first: faithfulness is measured on the clip in the window")
            return
        clip = self.window.clip
        samples = {kind: clip.samples_at(s.card.sample_rate) for kind, s in subjects.items()}
        ranking = subjects["waveform"].card.default_composite
        settings = Settings(attributions=(ranking,), steps=VIEW_STEPS, random_seeds=2, measures=("faithfulness",))

        def job(progress, cancelled):
            target = self._target(subjects, samples)
            name = str(clip.path.name if clip.path else "clip")
            result = evaluate_clip(subjects, Clip(name, samples, target), settings, cancelled)
            return Measured(result, subjects["spectrogram"].card.classes[target], ranking)

        self.busy.emit(True)
        self.window.runner.submit(CURVES_CHANNEL, job, on_done=self._on_measured, on_failed=self._on_failed)

    def cancel(self) -> None:
        self.window.runner.cancel(CURVES_CHANNEL)
        self.window.runner.cancel(LISTEN_CHANNEL)
        self.busy.emit(False)

    def _on_measured(self, measured: Measured) -> None:
        self.result = measured
        self.busy.emit(False)
        self.measured.emit(measured)
        self.listen()

    def _on_failed(self, exc: BaseException) -> None:
        self.busy.emit(False)
        self.problem.emit(f"faithfulness could not be measured: {exc}")

    # --- remove the top X % -------------------------------------------------------------------
    def set_fraction(self, fraction: float) -> None:
        self.fraction = float(fraction)
        self.listen()

    def set_ranked_by(self, kind: str) -> None:
        self.ranked_by = kind
        self.listen()

    def listen(self) -> None:
        """The clip without / with only its top ``fraction`` patches (ranked by ``ranked_by``), re-classified."""
        subjects = self._subjects()
        if subjects is None:
            return
        clip, fraction, ranked_by = self.window.clip, self.fraction, self.ranked_by
        samples = {kind: clip.samples_at(s.card.sample_rate) for kind, s in subjects.items()}
        key = (id(clip), ranked_by, self.window.target_class, tuple(id(s.model) for s in subjects.values()))
        cached = self._top if self._top_key == key else None

        def job(progress, cancelled):
            top = cached or TopRemoval(subjects, samples, ranked_by, self._target(subjects, samples))
            return key, top, top.at(fraction)

        self.window.runner.submit(LISTEN_CHANNEL, job, on_done=self._on_removed, on_failed=self._on_failed)

    def _on_removed(self, outcome) -> None:
        self._top_key, self._top, self.removal = outcome
        self.removed.emit(self.removal)

    def play(self, version: str) -> None:
        """Play the clip without its top part (``"without"``) or only that part (``"only"``)."""
        if self.removal is None:
            self.problem.emit("nothing to play yet: measure the clip first")
            return
        samples = getattr(self.removal, version)
        self.window.playback.play(samples, self.removal.sample_rate, 0.0, None, False)
