"""The open clip: source audio for display and playback, copies at each model's rate, display spectrograms.

Qt-free and built off the GUI thread. Display spectrograms come from ``spectrogram_db`` (the one
spectrogram function), computed in chunks so an hour of audio never needs one giant STFT buffer.

A long clip's full spectrogram takes seconds, so it is shown in stages: an overview (every stride-th
frame over the whole clip, a screenful of columns in milliseconds), then tiles of the visible range
at the resolution the view needs, then the full image, which replaces both. All three are exact frames
of the same spectrogram on the same fixed display levels.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..audio.digest import audio_hash
from ..audio.io import Audio, load_audio
from .lod import PYRAMID_BASE, ColumnPyramid, PeakPyramid, signed_absmax

CHUNK_FRAMES = 8192
"""Spectrogram frames per chunk: bounds the complex STFT buffer to a few MB whatever the file length.
Clips with more frames than this are "long": they get an overview and tiles before the full image."""
OVERVIEW_COLUMNS = 4096
"""Columns of a long clip's overview: more than a screen is wide, so the whole clip shows sharp at once."""
TILE_ALIGN_COLUMNS = 256
"""Tile ends snap to multiples of this many tile columns, so a small pan asks for the same tile again."""
TILE_CACHE_SIZE = 8
"""Tiles kept per clip (each at most a few MB) until the full image replaces them."""


def _zero_padded(samples: np.ndarray, start: int, stop: int) -> np.ndarray:
    """samples[start:stop] with zeros where the range runs past either end (a centred STFT's padding)."""
    inside = samples[max(0, start) : max(0, min(len(samples), stop))]
    left = max(0, -start)
    right = stop - start - left - len(inside)
    return inside if left == right == 0 else np.pad(inside, (left, right))


