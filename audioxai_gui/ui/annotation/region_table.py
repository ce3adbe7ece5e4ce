"""The region table dock: one row per region with each model's agreement, an "All regions" row, and the verdict.
With no regions it is one line saying how to make one (the plots keep the room on a small screen).

Columns are a registry (title, value, tooltip), so the table, its sorting and its tooltips read one list.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6 import QtCore, QtGui, QtWidgets

from ...annotate.agreement import TIME, TIME_FREQUENCY
from ...annotate.measures import ALL_REGIONS
from ...annotate.regions import Region
from ...glossary import tip
from ..time_axis import format_time, time_unit
from .region_measures import EMPTY_MEASURES, MEASURED, RegionMeasures

ALL_ROW_LABEL = "All regions"
EMPTY_TEXT = "No regions yet — drag in Annotate mode (A) to mark one"
NOTHING_TO_COMPARE = "Nothing to compare yet: mark a region and each model's agreement with it shows here."
REGION_ID_ROLE = QtCore.Qt.ItemDataRole.UserRole + 1
MODEL_SHORT = {"waveform": "Wave", "spectrogram": "Spec"}
DOMAIN_SHORT = {TIME: "time", TIME_FREQUENCY: "TF"}
DOMAIN_LONG = {TIME: "in time", TIME_FREQUENCY: "in time–frequency"}


@dataclass(frozen=True)
class Column:
    title: str
    value: Callable[[Region | None, RegionMeasures], object]  # region None: the all-regions row
    tooltip: str
    number_format: str = ""  # format spec for numbers; "" shows text
    is_time: bool = False  # a time on the recording: seconds, or a clock on long ones (as the time axis reads)


def _region_field(name: str) -> Callable[[Region | None, RegionMeasures], object]:
    return lambda region, measures: getattr(region, name) if region is not None else None


def _measure(role: str, domain: str, field: str) -> Callable[[Region | None, RegionMeasures], object]:
    def value(region: Region | None, measures: RegionMeasures):
        row = measures.get(role, domain, region.id if region is not None else ALL_REGIONS)
        return None if row is None else getattr(row, field)

    return value


def _measure_columns() -> list[Column]:
    columns = []
    for role, domain in MEASURED:
        name = f"{MODEL_SHORT[role]} {DOMAIN_SHORT[domain]}"
        where = f"{role.capitalize()} model's relevance {DOMAIN_LONG[domain]}, for the explained class"
        columns += [
            Column(f"{name}\nmass", _measure(role, domain, "mass"), f"{where}. {tip('relevance_mass')}", ".2f"),
            Column(
                f"{name}\nrank acc.", _measure(role, domain, "rank_accuracy"), f"{where}. {tip('rank_accuracy')}", ".2f"
            ),
        ]
    for domain in (TIME, TIME_FREQUENCY):
        role = next(role for role, measured in MEASURED if measured == domain)
        columns.append(
            Column(
                f"chance\n{DOMAIN_SHORT[domain]}",
                _measure(role, domain, "baseline"),
                f"{DOMAIN_LONG[domain].capitalize()}. {tip('chance')}",
                ".2f",
            )
        )
    return columns


COLUMNS: list[Column] = [
    Column("start", _region_field("start"), "Start time", ".3f", is_time=True),
    Column("end", _region_field("end"), "End time", ".3f", is_time=True),
    Column("low\n(Hz)", _region_field("low_hz"), "Lowest frequency of a box (blank: all frequencies)", ".0f"),
    Column("high\n(Hz)", _region_field("high_hz"), "Highest frequency of a box", ".0f"),
    Column(
        "label",
        lambda region, measures: region.label if region is not None else ALL_ROW_LABEL,
        "Double-click to edit the label and note",
    ),
    Column("note", _region_field("note"), "Your note on the region; double-click to edit it"),
    *_measure_columns(),
]
START_COLUMN = 0
NOT_A_NUMBER = "–"


def _sort_key(value) -> tuple:
    """Blanks and NaN sort before every number; text sorts case-insensitively."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return (0, 0)
    return (1, value.casefold() if isinstance(value, str) else value)


