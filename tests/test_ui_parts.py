"""The window's building blocks: level-of-detail pyramids, frequency scales, colour scaling, the job runner."""

import threading

import numpy as np
import pytest

from audioxai_gui.session import SIGN_FILTERS
from audioxai_gui.ui import colormaps
from audioxai_gui.ui.clip import display_spectrogram
from audioxai_gui.ui.freq_scale import FREQUENCY_SCALES, RowMapping
from audioxai_gui.ui.lod import ColumnPyramid, PeakPyramid, signed_absmax


def test_peak_envelope_keeps_extremes_and_is_short():
    rng = np.random.default_rng(0)
    values = rng.normal(size=1_000_000).astype(np.float32)
    values[123_456] = 50.0
    values[765_432] = -40.0
    pyramid = PeakPyramid(values)
    x, low, high = pyramid.envelope(0, len(values), 2000)
    assert 2000 <= len(x) < 8000, "about screen resolution, not file length"
    assert high.max() == 50.0 and low.min() == -40.0
    # zoomed in far enough, the raw samples come back
    x, low, high = pyramid.envelope(1000, 1100, 2000)
    np.testing.assert_array_equal(low, values[1000:1100])
    np.testing.assert_array_equal(x, np.arange(1000, 1100))


def test_column_pyramid_returns_the_visible_range_at_screen_resolution():
    image = np.zeros((4, 100_000), np.float32)
    image[2, 54_321] = -3.0
    pyramid = ColumnPyramid(image, signed_absmax)
    view, first, step = pyramid.view(50_000, 60_000, 500)
    assert step > 1 and view.shape[1] * step >= 10_000 - step
    assert first <= 50_000 and first + view.shape[1] * step >= 60_000
    assert view.min() == -3.0, "signed abs-max keeps a negative hot spot and its sign"


def test_signed_absmax_pyramid_keeps_each_blocks_largest_magnitude():
    """The block reduce (from maxima and minima) picks what an argmax of |value| picks; +v wins a tie with -v."""
    image = np.random.default_rng(3).standard_normal((3, 4 * 1500 + 3)).astype(np.float32)
    image[1, 8:12] = [0.5, -2.0, 2.0, 1.0]  # a tie: +2 wins
    level = ColumnPyramid(image, signed_absmax, min_columns=1).levels[0][1]
    blocks = image[:, : 4 * 1500].reshape(3, -1, 4)
    expected = np.take_along_axis(blocks, np.abs(blocks).argmax(axis=-1)[..., None], axis=-1)[..., 0]
    expected[1, 2] = 2.0
    np.testing.assert_array_equal(level[:, :1500], expected)
    np.testing.assert_array_equal(level[:, 1500], signed_absmax(image[:, 4 * 1500 :]))  # the short tail block


def test_chunked_display_spectrogram_equals_the_one_spectrogram_function(monkeypatch):
    from audioxai_gui.features import FeatureSpec, spectrogram_db
    from audioxai_gui.ui import clip

    monkeypatch.setattr(clip, "CHUNK_FRAMES", 50)
    samples = np.random.default_rng(1).normal(scale=0.1, size=64 * 400 + 17).astype(np.float32)
    for spec in (FeatureSpec(), FeatureSpec(kind="mel_db")):
        np.testing.assert_allclose(display_spectrogram(samples, spec), spectrogram_db(samples, spec), atol=1e-4)


@pytest.mark.parametrize("name", list(FREQUENCY_SCALES))
def test_frequency_scales_invert_and_map_rows_to_the_right_band(name):
    scale = FREQUENCY_SCALES[name]
    hz = np.array([100.0, 440.0, 1000.0, 3500.0])
    np.testing.assert_allclose(scale.to_hz(scale.to_display(hz)), hz, rtol=1e-9)
    centres = np.fft.rfftfreq(256, 1 / 8000)
    mapping = RowMapping(centres, scale)
    image = np.arange(len(centres), dtype=np.float32)[:, None]  # each row holds its band index
    rows = mapping.apply(image)[:, 0]
    assert np.all(np.diff(rows) >= 0), "rows stay in frequency order"
    display_centres = mapping.low + (np.arange(mapping.n_rows) + 0.5) * (mapping.high - mapping.low) / mapping.n_rows
    bands = np.abs(centres[rows.astype(int)] - scale.to_hz(display_centres))
    assert bands.max() <= 8000 / 256, "every display row shows the band containing its frequency"


def test_linear_stft_rows_are_shown_unchanged():
    centres = np.fft.rfftfreq(256, 1 / 8000)
    assert RowMapping(centres, FREQUENCY_SCALES["linear"]).rows is None


def test_relevance_scale_clips_at_the_percentile_of_the_filtered_values():
    relevance = np.concatenate([np.linspace(0.01, 1.0, 100), -np.linspace(0.01, 2.0, 100), np.zeros(800)])
    assert colormaps.relevance_scale(relevance, "positive", 100.0) == pytest.approx(1.0)
    assert colormaps.relevance_scale(relevance, "negative", 100.0) == pytest.approx(2.0)
    assert colormaps.relevance_scale(relevance, "all", 50.0) == pytest.approx(
        np.percentile(np.abs(relevance[relevance != 0]), 50)
    )
    assert colormaps.relevance_scale(np.zeros(10), "all", 99.0) == 1.0


LUT_MIDDLE = 128


