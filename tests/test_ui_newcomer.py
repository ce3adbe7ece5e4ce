"""The window on a laptop screen, as a newcomer meets it: layout at small sizes, messages, help and tooltips,
fitted and linked zoom, and the selection bar (issue 13)."""

import numpy as np
import pytest
import soundfile as sf
from PySide6 import QtCore, QtWidgets

from audioxai_gui import glossary
from audioxai_gui.glossary import GUIDE, TERMS, composite_tip, guide_html
from audioxai_gui.resources import EXAMPLE_AUDIO
from audioxai_gui.ui.dock_layout import contents_height
from audioxai_gui.ui.pane_stack import Selection
from tests.ui_support import new_window, wait_explained

LAPTOP_SIZES = [(1280, 800), (1366, 768)]
CONTROL_TYPES = (
    QtWidgets.QAbstractButton,
    QtWidgets.QComboBox,
    QtWidgets.QAbstractSpinBox,
    QtWidgets.QAbstractSlider,
    QtWidgets.QLineEdit,
)


def resize_and_settle(qtbot, window, size) -> None:
    window.resize(*size)
    qtbot.waitUntil(lambda: window.size() == QtCore.QSize(*size))
    for _ in range(3):  # the dock arrangement runs on zero-delay timers after the resize
        QtWidgets.QApplication.processEvents()
        qtbot.wait(20)


def visible_docks(window):
    """Docks on screen (a dock behind another's tab counts as visible to Qt but is parked outside the window)."""
    return [
        dock
        for dock in window.findChildren(QtWidgets.QDockWidget)
        if dock.isVisible() and not dock.isFloating() and not dock.visibleRegion().isEmpty()
    ]