class RegionTableModel(QtCore.QAbstractTableModel):
    """Rows: the regions in the chosen order, then "All regions" (when there is at least one region).

    The model sorts itself in Python (one key per row): a sort proxy asked Python for two values per comparison,
    which froze the window for seconds on every edit once a sidecar held thousands of regions.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.regions: tuple[Region, ...] = ()
        self.measures = EMPTY_MEASURES
        self.sort_column, self.sort_order = START_COLUMN, QtCore.Qt.SortOrder.AscendingOrder
        self.time_span = 0.0  # the recording's duration: start and end read a clock on long ones

    def set_time_span(self, seconds: float) -> None:
        self.beginResetModel()
        self.time_span = seconds
        self.endResetModel()

    def set_contents(self, regions: Sequence[Region], measures: RegionMeasures) -> None:
        self.beginResetModel()
        self.measures = measures
        self.regions = self._sorted(regions)
        self.endResetModel()

    def sort(self, column: int, order=QtCore.Qt.SortOrder.AscendingOrder) -> None:
        self.sort_column, self.sort_order = column, order
        self.layoutAboutToBeChanged.emit()
        before = self.regions
        self.regions = self._sorted(before)
        new_rows = {region.id: row for row, region in enumerate(self.regions)}
        for index in self.persistentIndexList():  # the selection follows its region
            if index.row() < len(before):
                self.changePersistentIndex(index, self.index(new_rows[before[index.row()].id], index.column()))
        self.layoutChanged.emit()

    def _sorted(self, regions: Sequence[Region]) -> tuple[Region, ...]:
        value = COLUMNS[self.sort_column].value
        descending = self.sort_order == QtCore.Qt.SortOrder.DescendingOrder
        return tuple(sorted(regions, key=lambda region: _sort_key(value(region, self.measures)), reverse=descending))

    def region_at(self, row: int) -> Region | None:
        return self.regions[row] if row < len(self.regions) else None

    def row_of(self, region_id: str) -> int | None:
        return next((row for row, region in enumerate(self.regions) if region.id == region_id), None)

    def value(self, row: int, column: int):
        return COLUMNS[column].value(self.region_at(row), self.measures)

    def rowCount(self, parent=None) -> int:
        return len(self.regions) + 1 if self.regions and not (parent and parent.isValid()) else 0

    def columnCount(self, parent=None) -> int:
        return 0 if parent and parent.isValid() else len(COLUMNS)

    def data(self, index: QtCore.QModelIndex, role=QtCore.Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        region = self.region_at(row)
        if role == REGION_ID_ROLE:
            return region.id if region is not None else ALL_REGIONS
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == QtCore.Qt.ItemDataRole.ToolTipRole:
            return self._reason(row) if self._text(row, column) == NOT_A_NUMBER else COLUMNS[column].tooltip
        if role == QtCore.Qt.ItemDataRole.FontRole and region is None:
            font = QtGui.QFont()
            font.setBold(True)
            return font
        if role == QtCore.Qt.ItemDataRole.TextAlignmentRole and COLUMNS[column].number_format:
            return int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, row: int, column: int) -> str:
        value, spec = self.value(row, column), COLUMNS[column].number_format
        if value is None:
            return ""
        if spec and isinstance(value, float):
            if COLUMNS[column].is_time and not math.isnan(value):
                return format_time(value, self.time_span)
            return NOT_A_NUMBER if math.isnan(value) else format(value, spec)
        return str(value)

    def _reason(self, row: int) -> str:
        region = self.region_at(row)
        region_id = region.id if region is not None else ALL_REGIONS
        reasons = {r.reason for (_, _, rid), r in self.measures.rows.items() if rid == region_id and r.reason}
        return "; ".join(sorted(reasons)) or "not measured yet"

    def headerData(self, section, orientation, role=QtCore.Qt.ItemDataRole.DisplayRole):
        if orientation == QtCore.Qt.Orientation.Horizontal:
            if role == QtCore.Qt.ItemDataRole.DisplayRole:
                column = COLUMNS[section]
                return f"{column.title}\n({time_unit(self.time_span)})" if column.is_time else column.title
            if role == QtCore.Qt.ItemDataRole.ToolTipRole:
                return COLUMNS[section].tooltip
        return None


SUMMARY_HEADERS = ("model", "domain", "mass", "rank acc.", "chance", "mass / chance")
SUMMARY_TIPS = {
    "domain": "time: the waveform pane's time axis; TF: the time-frequency grid of the spectrogram panes",
    "mass": tip("relevance_mass"),
    "rank acc.": tip("rank_accuracy"),
    "chance": tip("chance"),
    "mass / chance": tip("mass_over_chance"),
}
SUMMARY_ROW_HEIGHT = 22
SUMMARY_ROWS = 4  # two models, each in time and in time-frequency


class AgreementPanel(QtWidgets.QWidget):
    """All regions per model and domain, and one sentence saying which model agrees more."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.verdict = QtWidgets.QLabel("")
        self.verdict.setWordWrap(True)
        self.verdict.setStyleSheet("font-weight: bold")
        self.classes = QtWidgets.QLabel("")
        self.classes.setWordWrap(True)
        self.summary = QtWidgets.QTableWidget(0, len(SUMMARY_HEADERS))
        self.summary.setHorizontalHeaderLabels(SUMMARY_HEADERS)
        self.summary.verticalHeader().hide()
        self.summary.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.summary.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.summary.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        self.summary.verticalHeader().setDefaultSectionSize(SUMMARY_ROW_HEIGHT)
        self.summary.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Fixed)
        self.summary.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for column, header in enumerate(SUMMARY_HEADERS):
            self.summary.horizontalHeaderItem(column).setToolTip(SUMMARY_TIPS.get(header, ""))
        self._fit_rows(SUMMARY_ROWS)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 0, 0)
        title = QtWidgets.QLabel("Agreement with your regions (all regions)")
        layout.addWidget(title)
        layout.addWidget(self.summary)
        layout.addWidget(self.verdict)
        layout.addWidget(self.classes)
        layout.addStretch(1)

    def _fit_rows(self, rows: int) -> None:
        """Tall enough for every row (it showed 2 of its 4 rows even on a 1440 px screen)."""
        header = self.summary.horizontalHeader().sizeHint().height()
        scroll = self.summary.horizontalScrollBar().sizeHint().height()
        self.summary.setFixedHeight(header + rows * SUMMARY_ROW_HEIGHT + scroll + 2 * self.summary.frameWidth())

    def show_measures(self, measures: RegionMeasures, has_regions: bool = True) -> None:
        """``has_regions`` False: say there is nothing to compare instead of rows of zeros."""
        self.summary.setVisible(has_regions)
        if not has_regions:
            self.summary.setRowCount(0)
            self.verdict.setText(NOTHING_TO_COMPARE)
            self.classes.setText("")
            return
        self.verdict.setText(measures.verdict())
        self.classes.setText(
            "Explained class: " + ", ".join(f"{name!r} ({role})" for role, name in measures.class_names.items())
            if measures.class_names
            else ""
        )
        self.summary.setRowCount(len(measures.summary))
        self._fit_rows(max(len(measures.summary), SUMMARY_ROWS))
        for row, summary in enumerate(measures.summary):
            lift = summary.mass / summary.baseline if summary.baseline > 0 else math.nan
            numbers = (summary.mass, summary.rank_accuracy, summary.baseline, lift)
            cells = (summary.input_kind, DOMAIN_SHORT[summary.domain])
            cells += tuple(NOT_A_NUMBER if math.isnan(v) else f"{v:.2f}" for v in numbers)
            for column, text in enumerate(cells):
                self.summary.setItem(row, column, QtWidgets.QTableWidgetItem(text))


