"""The annotation extension in the real window, offscreen: regions, table measures, undo, files, suggestions."""

import shutil

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from audioxai_gui.annotate.agreement import TIME_FREQUENCY
from audioxai_gui.annotate.measures import ALL_REGIONS, RelevanceMap, alignment
from audioxai_gui.annotate.regions import Region
from audioxai_gui.annotate.sidecar import sidecar_path
from audioxai_gui.resources import EXAMPLE_AUDIO
from audioxai_gui.ui.annotation.edit_dialog import RegionEditDialog
from audioxai_gui.ui.annotation.region_table import COLUMNS
from audioxai_gui.ui.main_window import MainWindow
from audioxai_gui.ui.pane_stack import Selection
from tests.ui_support import TIMEOUT_MS, make_backend, new_window, wait_explained

AUTOSAVE_LIMIT_MS = 2_000


@pytest.fixture(scope="module")
def backend(model_pair):
    from audioxai_gui.explain.engine import ExplanationEngine

    return make_backend(ExplanationEngine("cpu"), model_pair)


@pytest.fixture
def audio_path(tmp_path):
    """A copy of the example clip, so sidecars are written in the test's folder."""
    path = tmp_path / "clip.wav"
    shutil.copy(EXAMPLE_AUDIO, path)
    return path


@pytest.fixture
def dialogs(monkeypatch):
    """Every message box the window shows, as (kind, text), instead of a modal dialog."""
    shown = []
    for kind in ("warning", "critical", "information"):
        monkeypatch.setattr(
            QtWidgets.QMessageBox, kind, lambda parent, title, text, *a, k=kind: shown.append((k, text))
        )
    return shown


def open_window(qtbot, tmp_path, backend, path, explained=True) -> MainWindow:
    window = new_window(qtbot, tmp_path, backend)
    window.open_file(path)
    if explained:
        wait_explained(qtbot, window)
    else:
        qtbot.waitUntil(lambda: window.clip is not None, timeout=TIMEOUT_MS)
    annotation = window.extensions["annotation"]
    annotation.sync()
    qtbot.waitUntil(lambda: annotation.loading is None, timeout=TIMEOUT_MS)  # saved regions load in a worker
    return window


@pytest.fixture
def window(qtbot, tmp_path, backend, audio_path):
    return open_window(qtbot, tmp_path, backend, audio_path)


@pytest.fixture
def annotation(window):
    return window.extensions["annotation"]


def drag(window, pane_name: str, rect: QtCore.QRectF) -> None:
    """A left-drag on a pane as its view box reports it: intermediate positions, then the finished one."""
    view = window.stack.panes[pane_name].view
    view.selectionDragged.emit(QtCore.QRectF(rect.left(), rect.top(), rect.width() / 2, rect.height()), False)
    view.selectionDragged.emit(rect, True)


def add(annotation, start, end, low=None, high=None) -> Region:
    annotation.stack.set_selection(Selection(start, end, low, high))
    return annotation.add_from_selection()


def body_drag_step(item, offset: float) -> None:
    """One mouse move of a drag on a region's body, as LinearRegionItem.mouseDragEvent does it."""
    start, end = item.region.start, item.region.end
    item.lines[0].blockSignals(True)
    item.lines[0].setPos(0.2 + offset)
    item.lines[1].setPos(0.2 + offset + (end - start))
    item.lines[0].blockSignals(False)
    item.sigRegionChanged.emit(item)


def action(window, text: str):
    return next(a for a in window.actions() if a.text().replace("&", "").startswith(text))


