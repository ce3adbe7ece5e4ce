"""A long clip's spectrogram in stages: overview, tiles of the view, full image (exact frames throughout)."""

import threading

import numpy as np
import pytest

from audioxai_gui.audio.io import Audio
from audioxai_gui.features import FeatureSpec, spectrogram_db
from audioxai_gui.resources import EXAMPLE_AUDIO
from audioxai_gui.ui import clip as clip_module
from audioxai_gui.ui.clip import Clip, StagedSpectrogram, TileRequest, spectrogram_frames
from audioxai_gui.ui.lod import PeakPyramid
from tests.ui_support import TIMEOUT_MS, make_backend, new_window, wait_explained

RATE = 8000


def long_clip(seconds: float = 70.0) -> Clip:
    """Noise with a tone that comes and goes: more than CHUNK_FRAMES frames on the default grid."""
    rng = np.random.default_rng(3)
    t = np.arange(int(seconds * RATE)) / RATE
    samples = (0.05 * rng.normal(size=t.size) + 0.5 * np.sin(2 * np.pi * 700 * t) * (np.sin(t) > 0)).astype(np.float32)
    audio = Audio(samples, RATE)
    clip = Clip(audio, {RATE: audio.samples}, PeakPyramid(audio.samples))
    assert clip.is_long(FeatureSpec())
    return clip