class RegionTablePanel(QtWidgets.QWidget):
    """The region table beside the agreement panel; says which region the user picked or wants to edit."""

    regionActivated = QtCore.Signal(str)  # a region row was selected
    editRequested = QtCore.Signal(str)  # a region row was double-clicked
    emptyChanged = QtCore.Signal(bool)  # the first region came or the last went: the dock may change its height

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = RegionTableModel(self)
        self.view = QtWidgets.QTableView()
        self.view.setModel(self.model)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(START_COLUMN, QtCore.Qt.SortOrder.AscendingOrder)
        self.view.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setFocusPolicy(QtCore.Qt.FocusPolicy.ClickFocus)  # Tab keeps meaning "next region"
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        self.view.horizontalHeader().setResizeContentsPrecision(0)  # fit the rows in view, not 1,000 of them
        self.view.setWordWrap(False)
        self.view.selectionModel().selectionChanged.connect(self._on_selection)
        self.view.clicked.connect(self._on_click)  # clicking the selected row zooms to it again
        self.view.doubleClicked.connect(self._on_double_click)
        self.agreement = AgreementPanel()
        self.splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.agreement)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.empty_label = QtWidgets.QLabel(EMPTY_TEXT)
        self.empty_label.setContentsMargins(6, 2, 6, 2)
        self.empty_label.setToolTip(tip("regions"))
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.splitter)
        self.is_empty = None  # unknown until the first contents: the first set_contents reports either state
        self._show_empty(True)
        self._quiet = False

    def _show_empty(self, empty: bool) -> None:
        if empty == self.is_empty:
            return
        self.is_empty = empty
        self.empty_label.setVisible(empty)
        self.splitter.setVisible(not empty)
        self.emptyChanged.emit(empty)

    def set_contents(self, regions: Sequence[Region], measures: RegionMeasures, selected_id: str | None) -> None:
        self._quiet = True
        try:
            self.model.set_contents(regions, measures)
            self.select(selected_id)
        finally:
            self._quiet = False
        self.agreement.show_measures(measures, has_regions=bool(regions))
        self._show_empty(not regions)

    def select(self, region_id: str | None) -> None:
        """Highlight the row of ``region_id`` (None: no row) without reporting it back."""
        row = self.model.row_of(region_id) if region_id is not None else None
        quiet, self._quiet = self._quiet, True
        try:
            if row is None:
                self.view.clearSelection()
            else:
                index = self.model.index(row, 0)
                self.view.selectRow(index.row())
                self.view.scrollTo(index)
        finally:
            self._quiet = quiet

    def _region_id(self, index: QtCore.QModelIndex) -> str | None:
        region_id = index.data(REGION_ID_ROLE)
        return None if region_id in (None, ALL_REGIONS) else region_id

    def _on_selection(self, *_):
        rows = self.view.selectionModel().selectedRows()
        region_id = self._region_id(rows[0]) if rows else None
        if region_id is not None and not self._quiet:
            self.regionActivated.emit(region_id)

    def _on_click(self, index: QtCore.QModelIndex) -> None:
        region_id = self._region_id(index)
        if region_id is not None:
            self.regionActivated.emit(region_id)

    def _on_double_click(self, index: QtCore.QModelIndex) -> None:
        region_id = self._region_id(index)
        if region_id is not None:
            self.editRequested.emit(region_id)