@pytest.mark.parametrize("live_dock", [False, True], ids=["analysis", "live dock shown"])
@pytest.mark.parametrize("size", LAPTOP_SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_on_a_laptop_screen_nothing_overlaps_and_messages_are_visible(window, qtbot, size, live_dock):
    window.extensions["live"].dock.setVisible(live_dock)  # live mode adds its dock to the right column
    resize_and_settle(qtbot, window, size)
    hint = window.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 700, "the window must fit a 1280×700 screen"
    frame = window.rect()
    areas = [("panes", window.centralWidget().geometry(), 51)]
    # a dock whose contents are one line (the empty region table) may be that short, never shorter
    areas += [(dock.objectName(), dock.geometry(), min(51, contents_height(dock))) for dock in visible_docks(window)]
    for name, rect, least in areas:
        assert frame.contains(rect), f"{name} {rect} reaches outside the {size} window"
        assert rect.height() >= least and rect.width() > 50, f"{name} is squeezed to {rect}"
    for i, (name, rect, _) in enumerate(areas):
        for other, other_rect, _ in areas[i + 1 :]:
            assert not rect.intersects(other_rect), f"{name} {rect} overlaps {other} {other_rect}"
    for bar in (window.notifications, window.selection_bar, window.statusBar()):
        assert bar.isVisible() and frame.contains(bar.geometry()), f"{bar.objectName()} is cut off"
    # the class panel and the settings stay reachable: side by side, or as tabs of one column
    if window.right_column.tabbed:
        tabs = [bar for bar in window.findChildren(QtWidgets.QTabBar) if bar.isVisible()]
        titles = {bar.tabText(i) for bar in tabs for i in range(bar.count())}
        assert {"Classes", "Explanation settings"} <= titles
        assert ("Live" in titles) == live_dock
        assert (window.extensions["live"].dock in visible_docks(window)) == live_dock, "the opened dock is in front"
    else:
        assert all(dock in visible_docks(window) for dock in window.right_docks)


def test_docks_split_again_when_there_is_room(window, qtbot):
    resize_and_settle(qtbot, window, (1366, 768))
    assert window.right_column.tabbed
    resize_and_settle(qtbot, window, (1920, 1200))
    assert not window.right_column.tabbed
    assert all(dock.isVisible() for dock in window.right_docks)
    classes, settings = (dock.geometry() for dock in window.right_docks)
    assert not classes.intersects(settings)
    for dock in window.right_docks:  # each gets the room its contents want: no scroll bar on the class bars
        scroll = dock.widget()
        assert scroll.viewport().height() >= scroll.widget().sizeHint().height(), dock.objectName()


@pytest.mark.parametrize("size", LAPTOP_SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_visible_control_and_figure_has_a_tooltip(window, qtbot, size):
    resize_and_settle(qtbot, window, size)
    missing = []
    for widget in window.findChildren(QtWidgets.QWidget):
        if not isinstance(widget, CONTROL_TYPES) or not widget.isVisible() or widget.window() is not window:
            continue
        if widget.parent() is not None and isinstance(widget.parent(), (QtWidgets.QScrollBar, QtWidgets.QTabBar)):
            continue
        if isinstance(widget, QtWidgets.QScrollBar) or widget.objectName().startswith("qt_"):
            continue  # Qt's own scroll bars and dock title buttons
        if not widget.toolTip().strip():
            missing.append(f"{type(widget).__name__} {widget.objectName()!r} {getattr(widget, 'text', str)()!r}")
    assert not missing, "controls without a tooltip: " + "; ".join(missing)
    for pane in window.stack.panes.values():
        assert pane.plot.titleLabel.toolTip()
        assert pane.plot.getAxis("left").toolTip()
        assert pane.side_item.toolTip()
        assert all(button.toolTip() for button in pane.zoom_buttons.buttons.values())


def test_the_guide_and_the_tooltips_say_the_same_words(window, qtbot):
    from audioxai_gui.explain.composites import COMPOSITES

    html = guide_html()
    assert {key for _, keys in GUIDE for key in keys} == set(TERMS), "every term the tooltips use is in the guide"
    for heading, keys in GUIDE:
        assert heading in html
        for key in keys:
            assert TERMS[key].text in html
    from audioxai_gui.explain.composites import BIAS_FREE_SUFFIX

    assert BIAS_FREE_SUFFIX == glossary.BIAS_FREE_SUFFIX
    combo = window.controls.composites["waveform"]
    for name in COMPOSITES:  # every rule set the user can pick has its own plain sentence, not the generic one
        assert composite_tip(name) != TERMS["composite"].text, name
        index = combo.findData(name) if combo.findData(name) >= 0 else combo.findText(name)  # data: the name
        assert index >= 0 and combo.itemData(index, QtCore.Qt.ItemDataRole.ToolTipRole) == composite_tip(name)
        if name.endswith(BIAS_FREE_SUFFIX):
            assert TERMS["composite:-NoBias"].text in composite_tip(name)
    for term in ("conservation", "relevance_mass", "rank_accuracy", "chance", "live_counters"):
        assert TERMS[term].text in html
    conservation_tip = window.class_panel.columns["waveform"].summary.toolTip()
    assert TERMS["conservation"].text in conservation_tip
    assert TERMS["clip_percentile"].text == window.controls.clip_percentile.toolTip()

    help_controller = window.extensions["help"]
    help_controller.guide_action.trigger()
    assert help_controller.guide.isVisible()
    assert "Conservation" in help_controller.guide.browser.toPlainText()


def test_messages_that_matter_stay_in_the_message_area(window, qtbot, tmp_path):
    bar = window.notifications
    assert "built-in example" in bar.text and "Ctrl+O" in bar.text  # the first-start hint
    window.show_problem("Cannot play: no audio output device")
    assert bar.level == "error" and "no audio output device" in bar.text
    path = tmp_path / "view.png"
    window._run_reporting(lambda: None, OSError, f"exported to {path}")
    assert bar.level == "success" and str(path) in bar.text
    assert any("no audio output device" in text for _, _, text in bar.history)
    bar.dismiss_button.click()
    assert "built-in example" in bar.text


def test_once_the_users_own_file_is_open_the_hint_says_what_is_open_not_how_to_open(window, qtbot, tmp_path):
    import shutil

    bar = window.notifications
    path = tmp_path / "my recording.wav"
    shutil.copy(EXAMPLE_AUDIO, path)
    window.open_file(path)
    wait_explained(qtbot, window)
    assert "Ctrl+O" not in bar.text and "built-in example" not in bar.text
    assert "my recording.wav · 1." in bar.text and "Shift+E" in bar.text  # the name, its length in seconds
    window.show_problem("Cannot play: no audio output device")
    bar.dismiss_button.click()
    assert "my recording.wav" in bar.text, "dismissing a message returns to the open file's line"


def test_linked_frequency_zoom_and_ctrl_f_fits_time_frequency_and_amplitude(window, qtbot):
    stack = window.stack
    spectrogram, projected = stack.panes["spectrogram"], stack.panes["waveform_tf"]
    spectrogram.zoom_buttons.buttons["zoom in"].clicked.emit(None)
    spectrogram.zoom_buttons.buttons["zoom in"].clicked.emit(None)
    shown = [spectrogram.hz_at(y) for y in spectrogram.view.viewRange()[1]]
    linked = [projected.hz_at(y) for y in projected.view.viewRange()[1]]
    assert shown[1] - shown[0] < 0.3 * 4000
    assert linked == pytest.approx(shown, rel=1e-6), "the spectrogram panes share one frequency axis"
    # and back from the other pane
    view = projected.view
    view.setYRange(1000.0, 2000.0, padding=0)
    view.sigRangeChangedManually.emit(view.state["mouseEnabled"])  # as a Ctrl+wheel or a pan emits it
    assert [spectrogram.hz_at(y) for y in spectrogram.view.viewRange()[1]] == pytest.approx([1000.0, 2000.0])

    waveform = stack.panes["waveform"]
    waveform.zoom_vertical(0.25)
    stack.set_time_range(0.3, 0.5)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_F, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert stack.time_range() == pytest.approx((0.0, stack.duration), abs=1e-6)
    for pane in stack.panes.values():
        assert pane.view.viewRange()[1] == pytest.approx(list(pane.full_y_range()), rel=1e-6), pane.name
    low, high = spectrogram.view.viewRange()[1]
    assert (spectrogram.hz_at(low), spectrogram.hz_at(high)) == pytest.approx((0.0, 4000.0), abs=20.0)  # band edges


def test_a_quiet_clip_fills_the_waveform_pane_with_its_scale_shown(qtbot, tmp_path, backend):
    rate = 8000
    t = np.arange(rate) / rate
    quiet = 0.023 * np.sin(2 * np.pi * 440 * t) * np.hanning(rate)
    path = tmp_path / "quiet.wav"
    sf.write(path, quiet.astype(np.float32), rate, subtype="FLOAT")
    window = new_window(qtbot, tmp_path, backend)
    window.open_file(path)
    wait_explained(qtbot, window)
    pane = window.stack.panes["waveform"]
    low, high = pane.view.viewRange()[1]
    assert high == pytest.approx(0.023 * 1.05, rel=0.02) and low == pytest.approx(-high)
    assert "peak 0.023" in pane.plot.getAxis("left").labelText
    _, relevance = pane.positive.getData()
    assert relevance is not None and np.abs(relevance).max() <= high + 1e-9, "the relevance curve fits the axis"
    assert np.abs(relevance).max() > 0.5 * 0.023, "and fills it"


def test_the_selection_bar_follows_a_drag_and_typing_moves_the_selection(window, qtbot):
    stack, bar = window.stack, window.selection_bar
    spectrogram = stack.panes["spectrogram"]
    low, high = spectrogram.frequency_scale.to_display([500.0, 1500.0])
    spectrogram.view.selectionDragged.emit(QtCore.QRectF(0.2, low, 0.3, high - low), True)
    fields = bar.fields
    assert fields["start"].value() == pytest.approx(0.2, abs=1e-3)
    assert fields["end"].value() == pytest.approx(0.5, abs=1e-3)
    assert fields["length"].value() == pytest.approx(0.3, abs=1e-3)
    assert (fields["low_hz"].value(), fields["high_hz"].value()) == pytest.approx((500.0, 1500.0), abs=1.0)

    def type_into(name, text):
        field = fields[name]
        field.lineEdit().selectAll()
        qtbot.keyClicks(field.lineEdit(), text)
        qtbot.keyClick(field.lineEdit(), QtCore.Qt.Key.Key_Return)

    type_into("end", "0.7")
    assert (stack.selection.start, stack.selection.end) == pytest.approx((0.2, 0.7), abs=1e-3)
    type_into("length", "0.1")
    assert stack.selection.end == pytest.approx(0.3, abs=1e-3)
    type_into("high_hz", "2500")
    assert (stack.selection.low_hz, stack.selection.high_hz) == pytest.approx((500.0, 2500.0), abs=1.0)
    box = spectrogram.box.rect()
    assert spectrogram.box.isVisible() and box.left() == pytest.approx(0.2, abs=1e-3)
    assert not spectrogram.selection.isVisible(), "a box selection is the box alone, no full-height band"
    type_into("start", "0.5")  # a new start moves the selection and keeps its length
    assert (stack.selection.start, stack.selection.end) == pytest.approx((0.5, 0.6), abs=1e-3)
    assert window.stack.panes["waveform"].selection.getRegion() == pytest.approx((0.5, 0.6), abs=1e-3)

    stack.set_selection(Selection(0.1, 0.4))  # a time range: no frequencies shown
    assert fields["low_hz"].text() == "–"
    type_into("low_hz", "1000")  # typing a frequency makes it a box up to the top
    assert stack.selection.low_hz == pytest.approx(1000.0) and stack.selection.high_hz == pytest.approx(4000.0)


def test_regions_keep_the_relevance_visible_and_their_labels_apart(qtbot, tmp_path, backend):
    import shutil

    from audioxai_gui.annotate.regions import Region
    from audioxai_gui.ui.annotation.edit_dialog import RegionEditDialog
    from audioxai_gui.ui.annotation.region_items import BOX_TAG_SPAN, LABEL_HEIGHTS, STYLES
    from audioxai_gui.ui.annotation.region_table import COLUMNS

    path = tmp_path / "clip.wav"  # a copy: the regions autosave beside the audio
    shutil.copy(EXAMPLE_AUDIO, path)
    window = new_window(qtbot, tmp_path, backend)
    window.open_file(path)
    wait_explained(qtbot, window)
    annotation = window.extensions["annotation"]
    first = annotation.document.add(Region(0.20, 0.30, label="seven", note="the vowel"))
    second = annotation.document.add(Region(0.30, 0.40, label="seven"))
    box = annotation.document.add(Region(0.5, 0.7, 300.0, 2412.3456, label="formant"))
    annotation.sync()
    for style in STYLES.values():  # a faint fill: the red and blue beneath keep their colour
        assert style.brush.color().alpha() <= 30
    labels = {rid: annotation.overlay.items_for(rid)["waveform"].label.orthoPos for rid in (first.id, second.id)}
    for pane in ("waveform", "spectrogram"):  # the label shows its text (it went blank when shown again)
        assert annotation.overlay.items_for(first.id)[pane].label.textItem.toPlainText() == "seven"
    assert labels[first.id] != labels[second.id], "neighbouring labels sit at different heights"
    assert set(labels.values()) <= set(LABEL_HEIGHTS)
    tag = annotation.overlay.items_for(box.id)["waveform"]
    assert tuple(tag.span) == BOX_TAG_SPAN, "a box is a tag on the waveform pane, not a full-height band"
    assert "note" in [column.title for column in COLUMNS]
    row = annotation.table.model.row_of(first.id)
    assert annotation.table.model.value(row, [c.title for c in COLUMNS].index("note")) == "the vowel"
    annotation.open_suggestions()  # the dashed proposals carry no tags that would hide them (the list names them)
    dialog = annotation.suggest_dialog
    assert dialog.proposals and dialog.listing.wordWrap()
    for proposal in dialog.proposals:
        assert not any(item.label.isVisible() for item in annotation.proposals.items_for(proposal.id).values())
    dialog.reject()
    title = RegionEditDialog(annotation.document.get(box.id), [])
    assert title.windowTitle() == "Edit region “formant” (0.500–0.700 s, 300–2412 Hz)"
    assert box.id not in title.windowTitle()


@pytest.mark.parametrize(
    ("duration", "shown", "typed", "expected"),
    [
        (1805.9, "30:05.677", "30:00.5", 1800.5),  # a long recording reads a clock, as its time axis does
        (1805.9, "30:05.677", "95.25", 95.25),  # plain seconds are still understood
        (1805.9, "30:05.677", "1:00:00", None),  # past the end: refused, the selection stays
        (20.0, "1.677 s", "0:02.5", 2.5),  # a short one reads seconds and takes a clock too
    ],
)
def test_readout_and_selection_bar_read_the_time_like_the_axis(qtbot, duration, shown, typed, expected):
    from audioxai_gui.ui.pane_stack import PaneStack
    from audioxai_gui.ui.selection_bar import SelectionBar

    stack = PaneStack()
    qtbot.addWidget(stack.widget)
    stack.set_duration(duration)
    bar = SelectionBar(stack)
    qtbot.addWidget(bar)
    cursor = 1805.677 if duration > 60 else 1.677
    assert stack.panes["waveform"].readout(cursor, 0.0).startswith(f"t = {shown}")
    assert stack.panes["spectrogram"].readout(cursor, 100.0).startswith(f"t = {shown}   f = ")
    stack.set_selection(Selection(cursor - 1.0, cursor))
    assert bar.fields["end"].text() == shown
    assert bar.fields["length"].text() == ("0:01.000" if duration > 60 else "1.000 s")

    field = bar.fields["start"]
    field.lineEdit().selectAll()
    qtbot.keyClicks(field.lineEdit(), typed)
    qtbot.keyClick(field.lineEdit(), QtCore.Qt.Key.Key_Return)
    if expected is None:
        assert stack.selection.start == pytest.approx(cursor - 1.0, abs=1e-3)
    else:  # a typed start moves the selection and keeps its length
        assert (stack.selection.start, stack.selection.end) == pytest.approx((expected, expected + 1.0), abs=1e-3)
    qtbot.keyClicks(field.lineEdit(), "abc")  # letters are not taken
    assert not any(c.isalpha() and c != "s" for c in field.lineEdit().text())


def test_an_empty_region_table_is_one_line_and_gives_its_room_to_the_plots(qtbot, tmp_path, backend):
    import shutil

    from audioxai_gui.annotate.regions import Region
    from audioxai_gui.ui.annotation.region_table import NOTHING_TO_COMPARE

    path = tmp_path / "clip.wav"  # a copy: the regions autosave beside the audio
    shutil.copy(EXAMPLE_AUDIO, path)
    window = new_window(qtbot, tmp_path, backend)
    window.open_file(path)
    wait_explained(qtbot, window)
    resize_and_settle(qtbot, window, (1366, 768))
    annotation = window.extensions["annotation"]
    qtbot.waitUntil(lambda: annotation.loading is None)
    table, dock = annotation.table, annotation.dock
    assert table.empty_label.isVisible() and "No regions yet" in table.empty_label.text()
    assert not table.splitter.isVisible() and dock.height() <= 60, f"an empty table takes {dock.height()} px"
    plots = window.centralWidget().height()

    region = annotation.document.add(Region(0.2, 0.5))
    qtbot.waitUntil(lambda: table.splitter.isVisible() and dock.height() >= 120)
    assert not table.empty_label.isVisible() and window.centralWidget().height() < plots
    qtbot.waitUntil(lambda: table.agreement.summary.rowCount() > 0)  # measured once the explanations are in

    annotation.document.remove(region.id)
    qtbot.waitUntil(lambda: dock.height() <= 60)
    assert table.agreement.verdict.text() == NOTHING_TO_COMPARE, "no rows of 0.00 for regions that are not there"
    assert table.agreement.summary.rowCount() == 0 and table.agreement.summary.isHidden()