@pytest.mark.parametrize("overview_columns", [4096, 300])  # strides 3 (windows overlap) and 30 (they do not)
@pytest.mark.parametrize("kind", ["stft_db", "mel_db"])
def test_overview_columns_are_the_full_spectrograms_columns_at_the_sampled_frames(monkeypatch, overview_columns, kind):
    monkeypatch.setattr(clip_module, "OVERVIEW_COLUMNS", overview_columns)
    clip, grid = long_clip(), FeatureSpec(kind=kind)
    full = spectrogram_db(clip.samples_at(RATE), grid)
    overview = clip.overview(grid)
    stride = overview.pyramid.stride
    assert -(-full.shape[1] // stride) == overview.db.shape[1] <= overview_columns
    np.testing.assert_allclose(overview.db, full[:, ::stride], atol=1e-4)
    assert overview.pyramid.value(5, 7 * stride + 1) == pytest.approx(full[5, 7 * stride], abs=1e-4)


def test_a_tile_equals_the_full_spectrogram_over_its_range():
    clip, grid = long_clip(), FeatureSpec()
    full = clip.image(grid)
    for request in (TileRequest(0, 300, 1), TileRequest(4000, 5024, 1), TileRequest(8192, full.db.shape[1], 4)):
        tile = clip.tile(grid, request)
        np.testing.assert_allclose(tile.db, full.db[:, request.first : request.stop : request.stride], atol=1e-4)
        assert tile.pyramid.covers(request.first, request.stop)
        assert tile.db_range == full.db_range == clip.overview(grid).db_range, "one set of levels for every stage"
    assert np.all(full.db <= full.db_range[1] + 3.0), "the overview's loudest cell is about the clip's loudest"


def test_chunks_that_skip_audio_give_the_same_frames(monkeypatch):
    monkeypatch.setattr(clip_module, "CHUNK_FRAMES", 16)
    samples = np.random.default_rng(2).normal(scale=0.1, size=64 * 300 + 5).astype(np.float32)
    grid = FeatureSpec()
    full = spectrogram_db(samples, grid)
    for first, stride in ((0, 1), (3, 2), (1, 7), (290, 9)):
        np.testing.assert_allclose(
            spectrogram_frames(samples, grid, first, full.shape[1], stride), full[:, first::stride], atol=1e-4
        )


def test_tile_requests_match_the_zoom_and_repeat_for_a_small_pan():
    n_frames = 450_000
    assert TileRequest.for_view(1000, 2000, 2000, n_frames).stride == 1, "zoomed in: full resolution"
    whole = TileRequest.for_view(-500, n_frames + 500, 2000, n_frames)
    assert (whole.first, whole.stop) == (0, n_frames) and n_frames / whole.stride >= 2000 > n_frames / whole.stride / 4
    assert TileRequest.for_view(100_010, 120_000, 2000, n_frames) == TileRequest.for_view(
        100_020, 120_010, 2000, n_frames
    )


def test_staged_spectrogram_draws_the_best_stage_and_asks_for_a_tile_only_when_it_is_too_coarse():
    clip, grid = long_clip(), FeatureSpec()
    staged = StagedSpectrogram(clip, grid)
    assert staged.pick((0, 100), (0, 200), 1000) == (None, None), "nothing to draw before the overview"
    staged.overview = clip.overview(grid)
    n_frames = staged.n_frames
    assert staged.pick((0, n_frames), (0, n_frames), 1000) == (staged.overview, None), "a screenful already"
    shown, request = staged.pick((4000, 4400), (3800, 4600), 1000)
    assert shown is staged.overview and request.stride == 1 and request.first <= 3800 and request.stop >= 4600
    staged.add_tile(request, clip.tile(grid, request))
    shown, again = staged.pick((4000, 4400), (3800, 4600), 1000)
    assert shown is staged.tiles[request] and again is None
    shown, further = staged.pick((4100, 4500), (3900, 4700), 1000)
    assert shown is staged.tiles[request] and further is not None, "the tile covers the view; ask for the margin"
    staged.set_full(clip.image(grid))
    assert staged.pick((4000, 4400), (3800, 4600), 1000) == (staged.full, None) and not staged.tiles


@pytest.fixture
def stack(qtbot):
    from audioxai_gui.ui.pane_stack import PaneStack

    stack = PaneStack()
    qtbot.addWidget(stack.widget)
    stack.widget.resize(1000, 700)
    stack.widget.show()
    return stack


def test_a_superseded_tile_is_never_drawn(stack, qtbot, monkeypatch):
    clip, grid = long_clip(), FeatureSpec()
    stack.set_duration(clip.duration)
    stack.show_spectrogram(clip, grid)
    pane = stack.panes["spectrogram"]
    qtbot.waitUntil(lambda: pane.background.pyramid is not None and stack.spectrogram_jobs.wait(0), timeout=TIMEOUT_MS)
    requested, release = [], threading.Event()
    compute = clip.tile

    def first_tile_waits(grid, request, cancelled):
        if not requested:
            requested.append(request)
            release.wait(5)
        return compute(grid, request, cancelled)

    monkeypatch.setattr(clip, "tile", first_tile_waits)
    stack.set_time_range(10.0, 11.0)
    qtbot.waitUntil(lambda: bool(requested), timeout=TIMEOUT_MS)
    stack.set_time_range(50.0, 51.0)  # the user moved on before the first tile was ready
    qtbot.wait(50)
    release.set()
    qtbot.waitUntil(lambda: pane.background.pyramid.stride == 1, timeout=TIMEOUT_MS)
    assert stack.spectrogram_jobs.wait(5000)
    qtbot.wait(50)
    assert requested[0] not in stack.staged.tiles, "the stale tile's result was dropped"
    assert pane.background.pyramid.covers(*pane.background.columns(50.0, 51.0))
    full = clip.image(grid)
    tile = pane.background.pyramid
    np.testing.assert_allclose(tile.image, full.db[:, tile.origin : tile.stop], atol=1e-4)


@pytest.fixture(scope="module")
def backend(model_pair):
    from audioxai_gui.explain.engine import ExplanationEngine

    return make_backend(ExplanationEngine("cpu"), model_pair)


def test_a_long_clip_shows_an_overview_then_a_tile_then_the_full_image(qtbot, tmp_path, backend, monkeypatch):
    monkeypatch.setattr(clip_module, "CHUNK_FRAMES", 64)  # the one-second example counts as long
    monkeypatch.setattr(clip_module, "OVERVIEW_COLUMNS", 32)
    release, full_image = threading.Event(), Clip.image

    def full_image_waits(self, grid, cancelled=lambda: False):
        release.wait(TIMEOUT_MS / 1000)
        return full_image(self, grid, cancelled)

    monkeypatch.setattr(Clip, "image", full_image_waits)
    shown, pick = [], StagedSpectrogram.pick

    def recording_pick(self, *args):
        image, request = pick(self, *args)
        shown.append(image)
        return image, request

    monkeypatch.setattr(StagedSpectrogram, "pick", recording_pick)
    window = new_window(qtbot, tmp_path, backend)
    grid = backend.models["spectrogram"].card.features
    pane = window.stack.panes["spectrogram"]
    window.open_file(EXAMPLE_AUDIO)
    try:
        qtbot.waitUntil(lambda: pane.background.pyramid is not None and pane.background.pyramid.stride == 1)
        window.stack.set_time_range(0.5, 0.6)
        qtbot.wait(50)
        overview = window.clip.overviews[grid]
        first_drawn = next(image for image in shown if image is not None)
        assert first_drawn is overview and overview.pyramid.stride > 1, "the overview is drawn first"
        assert not window.clip.images, "while the full image is still being computed"
        tile = pane.background.pyramid
        assert tile.covers(*pane.background.columns(0.5, 0.6))
        expected = spectrogram_db(window.clip.samples_at(grid.sample_rate), grid)
        np.testing.assert_allclose(tile.image, expected[:, tile.origin : tile.stop], atol=1e-4)
    finally:
        release.set()
    wait_explained(qtbot, window)
    full = window.clip.images[grid]
    qtbot.waitUntil(lambda: pane.background.pyramid is full.pyramid, timeout=TIMEOUT_MS)
    assert tuple(pane.background.item.levels) == full.db_range == overview.db_range


def test_abs_total_matches_a_float64_sum_on_a_long_non_contiguous_map():
    from audioxai_gui.ui.clip import abs_total

    values = np.random.default_rng(6).standard_normal((129, 20_001)).astype(np.float32)
    part = values[:, 37:19_000]  # a partial result's stretch: not contiguous
    assert abs_total(part) == pytest.approx(float(np.abs(part.astype(np.float64)).sum()), rel=1e-7)
    assert abs_total(values[:, :0]) == 0.0


def test_opening_a_clip_takes_the_digest_the_explanation_cache_is_keyed_by():
    from audioxai_gui.audio.digest import audio_hash

    clip = clip_module.open_clip(EXAMPLE_AUDIO, {8000, 16000})
    assert set(clip.digests) == {8000, 16000}
    assert clip.digest(16000) == audio_hash(clip.samples_at(16000)) != clip.digest(8000)


def test_one_bar_per_screen_column_keeps_each_columns_extreme():
    from audioxai_gui.ui.lod import one_per_column

    x = np.arange(12) / 4.0  # 4 points per column over 3 columns of [0, 3)
    values = np.array([1, 5, 2, 0, -3, 4, 9, 1, 0, 0, 0, 2], dtype=np.float32)
    top_x, top = one_per_column(x, values, 0.0, 3.0, 3, np.maximum)
    np.testing.assert_array_equal(top_x, [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(top, [5, 9, 2])
    _, bottom = one_per_column(x, values, 0.0, 3.0, 3, np.minimum)
    np.testing.assert_array_equal(bottom, [0, -3, 0])
    sparse_x, sparse = one_per_column(x[::4], values[::4], 0.0, 3.0, 300, np.maximum)  # zoomed in: all kept
    np.testing.assert_array_equal(sparse, values[::4])