def test_annotate_mode_turns_a_drag_into_a_time_region_or_a_box(window, annotation):
    drag(window, "waveform", QtCore.QRectF(0.2, -0.5, 0.3, 1.0))
    assert len(annotation.document) == 0  # not in annotate mode: a drag only selects
    annotation.annotate_action.trigger()
    drag(window, "waveform", QtCore.QRectF(0.2, -0.5, 0.3, 1.0))
    drag(window, "spectrogram", QtCore.QRectF(0.6, 500.0, 0.3, 1500.0))
    time_region, box = annotation.document.regions
    assert (time_region.kind, time_region.start, time_region.end) == ("time", pytest.approx(0.2), pytest.approx(0.5))
    assert box.kind == "box"
    assert (box.start, box.end, box.low_hz, box.high_hz) == pytest.approx((0.6, 0.9, 500.0, 2000.0))
    # the time region on every pane; the box as a rectangle on both spectrogram panes, its span on the waveform
    assert set(annotation.overlay.items_for(time_region.id)) == set(window.stack.panes)
    box_items = annotation.overlay.items_for(box.id)
    assert set(box_items) == set(window.stack.panes)
    assert box_items["spectrogram"].pos()[1] == pytest.approx(500.0) and box_items["waveform"].getRegion() == (
        pytest.approx(0.6),
        pytest.approx(0.9),
    )
    selection = window.stack.selection
    assert annotation.selected_id == box.id
    assert (selection.start, selection.end, selection.low_hz, selection.high_hz) == pytest.approx((0.6, 0.9, 500, 2000))


def test_table_shows_the_measures_of_measures_py(window, annotation, qtbot):
    regions = [add(annotation, 0.1, 0.4), add(annotation, 0.6, 0.95, 200.0, 1800.0)]
    qtbot.waitUntil(
        lambda: annotation.measures.get("spectrogram", TIME_FREQUENCY, regions[1].id) is not None, timeout=5000
    )
    duration = window.clip.duration
    wave = window.displays["waveform"].explanation
    spec = window.displays["spectrogram"].explanation
    maps = {
        "Wave time": RelevanceMap.per_sample(wave.relevance, wave.sample_rate).cropped(duration),
        "Spec TF": RelevanceMap(spec.tf_relevance, spec.frame_times(), spec.band_frequencies()).cropped(duration),
    }
    model = annotation.table.model
    titles = [column.title.replace("\n", " ") for column in COLUMNS]
    assert model.rowCount() == 3 and model.value(2, titles.index("label")) == "All regions"
    for name, relevance in maps.items():
        for row, subset in ((0, regions[:1]), (1, regions[1:]), (2, regions)):
            expected = alignment(relevance, subset)
            assert model.value(row, titles.index(f"{name} mass")) == pytest.approx(expected.mass, abs=1e-12)
            assert model.value(row, titles.index(f"{name} rank acc.")) == pytest.approx(
                expected.rank_accuracy, abs=1e-12, nan_ok=True
            )
        shown = model.data(model.index(2, titles.index(f"{name} mass")))
        assert shown == f"{alignment(relevance, regions).mass:.2f}"
    assert model.value(0, titles.index("chance time")) == pytest.approx(0.3 / duration, abs=2 / wave.sample_rate)
    summary_roles = {row.input_kind for row in annotation.measures.summary}
    assert summary_roles == {"waveform", "spectrogram"}
    verdict = annotation.table.agreement.verdict.text()
    assert "agree" in verdict and f"chance {alignment(maps['Spec TF'], regions).baseline:.2f}" in verdict


def test_sorting_keeps_all_regions_last_and_selecting_a_row_zooms_to_the_region(window, annotation, qtbot):
    first, second = add(annotation, 0.7, 0.9), add(annotation, 0.2, 0.5)
    view, proxy = annotation.table.view, annotation.table.model
    starts = [proxy.index(row, 0).data() for row in range(proxy.rowCount())]
    assert starts == ["0.200", "0.700", ""]
    view.sortByColumn(0, QtCore.Qt.SortOrder.DescendingOrder)
    assert [proxy.index(row, 0).data() for row in range(proxy.rowCount())] == ["0.700", "0.200", ""]
    view.selectRow(0)
    assert annotation.selected_id == first.id
    start, end = window.stack.time_range()
    assert start == pytest.approx(0.7 - 0.15 * 0.2) and end == pytest.approx(0.9 + 0.15 * 0.2)
    assert annotation.overlay.items_for(first.id)["waveform"].lines[0].pen.widthF() == 3.0  # emphasised
    assert annotation.overlay.items_for(second.id) == {}  # out of view: not drawn
    window.stack.fit()
    qtbot.waitUntil(lambda: "waveform" in annotation.overlay.items_for(second.id))  # drawn once in view
    assert annotation.overlay.items_for(second.id)["waveform"].lines[0].pen.widthF() < 3.0


