"""Prediction tracks on a 30 s recording of ten FSDD digits; the h:mm:ss time axis."""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtCore, QtWidgets

from audioxai_gui.annotate.formats import read_regions
from audioxai_gui.audio import save_wav
from audioxai_gui.audio.compose import compose_recording, fsdd_test_clips
from audioxai_gui.ui.time_axis import TimeAxisItem, format_clock, format_reading, format_time, parse_time
from tests.ui_support import make_backend, new_window, wait_explained

RATE = 8000


@pytest.fixture(scope="module")
def digits(fsdd_dir, tmp_path_factory):
    recording = compose_recording(fsdd_test_clips(fsdd_dir, 10, "lucas"), RATE, gap_s=2.0, lead_s=1.0, length_s=30.0)
    path = tmp_path_factory.mktemp("tracks") / "digits.wav"
    save_wav(path, recording.samples, RATE)
    return path, recording


@pytest.fixture(scope="module")
def backend(shipped_pair):
    from audioxai_gui.explain.engine import ExplanationEngine

    return make_backend(ExplanationEngine("cpu"), shipped_pair)


class _ModuleBot:
    """Just enough of qtbot for a window shared by the module's tests (explaining it once is slow here)."""

    def addWidget(self, widget):  # noqa: N802 (qtbot's name)
        pass

    def waitUntil(self, condition, timeout):  # noqa: N802
        deadline = time.monotonic() + max(timeout / 1000, 600)  # 30 s of audio, two models, a busy CPU
        while not condition():
            assert time.monotonic() < deadline, "timed out waiting for the window"
            QtWidgets.QApplication.processEvents()
            time.sleep(0.01)


@pytest.fixture(scope="module")
def window(qapp, digits, backend, tmp_path_factory):
    bot = _ModuleBot()
    window = new_window(bot, tmp_path_factory.mktemp("window"), backend)
    window.open_file(digits[0])
    wait_explained(bot, window)
    yield window
    window.close()


def test_tracks_name_the_digits_with_their_onsets(window, digits):
    _, recording = digits
    tracks = window.extensions["tracks"].tracks
    assert set(tracks) == {"waveform", "spectrogram"}
    for track in tracks.values():
        found = sum(
            any(s.label == label and abs(s.onset - onset) <= 0.25 for s in track.segments)
            for onset, label in zip(recording.onsets, recording.labels, strict=True)
        )
        assert found >= 8
        silent = track.window_at(recording.offsets[0] + 1.0)  # the middle of the first gap
        assert track.label_at(track.centres[silent]) == "no sound"


def test_hover_names_both_models_top_three(window, digits):
    _, recording = digits
    text = window.extensions["tracks"].describe(recording.onsets[3] + 0.2)
    assert "waveform model: 3" in text and "spectrogram model: 3" in text
    assert text.count("%") == 6


def test_event_keys_walk_the_events_and_the_class_panel_follows(window, digits):
    _, recording = digits
    tracks = window.extensions["tracks"]
    window.stack.set_cursor(0.0)
    first = tracks.jump("event", True)
    assert first == pytest.approx(recording.onsets[0], abs=0.25)
    assert window.stack.cursor_time == pytest.approx(first)
    second = tracks.jump("event", True)
    assert second == pytest.approx(recording.onsets[1], abs=0.25)
    assert tracks.jump("event", False) == pytest.approx(first)
    window.stack.set_cursor(recording.onsets[7] + 0.2)
    shown = window.class_panel.explanations["spectrogram"]
    assert shown.classes[shown.target] == "7"  # the panel shows the window under the cursor, not the clip
    assert window.class_panel.agreement.text().endswith("“7”")


def test_events_export_and_become_regions(window, tmp_path):
    tracks = window.extensions["tracks"]
    for name in ("dcase", "audacity", "raven"):
        for path in tracks.export_events(tmp_path, name):
            role = path.name.split(".")[2]
            regions = read_regions(path).regions
            expected = tracks.tracks[role].segments
            assert [r.label for r in regions] == [s.label for s in expected]
            np.testing.assert_allclose([r.start for r in regions], [s.onset for s in expected], atol=1e-6)
    annotation = window.extensions["annotation"]
    before = len(list(annotation.document))
    added = tracks.events_to_regions()
    assert added == sum(len(t.segments) for t in tracks.tracks.values())
    assert len(list(annotation.document)) == before + added