def _windows(samples: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """The ``length`` samples from each start, back to back, with zeros past either end."""
    index = starts[:, None] + np.arange(length)
    inside = (index >= 0) & (index < len(samples))
    return np.where(inside, samples[np.clip(index, 0, len(samples) - 1)], np.float32(0)).ravel()


def spectrogram_frames(
    samples: np.ndarray, grid, first: int, stop: int, stride: int = 1, cancelled: Callable[[], bool] = lambda: False
) -> np.ndarray:
    """Frames first, first + stride, ... (below ``stop``) of ``spectrogram_db(samples, grid)``: (n_bands, n).

    A centred STFT zero-pads n_fft // 2 on each side, so frame f is the window at padded sample f * hop.
    Each chunk of CHUNK_FRAMES frames is an uncentred STFT of the same windows: of the slice they span
    (hop * stride) while they overlap, else of just those windows laid back to back (hop n_fft), so the
    work and memory follow the frames asked for, not the stretch of audio they sample.
    """
    from ..features import spectrogram_db

    framing = grid.framing
    half = framing.n_fft // 2 if framing.center else 0
    hop, n_fft = framing.hop_length, framing.n_fft
    overlapping = hop * stride < n_fft
    uncentred = replace(grid, framing=replace(framing, center=False, hop_length=hop * stride if overlapping else n_fft))
    frames = range(first, stop, stride)
    out = np.empty((grid.n_bands, len(frames)), dtype=np.float32)
    for index in range(0, len(frames), CHUNK_FRAMES):
        if cancelled():
            raise InterruptedError("display spectrogram cancelled")
        chunk = frames[index : index + CHUNK_FRAMES]
        if overlapping:
            audio = _zero_padded(samples, chunk[0] * hop - half, chunk[-1] * hop - half + n_fft)
        else:
            audio = _windows(samples, np.asarray(chunk) * hop - half, n_fft)
        out[:, index : index + len(chunk)] = spectrogram_db(audio, uncentred)
    return out


def display_spectrogram(samples: np.ndarray, grid, cancelled: Callable[[], bool] = lambda: False) -> np.ndarray:
    """(n_bands, n_frames) dB on ``grid``, identical to ``spectrogram_db(samples, grid)`` but chunked when long."""
    n_frames = grid.framing.n_frames(len(samples))
    if n_frames <= CHUNK_FRAMES:
        from ..features import spectrogram_db

        return spectrogram_db(samples, grid)
    return spectrogram_frames(samples, grid, 0, n_frames, 1, cancelled)


def display_levels(grid, db: np.ndarray) -> tuple[float, float]:
    """Fixed display levels: the grid's floor up to the loudest cell of ``db``.

    A long clip's overview, tiles and full image all take the overview's levels, so nothing jumps as finer
    images arrive; the rare cells louder than every sampled frame saturate white rather than darkening the rest.
    """
    floor = -grid.top_db
    return floor, max(float(db.max()), floor + 1.0)


@dataclass
class GridImage:
    """A display spectrogram (or an overview or tile of one) and its level-of-detail pyramid."""

    grid: object  # FeatureSpec
    db: np.ndarray
    pyramid: ColumnPyramid
    db_range: tuple[float, float]  # fixed display levels for the whole clip (display_levels)


@dataclass(frozen=True)
class TileRequest:
    """Frames first, first + stride, ... below stop of a clip's display spectrogram."""

    first: int
    stop: int
    stride: int

    @classmethod
    def for_view(cls, start: int, stop: int, columns: int, n_frames: int) -> TileRequest:
        """The tile for frames [start, stop) drawn about ``columns`` wide: the coarsest power-of-4 stride that
        still gives that many columns (the step the full image's pyramid would show), ends snapped to a grid."""
        start, stop = max(0, start), min(n_frames, stop)
        stride = 1
        while (stop - start) / (stride * PYRAMID_BASE) >= columns:
            stride *= PYRAMID_BASE
        align = stride * TILE_ALIGN_COLUMNS
        return cls(start // align * align, min(n_frames, -(-stop // align) * align), stride)


@dataclass
class Clip:
    """One opened file, ready to display and explain."""

    audio: Audio
    by_rate: dict[int, np.ndarray]
    peaks: PeakPyramid
    images: dict[object, GridImage] = field(default_factory=dict)
    overviews: dict[object, GridImage] = field(default_factory=dict)
    digests: dict[int, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def path(self) -> Path | None:
        return self.audio.path

    @property
    def duration(self) -> float:
        return self.audio.duration

    def samples_at(self, rate: int) -> np.ndarray:
        return self.by_rate[rate]

    def digest(self, rate: int) -> str:
        """The samples' digest at ``rate`` (the explanation cache's key; taken when the clip is opened, so an
        explanation's first batch does not wait 0.12 s per hour for it)."""
        if rate not in self.digests:
            self.digests.setdefault(rate, audio_hash(self.samples_at(rate)))  # a race hashes twice, identically
        return self.digests[rate]

    def n_frames(self, grid) -> int:
        return grid.framing.n_frames(len(self.samples_at(grid.sample_rate)))

    def is_long(self, grid) -> bool:
        """Whether the full spectrogram on ``grid`` is slow enough to show an overview and tiles first."""
        return self.n_frames(grid) > CHUNK_FRAMES

    def image(self, grid, cancelled: Callable[[], bool] = lambda: False) -> GridImage:
        """The display spectrogram on ``grid`` (computed once per grid; call from a worker thread)."""
        with self._lock:
            if grid not in self.images:
                db = display_spectrogram(self.samples_at(grid.sample_rate), grid, cancelled)
                levels = self.overview(grid).db_range if self.is_long(grid) else display_levels(grid, db)
                self.images[grid] = GridImage(grid, db, ColumnPyramid(db, np.max), levels)
            return self.images[grid]

    def overview(self, grid) -> GridImage:
        """Every stride-th frame, OVERVIEW_COLUMNS or fewer over the whole clip (milliseconds; any thread)."""
        if grid not in self.overviews:
            n_frames = self.n_frames(grid)
            stride = max(1, -(-n_frames // OVERVIEW_COLUMNS))
            db = spectrogram_frames(self.samples_at(grid.sample_rate), grid, 0, n_frames, stride)
            image = GridImage(grid, db, ColumnPyramid(db, np.max, stride=stride), display_levels(grid, db))
            self.overviews.setdefault(grid, image)  # a race computes it twice, identically; the first one stays
        return self.overviews[grid]

    def tile(self, grid, request: TileRequest, cancelled: Callable[[], bool] = lambda: False) -> GridImage:
        """The frames ``request`` names, on the overview's display levels (call from a worker thread)."""
        db = spectrogram_frames(
            self.samples_at(grid.sample_rate), grid, request.first, request.stop, request.stride, cancelled
        )
        pyramid = ColumnPyramid(db, np.max, origin=request.first, stride=request.stride)
        return GridImage(grid, db, pyramid, self.overview(grid).db_range)


class StagedSpectrogram:
    """What the panes draw of a long clip's spectrogram on one grid: the full image once it is ready, until then
    the finest cached tile covering the view, else the overview. Lives in the GUI thread: images arrive through
    the job runner's callbacks and are only ever added here."""

    def __init__(self, clip: Clip, grid):
        self.clip, self.grid = clip, grid
        self.n_frames = clip.n_frames(grid)
        self.overview: GridImage | None = None
        self.full: GridImage | None = None
        self.tiles: OrderedDict[TileRequest, GridImage] = OrderedDict()

    def add_tile(self, request: TileRequest, image: GridImage) -> None:
        self.tiles[request] = image
        while len(self.tiles) > TILE_CACHE_SIZE:
            self.tiles.popitem(last=False)  # least recently drawn

    def set_full(self, image: GridImage) -> None:
        self.full = image
        self.tiles.clear()

    def pick(
        self, visible: tuple[int, int], wanted: tuple[int, int], columns: int
    ) -> tuple[GridImage | None, TileRequest | None]:
        """(image to draw for the visible frames, tile worth computing for the wanted ones or None).

        ``wanted`` is the visible range with its redraw margin; a tile that covers the view keeps being drawn
        while the one for the margin is computed, so a pan never falls back to the overview.
        """
        if self.full is not None or self.overview is None:
            return self.full, None
        request = TileRequest.for_view(*wanted, columns, self.n_frames)
        if request in self.tiles:
            self.tiles.move_to_end(request)
        first, stop = max(0, visible[0]), min(self.n_frames, visible[1])
        covering = [tile for tile in self.tiles.values() if tile.pyramid.covers(first, stop)]
        shown = min([*covering, self.overview], key=lambda image: image.pyramid.stride)
        good_enough = shown.pyramid.stride <= request.stride and shown.pyramid.covers(request.first, request.stop)
        return shown, None if good_enough else request


def open_clip(
    path: str | Path,
    rates: set[int],
    grids=(),
    cancelled: Callable[[], bool] = lambda: False,
    max_seconds: float | None = None,
) -> Clip:
    """Decode ``path`` once at its own rate (display, playback) and resample it for each other model rate;
    only its first ``max_seconds`` when given (a long file the user chose to open in part)."""
    audio = load_audio(path, max_seconds=max_seconds)
    by_rate = {rate: audio.resampled(rate).samples for rate in rates | {audio.sample_rate}}
    clip = Clip(audio, by_rate, PeakPyramid(audio.samples))
    for rate in rates:
        clip.digest(rate)
    for grid in grids:
        clip.image(grid, cancelled)
    return clip


@dataclass
class ExplanationDisplay:
    """An explanation with what drawing it needs, prepared off the GUI thread."""

    explanation: object  # Explanation
    background: GridImage | None  # the display spectrogram on the explanation's grid (None: not computed yet)
    tf_shares: np.ndarray  # the map as % of its own total |relevance| (what is drawn and scaled)
    tf_pyramid: ColumnPyramid
    samples_pyramid: PeakPyramid | None  # per-sample relevance, waveform models only
    note: str = ""  # what the map leaves out (relevance on silent samples), shown after the pane's title


def snap_to_frames(seconds: float, grid) -> float:
    """The frame boundary of ``grid`` nearest ``seconds``: a part of a clip explained on its own starting there
    has its map's frames on the clip's frame grid (see ``prepare_display``'s ``start_s``)."""
    hop = grid.framing.hop_length
    return round(seconds * grid.sample_rate / hop) * hop / grid.sample_rate


ABS_TOTAL_CHUNK = 1 << 16


def abs_total(values: np.ndarray) -> float:
    """The sum of |values|: numpy's pairwise float32 sum per chunk of 64 k values, the chunks added in float64
    (relative error ~1e-9; an hour's map in 0.05 s, where one float64 sum over a full-size |map| took 0.14 s)."""
    flat = np.ravel(values)
    return sum(
        float(np.abs(flat[i : i + ABS_TOTAL_CHUNK]).sum(dtype=np.float32)) for i in range(0, flat.size, ABS_TOTAL_CHUNK)
    )


def prepare_display(
    explanation,
    clip: Clip,
    cancelled: Callable[[], bool] = lambda: False,
    wait_for_image: bool = True,
    start_s: float = 0.0,
    span: tuple[int, int] | None = None,
) -> ExplanationDisplay:
    """What drawing ``explanation`` needs. ``wait_for_image`` False (a long clip's partial result) takes the full
    display spectrogram only if it is ready, so relevance is drawn without waiting for an hour's image.
    ``start_s``: where on the clip the explained audio starts (a selection explained as one clip; a frame
    boundary, ``snap_to_frames``): its maps are drawn there and nowhere else. ``span`` (samples [first, stop) at
    the explanation's rate): the relevance is zero outside it (a partial result), so only that part is drawn."""
    from ..explain.accounting import silent_note  # the engine is loaded by now

    grid = explanation.grid  # on the explanation's own rate (engine.explain picks it so)
    framing = grid.framing
    first, stop = span if span is not None else (0, None)
    pad = framing.n_fft // 2 if framing.center else 0
    f0 = max(0, (first + pad - framing.n_fft) // framing.hop_length + 1) if span is not None else 0
    f1 = -(-(stop + pad) // framing.hop_length) if span is not None else None
    part = explanation.tf_relevance[..., f0:f1]  # all of the map that is not zero
    total = abs_total(part)
    shares = part * np.float32(100 / total) if total > 0 else np.zeros_like(part)
    samples = explanation.relevance[first:stop] if explanation.relevance.ndim == 1 else None
    frame_origin = round(start_s * grid.sample_rate / framing.hop_length) + f0
    sample_origin = round(start_s * explanation.sample_rate) + first
    return ExplanationDisplay(
        explanation,
        clip.image(grid, cancelled) if wait_for_image else clip.images.get(grid),
        shares.astype(np.float32, copy=False),
        ColumnPyramid(shares, signed_absmax, origin=frame_origin),
        PeakPyramid(samples, origin=sample_origin) if samples is not None else None,
        silent_note(explanation),
    )
