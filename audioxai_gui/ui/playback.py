"""Playback for the window: start/stop a Player, poll its position for the playhead, report problems."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore

from ..audio.playback import PlaybackError, Player, explanation_audio

PLAYHEAD_INTERVAL_MS = 30


def per_sample_relevance(explanation, n_samples: int) -> np.ndarray:
    """The explanation's relevance as one value per sample at the model's rate.

    Waveform models already have it; a spectrogram map is summed over bands and each sample takes
    the frame centred nearest to it.
    """
    if explanation.relevance.ndim == 1:
        return explanation.relevance[:n_samples]
    per_frame = explanation.relevance.sum(axis=0)
    framing = explanation.grid.framing
    offset = 0 if framing.center else framing.n_fft // 2
    frames = np.rint((np.arange(n_samples) - offset) / framing.hop_length).astype(np.int64)
    return per_frame[np.clip(frames, 0, len(per_frame) - 1)]


class PlaybackController(QtCore.QObject):
    """Owns the Player; ``positionChanged`` carries the playhead time in seconds, or None when stopped."""

    positionChanged = QtCore.Signal(object)
    problem = QtCore.Signal(str)

    def __init__(self, player: Player | None = None, parent=None):
        super().__init__(parent)
        self.player = player or Player()
        self.rate = 1
        self._timer = QtCore.QTimer(self, interval=PLAYHEAD_INTERVAL_MS)
        self._timer.timeout.connect(self._poll)

    @property
    def is_playing(self) -> bool:
        return self.player.is_playing

    def play(self, samples: np.ndarray, rate: int, start_s: float, end_s: float | None, loop: bool) -> bool:
        """Play samples between two times; False (and ``problem`` emitted) when there is no output device."""
        start = min(max(0, int(round(start_s * rate))), len(samples) - 1)
        end = len(samples) if end_s is None else min(len(samples), max(start + 1, int(round(end_s * rate))))
        try:
            self.player.play(samples, rate, start, end, loop)
        except PlaybackError as exc:
            self.problem.emit(f"Cannot play: {exc}")
            return False
        self.rate = rate
        self._timer.start()
        self._poll()
        return True

    def play_explanation(self, samples: np.ndarray, explanation, start_s: float, end_s: float | None, loop: bool):
        """Play the clip weighted by where the model found evidence for the explained class."""
        rate = explanation.sample_rate
        audio = explanation_audio(samples, per_sample_relevance(explanation, len(samples)), rate)
        return self.play(audio, rate, start_s, end_s, loop)

    def stop(self) -> None:
        self.player.stop()
        self._poll()

    def _poll(self) -> None:
        if self.player.is_playing:
            self.positionChanged.emit(self.player.position / self.rate)
        else:
            self._timer.stop()
            self.positionChanged.emit(None)
