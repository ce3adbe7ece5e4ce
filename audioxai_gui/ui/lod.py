"""Level-of-detail summaries so an hour of audio draws as fast as a second.

A view never needs more than about two values per screen pixel. Both pyramids are built once (off
the GUI thread) and answer "the visible range at about N points" by picking the coarsest level that
still has at least N points there: the work per redraw depends on the window width, not the file length.
Pure numpy: no Qt here.
"""

from __future__ import annotations

import numpy as np

PYRAMID_BASE = 4


def signed_absmax(blocks: np.ndarray, axis: int = -1) -> np.ndarray:
    """The value with the largest magnitude in each block, sign kept: a reduce that never hides a hot spot."""
    return _larger_magnitude(blocks.max(axis=axis), blocks.min(axis=axis))


def _larger_magnitude(highs: np.ndarray, lows: np.ndarray) -> np.ndarray:
    """Per block, whichever of its maximum and minimum is further from zero (a tie between +v and -v gives +v)."""
    return np.where(highs >= -lows, highs, lows)


_ELEMENTWISE = {np.min: np.minimum, np.max: np.maximum}
"""Reductions done as ``base - 1`` elementwise passes over strided columns: numpy reduces a (n, 4) array along
its short last axis about ten times slower (an hour's waveform pyramid took seconds)."""


def _block_reduce(values: np.ndarray, base: int, reduce) -> np.ndarray:
    """Reduce the last axis in blocks of ``base``; a short tail block is reduced on its own."""
    if reduce is signed_absmax:  # from the block maxima and minima: two cheap passes (an hour's map: 0.5 -> 0.35 s)
        return _larger_magnitude(_block_reduce(values, base, np.max), _block_reduce(values, base, np.min))
    n = values.shape[-1]
    full = n // base * base
    elementwise = _ELEMENTWISE.get(reduce)
    if elementwise is not None:
        head = values[..., 0:full:base].copy()
        for offset in range(1, base):
            elementwise(head, values[..., offset:full:base], out=head)
    else:
        head = reduce(values[..., :full].reshape(*values.shape[:-1], full // base, base), axis=-1)
    if full == n:
        return head
    tail = reduce(values[..., full:], axis=-1)[..., None]
    return np.concatenate([head, tail], axis=-1)


class PeakPyramid:
    """Min/max envelopes of a 1-D signal at block sizes 4, 16, 64, ... (the Audacity summary idea)."""

    def __init__(self, values: np.ndarray, min_blocks: int = 512, *, origin: int = 0):
        """``origin``: the sample of a longer signal that values[0] stands for (a selection inside a recording);
        ``envelope`` and ``value`` take and return positions on that longer signal."""
        self.values = np.asarray(values, dtype=np.float32)
        self.origin = origin
        self.levels: list[tuple[int, np.ndarray, np.ndarray]] = []
        lows, highs, block = self.values, self.values, 1
        while lows.shape[-1] > min_blocks * PYRAMID_BASE:
            lows = _block_reduce(lows, PYRAMID_BASE, np.min)
            highs = _block_reduce(highs, PYRAMID_BASE, np.max)
            block *= PYRAMID_BASE
            self.levels.append((block, lows, highs))

    def __len__(self) -> int:
        return len(self.values)

    def peak(self) -> float:
        """The largest |value|, from the coarsest level (a few hundred numbers, however long the signal)."""
        _, lows, highs = self.levels[-1] if self.levels else (1, self.values, self.values)
        return float(max(-lows.min(), highs.max())) if len(lows) else 0.0

    def envelope(self, start: int, stop: int, max_points: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(x, low, high) over samples [start, stop): x are sample positions of each summary point.

        Raw samples (low == high) when the range is short enough, else the coarsest level with at least
        ``max_points`` blocks in range.
        """
        start, stop = max(0, int(start) - self.origin), min(len(self.values), int(stop) - self.origin)
        if stop <= start:
            empty = np.zeros(0, np.float32)
            return empty, empty, empty
        block, lows, highs = 1, self.values, self.values
        for level_block, level_lows, level_highs in self.levels:
            if (stop - start) / level_block < max_points:
                break
            block, lows, highs = level_block, level_lows, level_highs
        first, last = start // block, -(-stop // block)
        x = (np.arange(first, last) * block + (block - 1) / 2.0 + self.origin).astype(np.float64)
        return x, lows[first:last], highs[first:last]

    def value(self, position: int) -> float | None:
        """The value at ``position`` (on the longer signal), None outside."""
        local = int(position) - self.origin
        return float(self.values[local]) if 0 <= local < len(self.values) else None


class ColumnPyramid:
    """Column-decimated copies of a (rows, columns) map: the image of any time range at about screen width.

    The map may be a sample of a larger one: column j of ``image`` stands for original columns
    [origin + j * stride, origin + (j + 1) * stride) (a spectrogram overview or tile); ``view`` and ``value``
    take and return original columns either way.
    """

    def __init__(self, image: np.ndarray, reduce, min_columns: int = 1024, *, origin: int = 0, stride: int = 1):
        self.image = np.asarray(image, dtype=np.float32)
        self.origin, self.stride = origin, stride
        self.levels: list[tuple[int, np.ndarray]] = []
        level, step = self.image, 1
        while level.shape[1] > min_columns * PYRAMID_BASE:
            level = _block_reduce(level, PYRAMID_BASE, reduce)
            step *= PYRAMID_BASE
            self.levels.append((step, level))

    @property
    def shape(self) -> tuple[int, int]:
        return self.image.shape

    @property
    def stop(self) -> int:
        """The first original column after the ones this map stands for."""
        return self.origin + self.image.shape[1] * self.stride

    def covers(self, start: int, stop: int) -> bool:
        return self.origin <= start and stop <= self.stop

    def value(self, row: int, column: int) -> float | None:
        """The cell standing for original ``column``, or None outside the map."""
        local = (column - self.origin) // self.stride
        return float(self.image[row, local]) if 0 <= local < self.image.shape[1] else None

    def view(self, start: int, stop: int, max_columns: int) -> tuple[np.ndarray, int, int]:
        """(image, first_column, step) covering original columns [start, stop) with at least ``max_columns``
        columns where the data has them; column j of the result starts at original column first_column + j * step."""
        start = max(0, (int(start) - self.origin) // self.stride)
        stop = min(self.image.shape[1], -(-(int(stop) - self.origin) // self.stride))
        if stop <= 0 or start >= self.image.shape[1]:  # the range lies wholly before or after this map
            return self.image[:, :0], self.origin, self.stride
        step, level = 1, self.image
        for level_step, level_image in self.levels:
            if (stop - start) / level_step < max_columns:
                break
            step, level = level_step, level_image
        first, last = start // step, max(start // step + 1, -(-stop // step))
        return level[:, first:last], self.origin + first * step * self.stride, step * self.stride


def one_per_column(
    x: np.ndarray, values: np.ndarray, start: float, stop: float, columns: int, reduce
) -> tuple[np.ndarray, np.ndarray]:
    """(x, values) with at most one point per screen column: the points of each of ``columns`` equal bins over
    [start, stop) reduced to one (``reduce``: np.maximum for the top of an envelope, np.minimum for its bottom),
    at the first point's x. ``x`` is ascending. A bar per point then never overdraws its neighbour."""
    if len(x) == 0 or stop <= start:
        return x, values
    bins = np.floor((x - start) * (columns / (stop - start))).astype(np.int64)
    firsts = np.flatnonzero(np.r_[True, bins[1:] != bins[:-1]])
    return x[firsts], reduce.reduceat(values, firsts)
