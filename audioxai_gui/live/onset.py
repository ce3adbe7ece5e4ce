"""Onset detection: notice at once when the stream goes from quiet to loud, so live analysis need not wait a hop.

The level is measured in fixed blocks of the stream, whatever size the chunks a poll drains, so the same
audio gives the same onsets at any poll rate. An onset is a block that is loud after quiet ones, or a
block that is much louder than the one that fired the previous onset (a soft start, such as breath or
a fricative, followed by the voiced part of a word: analysing only the soft start would show little).
"""

from __future__ import annotations

import numpy as np

from .scheduler import rms_dbfs

ONSET_BLOCK_SECONDS = 0.01
"""Length of the blocks whose level is compared: enough samples for a steady level (80 at 8 kHz), and
short enough that waiting for a block to complete delays an onset by at most 10 ms."""

ONSET_RISE_DB = 10.0
"""How far a block must rise above the noise floor (or above the previous onset's level) to be an onset.
Ten times the power: far above the 1-2 dB by which a steady noise's 10 ms level wanders, far below the
20-40 dB by which a spoken word rises over room noise."""

ONSET_HYSTERESIS_DB = 6.0
"""The level must fall this far below the onset threshold before the next quiet-to-loud onset, so a sound
hovering around the threshold gives one onset, not one per block."""

ONSET_MIN_DBFS = -80.0
"""Without the user's gate, no onset below this level: quieter is dither or microphone self-noise, and a
rise out of digital silence into it is not a sound worth analysing early."""

FLOOR_RISE_DB_PER_SECOND = 3.0
"""The noise floor follows the level down at once but up only this fast: a word of a second lifts it by
3 dB, while a new steady noise (a fan switched on) becomes the floor within seconds instead of firing."""


class OnsetDetector:
    """Feed every drained chunk to ``push``; it returns the stream positions of the onsets it found."""

    def __init__(self, sample_rate: int):
        self.block = max(1, round(ONSET_BLOCK_SECONDS * sample_rate))
        self._floor_step_db = FLOOR_RISE_DB_PER_SECOND * self.block / sample_rate
        self._partial = np.zeros(0, dtype=np.float32)
        self._blocks_seen = 0
        self._floor_db: float | None = None
        self._onset_db: float | None = None  # level of the block that fired the last onset; None while quiet

    @property
    def floor_db(self) -> float | None:
        """The tracked noise floor (dBFS; None before the first block): the energy gate is relative to it."""
        return self._floor_db

    def push(self, samples: np.ndarray, gate_dbfs: float | None = None) -> list[int]:
        """Consume ``samples``; return the start (in samples pushed so far) of each block that is an onset.

        With ``gate_dbfs`` (the user's energy gate) an onset must reach the gate, so every onset-triggered
        window would also pass it; without, it must rise ``ONSET_RISE_DB`` over the tracked noise floor.
        """
        stream = np.concatenate([self._partial, np.asarray(samples, dtype=np.float32)])
        complete = len(stream) // self.block
        onsets = []
        for index in range(complete):
            if self._is_onset(rms_dbfs(stream[index * self.block : (index + 1) * self.block]), gate_dbfs):
                onsets.append((self._blocks_seen + index) * self.block)
        self._blocks_seen += complete
        self._partial = stream[complete * self.block :]
        return onsets

    def _is_onset(self, level: float, gate_dbfs: float | None) -> bool:
        if self._floor_db is None:  # the stream's first block only sets the state: an onset is a rise
            self._floor_db = level
            self._onset_db = level if level >= self._loud_threshold(gate_dbfs) else None
            return False
        threshold = self._loud_threshold(gate_dbfs)
        required = threshold if self._onset_db is None else max(threshold, self._onset_db + ONSET_RISE_DB)
        fired = level >= required
        if fired:
            self._onset_db = level
        elif level < threshold - ONSET_HYSTERESIS_DB:
            self._onset_db = None
        self._floor_db = min(level, self._floor_db + self._floor_step_db)
        return fired

    def _loud_threshold(self, gate_dbfs: float | None) -> float:
        if gate_dbfs is not None:
            return gate_dbfs
        return max(self._floor_db + ONSET_RISE_DB, ONSET_MIN_DBFS)