def test_time_axis_reads_seconds_then_a_clock_never_ks(qapp):
    assert format_clock(3725.5) == "1:02:05.500"
    assert format_clock(65.25, 2) == "1:05.25"
    assert format_time(12.5, 30.0, 1) == "12.5"
    axis = TimeAxisItem()
    axis.setRange(0.0, 3600.0)
    assert axis.tickStrings([0.0, 1800.0, 3600.0], 1.0, 1800.0) == ["0:00", "30:00", "1:00:00"]
    assert axis.labelText == "time (h:mm:ss)"
    axis.setRange(40.0, 70.0)
    assert axis.tickStrings([41.0, 42.0], 1.0, 1.0) == ["0:41", "0:42"]  # minor ticks read like the major ones
    axis.setRange(0.0, 2.0)
    assert axis.tickStrings([1.0, 1.5], 1.0, 0.5) == ["1.0", "1.5"]
    assert axis.tickSpacing(0.0, 3600.0, 800)[0] == (600, 0.0)  # 10:00, 20:00... not 8:20, 16:40
    assert axis.tickSpacing(1800.0, 1810.0, 800)[0] == (2, 0.0)
    assert axis.tickSpacing(0.0, 30.0, 800) == pg.AxisItem.tickSpacing(axis, 0.0, 30.0, 800)  # seconds: as before


def test_a_selection_is_explained_as_one_clip_and_its_maps_are_drawn(window, digits):
    """Shift+E: the selected digit is explained as one clip; the panes draw its maps over the selection (and
    nothing of it elsewhere), the class panel shows it; a new selection brings the recording's maps back."""
    from audioxai_gui.ui.pane_stack import Selection

    _, recording = digits
    tracks, panes = window.extensions["tracks"], window.stack.panes
    start, end = recording.onsets[5] - 0.1, recording.offsets[5] + 0.1
    window.stack.set_selection(Selection(start, end))
    tracks.explain_selection()
    _ModuleBot().waitUntil(lambda: bool(window.pinned) and not tracks.jobs.pending("explain:selection"), 1)
    label = recording.labels[5]
    for role, explanation in tracks.selection_explanations.items():
        assert explanation.target_mode == "one_class"
        assert explanation.classes[explanation.target] == label
        assert window.class_panel.explanations[role] is explanation  # the panel follows the selection
        assert window.drawn[role] is window.pinned[role]
    wave = tracks.selection_explanations["waveform"]
    first = wave.sample_rate * start
    pyramid = panes["waveform"].relevance
    assert abs(pyramid.origin - first) <= 64 and len(pyramid) == len(wave.relevance)
    np.testing.assert_array_equal(pyramid.values, wave.relevance)  # the selection's own relevance is drawn
    assert pyramid.value(pyramid.origin - 1) is None  # ... and nothing of it before the selection
    for name, role in (("spectrogram", "spectrogram"), ("waveform_tf", "waveform")):
        overlay = panes[name].overlay.pyramid
        shown = tracks.selection_explanations[role]
        assert overlay.origin * shown.grid.framing.hop_length == pyramid.origin
        np.testing.assert_allclose(overlay.image, 100 * shown.tf_shares(), rtol=1e-6)
        assert "selection" in panes[name].plot.titleLabel.text
    tracks.follow_cursor(recording.onsets[2] + 0.2)  # hovering elsewhere does not take the panel away
    assert window.class_panel.explanations["spectrogram"] is tracks.selection_explanations["spectrogram"]
    window.stack.set_cursor(recording.onsets[2] + 0.2)  # a click clears the selection: the recording is back
    assert not window.pinned and not tracks.selection_explanations
    shown = window.class_panel.explanations["spectrogram"]
    assert shown.classes[shown.target] == recording.labels[2]  # the panel follows the window under the cursor
    assert panes["waveform"].relevance is window.displays["waveform"].samples_pyramid
    assert panes["spectrogram"].overlay.pyramid is window.displays["spectrogram"].tf_pyramid


def test_a_selection_is_explained_while_the_windows_threads_are_busy(window, digits):
    """A long recording's two explanations hold the window's threads until all of it is done: Shift+E must not
    wait for them."""
    import threading

    from audioxai_gui.ui.pane_stack import Selection

    _, recording = digits
    release = threading.Event()
    try:
        for channel in ("busy:1", "busy:2"):
            window.runner.submit(channel, lambda progress, cancelled: release.wait(120), on_done=lambda _: None)
        window.stack.set_selection(Selection(recording.onsets[1] - 0.1, recording.offsets[1] + 0.1))
        tracks = window.extensions["tracks"]
        tracks.explain_selection()
        _ModuleBot().waitUntil(lambda: bool(window.pinned), 1)
        assert window.runner.pending("busy:")  # still held: the selection did not need them
    finally:
        release.set()
    window.stack.clear_selection()