def test_dragging_an_item_is_one_undo_step_and_delete_removes_the_region(window, annotation):
    region = add(annotation, 0.2, 0.5)
    item = annotation.overlay.items_for(region.id)["spectrogram"]
    for offset in (0.05, 0.1, 0.15):
        body_drag_step(item, offset)
    item.sigRegionChangeFinished.emit(item)
    moved = annotation.document.get(region.id)
    assert (moved.start, moved.end) == pytest.approx((0.35, 0.65))
    assert annotation.overlay.items_for(region.id)["waveform"].getRegion() == (pytest.approx(0.35), pytest.approx(0.65))
    item.lines[1].setValue(0.9)  # then an edge drag: a separate step
    item.sigRegionChangeFinished.emit(item)
    assert annotation.document.get(region.id).end == pytest.approx(0.9)
    undo, redo = action(window, "Undo"), action(window, "Redo")
    assert undo.shortcut().toString() == "Ctrl+Z" and redo.shortcut().toString() == "Ctrl+Shift+Z"
    undo.trigger()
    assert annotation.document.get(region.id).end == pytest.approx(0.65)
    undo.trigger()
    assert (annotation.document.get(region.id).start, annotation.document.get(region.id).end) == (0.2, 0.5)
    redo.trigger()
    assert annotation.document.get(region.id).start == pytest.approx(0.35)

    annotation.select(region.id)
    action(window, "Delete region").trigger()
    assert len(annotation.document) == 0 and annotation.overlay.items_for(region.id) == {}
    undo.trigger()
    assert annotation.document.regions[0].id == region.id


def test_tab_and_shift_tab_move_the_cursor_to_the_next_and_previous_region(window, annotation, qtbot):
    later, earlier = add(annotation, 0.7, 0.9), add(annotation, 0.2, 0.4)
    window.stack.set_cursor(0.0)
    window.activateWindow()
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Tab)
    assert window.stack.cursor_time == pytest.approx(0.2) and annotation.selected_id == earlier.id
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Tab)
    assert window.stack.cursor_time == pytest.approx(0.7) and annotation.selected_id == later.id
    start, end = window.stack.time_range()
    assert start <= 0.7 and end >= 0.9
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Backtab, QtCore.Qt.KeyboardModifier.ShiftModifier)
    assert annotation.selected_id == earlier.id


def test_space_plays_the_selected_region(window, annotation, qtbot):
    region = add(annotation, 0.5, 0.9)
    window.stack.set_cursor(0.0)
    annotation.select(region.id)
    window.activateWindow()
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Space)
    player, rate = window.playback.player, window.clip.audio.sample_rate
    assert player.is_playing
    assert (player._start, player._end) == (round(0.5 * rate), round(0.9 * rate))


def test_double_click_edits_label_from_the_class_names_and_note(window, annotation, monkeypatch):
    region = add(annotation, 0.2, 0.5)
    offered = []

    def fill_in(dialog):
        offered.extend(dialog.label.itemText(i) for i in range(dialog.label.count()))
        dialog.label.setCurrentText(offered[1])
        dialog.note.setText("formant onset")
        return QtWidgets.QDialog.DialogCode.Accepted

    monkeypatch.setattr(RegionEditDialog, "exec", fill_in)
    annotation.overlay.regionClicked.emit(region.id, True)
    assert offered == list(window.backend.models["waveform"].card.classes)
    edited = annotation.document.get(region.id)
    assert (edited.label, edited.note) == (offered[1], "formant onset")
    assert annotation.overlay.items_for(region.id)["waveform"].label.textItem.toPlainText() == offered[1]
    assert action(window, "Undo").text().replace("&", "") == "Undo edit label"


def test_autosave_writes_within_two_seconds_and_reopening_restores(qtbot, tmp_path, backend, window, audio_path):
    annotation = window.extensions["annotation"]
    region = add(annotation, 0.25, 0.75, 100.0, 900.0)
    annotation.document.update(region.id, label="seven")
    qtbot.waitUntil(lambda: sidecar_path(audio_path).is_file(), timeout=AUTOSAVE_LIMIT_MS)
    reopened = open_window(qtbot, tmp_path, backend, audio_path, explained=False)
    assert reopened.extensions["annotation"].document.regions == (annotation.document.get(region.id),)