def test_overlay_lut_is_transparent_at_zero_and_opaque_at_the_ends():
    assert set(colormaps.SIGN_TRANSFORMS) == set(SIGN_FILTERS)
    lut = colormaps.overlay_lut("bwr", "all")
    assert lut.shape == (256, 4)
    assert lut[127:129, 3].max() < 8 and lut[0, 3] == 255 and lut[-1, 3] == 255
    assert lut[-1, 0] > 200 and lut[-1, 2] < 50, "high relevance is red"
    assert lut[0, 2] > 200 and lut[0, 0] < 50, "negative relevance is blue"
    absolute = colormaps.overlay_lut("bwr", "absolute")
    assert absolute[0, 3] == 0 and absolute[-1, 3] == 255


@pytest.mark.parametrize("name", colormaps.COLORMAPS)
def test_weak_relevance_keeps_its_hue_and_each_filter_shows_only_its_colours(name):
    table = colormaps.colour_table(name, "all").astype(int)
    weak_for, weak_against = table[LUT_MIDDLE + 2], table[LUT_MIDDLE - 3]
    # the weakest red is clearly red (not the map's near-white middle that vanished on the grey spectrogram)
    assert weak_for[0] - weak_for[2] > 60 and weak_against[2] - weak_against[0] > 60
    negative = colormaps.colour_table(name, "negative").astype(int)
    assert (negative[:, 2] > negative[:, 0]).all(), "the 'negative' colour bar has no red half"
    assert colormaps.value_range("negative", 2.0) == (-2.0, 0.0)
    positive = colormaps.colour_table(name, "positive").astype(int)
    assert (positive[:, 0] > positive[:, 2]).all()
    assert colormaps.value_range("positive", 2.0) == (0.0, 2.0)


def test_runner_drops_a_superseded_result(qtbot):
    from audioxai_gui.ui.worker import TaskRunner

    runner = TaskRunner()
    started, release = threading.Event(), threading.Event()
    delivered, cancelled_seen = [], []

    def slow(progress, cancelled):
        started.set()
        release.wait(5)
        cancelled_seen.append(cancelled())
        return "old"

    runner.submit("explain", slow, delivered.append)
    assert started.wait(5)
    runner.submit("explain", lambda progress, cancelled: "new", delivered.append)
    release.set()
    assert runner.wait(5000)
    qtbot.waitUntil(lambda: delivered == ["new"])
    qtbot.wait(50)
    assert delivered == ["new"], "the old job's result must never arrive"
    assert cancelled_seen == [True], "the old job was told it is cancelled"


def test_runner_delivers_errors_and_progress_in_the_gui_thread(qtbot):
    from audioxai_gui.ui.worker import TaskRunner

    runner = TaskRunner()
    errors, fractions, threads = [], [], []

    def failing(progress, cancelled):
        progress(0.5)
        raise ValueError("broken clip")

    runner.submit(
        "audio",
        failing,
        lambda r: None,
        errors.append,
        lambda f: (fractions.append(f), threads.append(threading.current_thread())),
    )
    qtbot.waitUntil(lambda: len(errors) == 1)
    assert str(errors[0]) == "broken clip"
    assert fractions == [0.5] and threads == [threading.main_thread()]


def test_installed_qt_binding_keeps_reference_counts_balanced():
    """shiboken6 6.12.0 on Python 3.11 drops a reference to None per void call (True per emit), and a long
    session aborts with "deallocating None"; pyproject.toml pins a release without that bug."""
    import sys

    from PySide6 import QtCore

    class Probe(QtCore.QObject):
        fired = QtCore.Signal()

    probe = Probe()
    before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(1000):
        probe.setObjectName("x")
        probe.fired.emit()
    assert (sys.getrefcount(None), sys.getrefcount(True)) >= before


def test_a_pan_inside_the_drawn_stretch_keeps_the_drawing_and_redraws_once_the_view_rests(qtbot):
    """Panning an hour redrew every pane's curves and images on every frame; now only when the view leaves
    what was drawn (half a view each side) or changes width a lot, plus once when it comes to rest."""
    import pyqtgraph as pg

    from audioxai_gui.ui.panes import REDRAW_SETTLE_MS, WaveformPane

    pane = WaveformPane()
    host = pg.GraphicsLayoutWidget()
    host.addItem(pane.plot)
    qtbot.addWidget(host)
    host.resize(800, 200)
    host.show()
    rate = 8000
    pane.set_audio(PeakPyramid(np.random.default_rng(0).standard_normal(60 * rate).astype(np.float32)), rate)
    draws = []
    original = pane.wave.setData
    pane.wave.setData = lambda *args, **kwargs: draws.append(pane.view.viewRange()[0]) or original(*args, **kwargs)
    pane.view.setXRange(10.0, 20.0, padding=0)
    qtbot.waitUntil(lambda: len(draws) == 1, timeout=2000)
    pane.view.setXRange(11.0, 21.0, padding=0)  # inside the drawn 5-25 s, same width: Qt moves the drawing
    qtbot.wait(10)
    assert len(draws) == 1
    qtbot.waitUntil(lambda: len(draws) == 2, timeout=2000)  # at rest: one precise redraw
    assert draws[-1] == pytest.approx([11.0, 21.0])
    assert REDRAW_SETTLE_MS < 1000
    pane.view.setXRange(40.0, 50.0, padding=0)  # outside what was drawn: at once
    qtbot.waitUntil(lambda: len(draws) == 3, timeout=REDRAW_SETTLE_MS // 2)