def test_typed_times_parse_back_to_seconds():
    assert parse_time(format_reading(3725.5, 4000.0)) == pytest.approx(3725.5)
    assert format_reading(12.5, 30.0) == "12.500 s" and parse_time("12.5 s") == 12.5
    assert parse_time("30:05.677") == pytest.approx(1805.677)
    for bad in ("", "1:75", "ten", "1::2", "-3", "1:2:3:4", "inf"):
        with pytest.raises(ValueError, match="is not a time"):
            parse_time(bad)


def test_region_table_times_read_like_the_axis(qapp):
    from audioxai_gui.annotate.regions import Region
    from audioxai_gui.ui.annotation.region_measures import EMPTY_MEASURES
    from audioxai_gui.ui.annotation.region_table import COLUMNS, RegionTableModel

    model = RegionTableModel()
    model.set_contents([Region(1805.677, 1810.5)], EMPTY_MEASURES)
    start, end = (next(i for i, c in enumerate(COLUMNS) if c.title == name) for name in ("start", "end"))
    model.set_time_span(3600.0)
    horizontal = QtCore.Qt.Orientation.Horizontal
    assert model._text(0, start) == "30:05.677" and model._text(0, end) == "30:10.500"
    assert model.headerData(start, horizontal) == "start\n(h:mm:ss)"
    model.set_time_span(1900.0)
    assert model.headerData(end, horizontal) == "end\n(m:ss)"
    model.set_contents([Region(1.5, 2.25)], EMPTY_MEASURES)
    model.set_time_span(3.0)
    assert model._text(0, start) == "1.500" and model.headerData(start, horizontal) == "start\n(s)"
    assert model.value(0, start) == 1.5, "sorting and exports still read seconds"


def _track(top, confidence, has_sound, done, segments=()):
    from audioxai_gui.explain.segments import Segment
    from audioxai_gui.ui.tracks.model import ModelTrack

    n = len(top)
    probabilities = np.zeros((n, 3), dtype=np.float32)
    probabilities[np.arange(n), top] = confidence
    probabilities[np.arange(n), (np.asarray(top) + 1) % 3] = (1 - np.asarray(confidence)) / 2
    times = np.stack([np.arange(n) * 0.5, np.arange(n) * 0.5 + 1.0], axis=1)
    segs = [Segment(a, b, "c", 0.9) for a, b in segments]
    return ModelTrack("waveform", ["a", "b", "c"], times, probabilities, np.asarray(done), np.asarray(has_sound), segs)


def test_a_track_strip_has_one_pixel_per_window_in_its_class_colour_and_opacity(qapp):
    from audioxai_gui.ui.tracks.widget import NO_SOUND_COLOUR, class_colour, strip_image

    track = _track([2, 0, 1, 1], [1.0, 0.5, 0.9, 0.9], [True, True, False, True], [True, True, True, False])
    image = strip_image(track)
    assert (image.width(), image.height()) == (4, 1)
    sure, unsure, silent, missing = (image.pixelColor(x, 0) for x in range(4))
    assert sure.rgb() == class_colour(2, 3).rgb() and sure.alpha() == 255
    assert unsure.rgb() == class_colour(0, 3).rgb() and unsure.alpha() == pytest.approx(128, abs=1)
    assert silent.rgb() == NO_SOUND_COLOUR.rgb() and silent.alpha() == 255
    assert missing.alpha() == 0  # not explained yet: nothing drawn


def test_an_hour_of_marks_is_drawn_as_at_most_one_rectangle_per_pixel_run():
    from audioxai_gui.ui.tracks.widget import covered_runs

    starts = np.arange(0, 3600, 2.0)  # a mark every 2 s: 1,800 marks
    runs = covered_runs(starts, starts + 0.5, 0.0, 3600.0, 1000)
    assert len(runs) <= 500 and runs[0][0] == 0.0
    near = covered_runs(starts, starts + 0.5, 10.0, 21.0, 1100)  # zoomed in: each mark keeps its own edges
    assert [(round(a, 2), round(b, 2)) for a, b in near] == [(t, t + 0.5) for t in np.arange(10.0, 20.1, 2.0)]


def test_visible_events_are_found_by_bisection():
    track = _track([0] * 4, [1.0] * 4, [True] * 4, [True] * 4, segments=[(0.0, 5.0), (6.0, 6.5), (8.0, 9.0)])
    assert [(s.onset, s.offset) for s in track.segments_in(4.0, 6.2)] == [(0.0, 5.0), (6.0, 6.5)]
    assert track.segments_in(9.5, 20.0) == []