def test_a_corrupt_sidecar_is_kept_aside_and_reported(qtbot, tmp_path, backend, audio_path, dialogs):
    sidecar_path(audio_path).write_text("{ not json", encoding="utf-8")
    window = open_window(qtbot, tmp_path, backend, audio_path, explained=False)
    kept = list(tmp_path.glob("clip.wav.axai.json.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8") == "{ not json"
    assert len(dialogs) == 1 and str(kept[0]) in dialogs[0][1]
    assert len(window.extensions["annotation"].document) == 0


@pytest.mark.parametrize("format_name", ["audacity", "raven"])
def test_export_then_import_through_the_menus_round_trips(window, annotation, tmp_path, monkeypatch, format_name):
    add(annotation, 0.1, 0.4)
    box = add(annotation, 0.6, 0.9, 250.0, 1250.0)
    annotation.document.update(box.id, label="nine")
    before = [(r.start, r.end, r.low_hz, r.high_hz, r.label) for r in annotation.document]
    target = tmp_path / f"out-{format_name}"
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", lambda *a, **k: None)
    annotation.export_actions[format_name].trigger()
    written = next(tmp_path.glob(f"out-{format_name}*"))
    assert written.name.endswith(".txt")
    for region in list(annotation.document):
        annotation.document.remove(region.id)

    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName", lambda *a, **k: (str(written), ""))
    annotation.import_actions[format_name].trigger()
    after = sorted((r.start, r.end, r.low_hz, r.high_hz, r.label) for r in annotation.document)
    assert len(after) == 2
    for got, want in zip(after, sorted(before, key=lambda r: r[0]), strict=True):
        assert got[:2] == pytest.approx(want[:2], abs=1e-5) and got[4] == want[4]
    assert after[1][2:4] == pytest.approx((250.0, 1250.0), abs=1e-3)
    action(window, "Undo").trigger()  # the whole import is one step
    assert len(annotation.document) == 0


def test_export_adds_each_models_measures_and_a_bad_import_names_the_line(
    window, annotation, tmp_path, monkeypatch, dialogs
):
    region = add(annotation, 0.2, 0.6)
    target = tmp_path / "table.csv"
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    annotation.export_actions["csv"].trigger()
    header, row = target.read_text(encoding="utf-8").splitlines()[:2]
    assert "waveform_time_mass" in header and "spectrogram_time_frequency_rank_accuracy" in header
    wave = window.displays["waveform"].explanation
    relevance = RelevanceMap.per_sample(wave.relevance, wave.sample_rate).cropped(window.clip.duration)
    mass = float(row.split(",")[header.split(",").index("waveform_time_mass")])
    assert mass == pytest.approx(alignment(relevance, [region]).mass, rel=1e-6)

    bad = tmp_path / "bad.txt"
    bad.write_text("0.1\t0.2\tone\n0.5\toops\ttwo\n", encoding="utf-8")
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName", lambda *a, **k: (str(bad), ""))
    annotation.import_actions["audacity"].trigger()
    assert len(annotation.document) == 1  # nothing imported
    assert "line 2" in dialogs[-1][1] and "bad.txt" in dialogs[-1][1]


def test_suggestions_are_only_added_when_accepted(window, annotation):
    dialog = annotation.open_suggestions()
    dialog.model.setCurrentIndex(dialog.model.findData("spectrogram"))
    dialog.top_percent.setValue(30)
    assert dialog.proposals, dialog.message.text()
    assert len(annotation.document) == 0
    drawn = annotation.proposals.items_for(dialog.proposals[0].id)
    assert drawn and drawn["spectrogram"].pen.style() == QtCore.Qt.PenStyle.DashLine
    dialog.reject_button.click()
    assert len(annotation.document) == 0 and annotation.proposals.items_for(dialog.proposals[0].id) == {}

    dialog = annotation.open_suggestions()
    dialog.model.setCurrentIndex(dialog.model.findData("spectrogram"))
    dialog.kind.setCurrentIndex(dialog.kind.findData("time"))
    proposals = dialog.proposals
    assert proposals and all(not region.is_box for region in proposals)
    dialog.listing.item(0).setCheckState(QtCore.Qt.CheckState.Unchecked)
    dialog.accept_checked_button.click()
    assert [r.id for r in annotation.document] == [r.id for r in proposals[1:]]
    action(window, "Undo").trigger()
    assert len(annotation.document) == 0
    assert np.all([r.end <= window.clip.duration for r in proposals])
    assert ALL_REGIONS not in {r.id for r in proposals}
