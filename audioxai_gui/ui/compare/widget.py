"""The Compare dock: a comparison's verdicts and summary beside its per-clip table; opening a row opens the clip."""

from __future__ import annotations

import html
import math

from PySide6 import QtCore, QtGui, QtWidgets

from ...evaluate.results import ClipRow, Column, ComparisonResults
from ...glossary import tip
from ..dock_layout import present_floating
from .view_model import CompareViewModel

FLOATING_SIZE = (1240, 470)
SORT_ROLE = QtCore.Qt.ItemDataRole.UserRole + 1
ASCENDING = QtCore.Qt.SortOrder.AscendingOrder
NUMBER_WIDTH = 100
# Which clips the table shows: label -> test on a row's values by column header
SHOWN = {
    "all clips": lambda values: True,
    "misclassified by either model": lambda values: any(
        values.get(f"correct\n{kind}") == 0 for kind in ("waveform", "spectrogram")
    ),
    "the models disagree": lambda values: values.get("correct\nwaveform") != values.get("correct\nspectrogram"),
}


class ClipTable(QtCore.QAbstractTableModel):
    """The clips of a comparison: name, true class, then one column per ``Column`` (numbers sort as numbers)."""

    FIXED = ("clip", "class")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.clips: list[ClipRow] = []
        self.columns: list[Column] = []
        self.values: list[dict[str, float]] = []

    def set_results(self, results: ComparisonResults | None) -> None:
        self.beginResetModel()
        self.clips = results.clips if results is not None else []
        self.columns = results.columns() if results is not None else []
        self.values = [{c.header: c.value(clip.measures) for c in self.columns} for clip in self.clips]
        self.endResetModel()

    def rowCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.clips)

    def columnCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.FIXED) + len(self.columns)

    def headerData(self, section, orientation, role=QtCore.Qt.ItemDataRole.DisplayRole):
        if orientation != QtCore.Qt.Orientation.Horizontal:
            return None
        if section < len(self.FIXED):
            texts = (self.FIXED[section], "clip file" if section == 0 else "the clip's true class (from the data set)")
        else:
            column = self.columns[section - len(self.FIXED)]
            texts = (column.header, column.meaning)
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            return texts[0]
        if role == QtCore.Qt.ItemDataRole.ToolTipRole:
            return texts[1]
        return None

    def data(self, index, role=QtCore.Qt.ItemDataRole.DisplayRole):
        clip = self.clips[index.row()]
        if index.column() < len(self.FIXED):
            text = clip.name if index.column() == 0 else clip.label
            if role in (QtCore.Qt.ItemDataRole.DisplayRole, SORT_ROLE):
                return text
            if role == QtCore.Qt.ItemDataRole.ToolTipRole:
                return clip.path
            return None
        column = self.columns[index.column() - len(self.FIXED)]
        value = self.values[index.row()][column.header]
        if role == SORT_ROLE:
            return value if math.isfinite(value) else -math.inf
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            return column.text(value)
        if role == QtCore.Qt.ItemDataRole.TextAlignmentRole:
            return int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
        return None


class ShownClips(QtCore.QSortFilterProxyModel):
    """The rows matching the text filter (clip name or class) and the chosen SHOWN test."""

    def __init__(self, table: ClipTable, parent=None):
        super().__init__(parent)
        self.table, self.shown, self.text = table, "all clips", ""
        self.setSourceModel(table)
        self.setSortRole(SORT_ROLE)

    def set_filter(self, shown: str | None = None, text: str | None = None) -> None:
        self.beginFilterChange()
        self.shown = self.shown if shown is None else shown
        self.text = self.text if text is None else text.strip().casefold()
        self.endFilterChange(QtCore.QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row: int, parent) -> bool:
        if not SHOWN[self.shown](self.table.values[row]):
            return False
        clip = self.table.clips[row]
        return not self.text or self.text in f"{clip.name} {clip.label}".casefold()


def verdicts_html(results: ComparisonResults) -> str:
    context = results.context
    items = "".join(
        f"<li><b>{html.escape(question)}</b>: {html.escape(answer)}</li>"
        for question, answer in results.verdicts.items()
    )
    return (
        f"<p><b>{html.escape(context.dataset)}</b>: {results.aggregate.clips} clips, "
        f"{html.escape(context.models['waveform'])} vs {html.escape(context.models['spectrogram'])}</p>"
        f"<ul>{items}</ul><pre style='font-size:small'>{html.escape(results.summary)}</pre>"
    )


class CompareWidget(QtWidgets.QWidget):
    def __init__(self, model: CompareViewModel, parent=None):
        super().__init__(parent)
        self.model = model
        layout = QtWidgets.QVBoxLayout(self)
        top = QtWidgets.QHBoxLayout()
        self.open_button = QtWidgets.QPushButton("Open results…")
        self.open_button.setToolTip(tip("compare_open"))
        self.status = QtWidgets.QLabel("Open the folder a 'compare' run wrote (its --out folder).")
        top.addWidget(self.open_button)
        top.addWidget(self.status, 1)
        layout.addLayout(top)

        splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        self.summary = QtWidgets.QTextBrowser()
        self.summary.setToolTip(tip("compare_verdicts"))
        splitter.addWidget(self.summary)
        right = QtWidgets.QWidget()
        column = QtWidgets.QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        filters = QtWidgets.QHBoxLayout()
        self.filter = QtWidgets.QLineEdit()
        self.filter.setPlaceholderText("filter by clip or class")
        self.filter.setToolTip(tip("compare_filter"))
        self.shown = QtWidgets.QComboBox()
        self.shown.addItems(list(SHOWN))
        self.shown.setToolTip(tip("compare_shown"))
        self.open_clip_button = QtWidgets.QPushButton("Open clip")
        self.open_clip_button.setToolTip(tip("compare_open_clip"))
        self.open_clip_button.setEnabled(False)
        filters.addWidget(self.filter, 1)
        filters.addWidget(self.shown)
        filters.addWidget(self.open_clip_button)
        column.addLayout(filters)
        self.table_model = ClipTable(self)
        self.proxy = ShownClips(self.table_model, self)
        self.table = QtWidgets.QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setToolTip(tip("compare_table"))
        column.addWidget(self.table, 1)
        splitter.addWidget(right)
        splitter.setSizes([420, 800])
        layout.addWidget(splitter, 1)

        self.open_button.clicked.connect(self.choose_folder)
        self.filter.textChanged.connect(lambda text: self.proxy.set_filter(text=text))
        self.shown.currentTextChanged.connect(lambda label: self.proxy.set_filter(shown=label))
        self.open_clip_button.clicked.connect(self.open_selected)
        self.table.doubleClicked.connect(lambda _index: self.open_selected())
        self.table.selectionModel().selectionChanged.connect(
            lambda *_: self.open_clip_button.setEnabled(self.selected() is not None)
        )
        QtGui.QShortcut(QtGui.QKeySequence("Return"), self.table, self.open_selected)
        model.loaded.connect(self.show_results)
        model.busy.connect(self._on_busy)
        model.problem.connect(self.status.setText)

    def choose_folder(self) -> None:
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Open comparison results", self.model.start_folder())
        if folder:
            self.model.open_folder(folder)

    def _on_busy(self, busy: bool) -> None:
        self.open_button.setEnabled(not busy)
        if busy:
            self.status.setText("reading the comparison…")

    def show_results(self, results: ComparisonResults) -> None:
        self.table_model.set_results(results)
        self.table.resizeColumnsToContents()
        for index in range(len(ClipTable.FIXED), self.table_model.columnCount()):  # numbers: narrow columns
            self.table.setColumnWidth(index, min(self.table.columnWidth(index), NUMBER_WIDTH))
        headers = [column.header for column in results.columns()]
        self.table.sortByColumn(len(ClipTable.FIXED) + headers.index("AOPC\nspectrogram"), ASCENDING)
        self.summary.setHtml(verdicts_html(results))
        self.status.setText(f"{results.folder} — {len(results.clips)} clips; double-click one to open it")

    def selected(self) -> ClipRow | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.table_model.clips[self.proxy.mapToSource(rows[0]).row()]

    def open_selected(self) -> None:
        clip = self.selected()
        if clip is not None:
            self.model.open_clip(clip)


def _evaluate_menu(window) -> QtWidgets.QMenu:
    """The Evaluate menu (the faithfulness extension makes it; made here when it is absent)."""
    for action in window.menuBar().actions():
        if action.menu() is not None and action.text().replace("&", "") == "Evaluate":
            return action.menu()
    return window.menuBar().addMenu("E&valuate")


def install_dock(window, model: CompareViewModel) -> QtWidgets.QDockWidget:
    """A dock, hidden until asked for from the Evaluate menu; the first time it floats above the window."""
    widget = CompareWidget(model)
    dock = QtWidgets.QDockWidget("Compare", window)
    dock.setObjectName("Compare")
    dock.setWidget(widget)
    window.addDockWidget(QtCore.Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    dock.hide()
    action = dock.toggleViewAction()
    action.setText("&Compare: results of a data set")
    action.setToolTip(tip("compare_view"))
    _evaluate_menu(window).addAction(action)
    action.triggered.connect(lambda checked: checked and present_floating(window, dock, FLOATING_SIZE))
    dock.compare_widget = widget
    return dock
