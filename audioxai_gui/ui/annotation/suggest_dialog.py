"""Suggested regions: proposals from one model's relevance, shown dashed on the panes until the user decides.

Nothing is written here: accepting hands the chosen proposals to a callback (the controller adds them
with ``RegionDocument.add_many``, one undo step); rejecting or closing just removes the dashed items.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtCore, QtWidgets

from ...annotate.measures import MeasureError
from ...annotate.regions import Region
from ...annotate.suggest import SUGGESTION_KINDS
from ...session import ROLES
from .region_items import RegionOverlay

Proposer = Callable[[str, float, str], list[Region]]  # (model role, top %, kind) -> proposals
DEFAULT_TOP_PERCENT = 20
DIALOG_WIDTH = 480
EDGE_MARGIN = 8
KIND_NAMES = {"box": "time–frequency boxes", "time": "time regions"}


def describe_proposal(region: Region) -> str:
    band = f", {region.low_hz:.0f}–{region.high_hz:.0f} Hz" if region.is_box else ""
    return f"{region.start:.3f}–{region.end:.3f} s{band}: {region.note}"


class SuggestDialog(QtWidgets.QDialog):
    """Model, top X % and kind in; checkable proposals out, drawn dashed on every pane while it is open."""

    def __init__(self, propose: Proposer, overlay: RegionOverlay, accept: Callable[[list[Region]], None], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Suggest regions")
        self.propose, self.overlay, self.on_accept = propose, overlay, accept
        self.proposals: list[Region] = []
        self.model = QtWidgets.QComboBox()
        for role in ROLES:
            self.model.addItem(f"{role} model", role)
        self.model.setToolTip("Whose relevance the suggestions follow")
        self.top_percent = QtWidgets.QSpinBox()
        self.top_percent.setRange(1, 100)
        self.top_percent.setSuffix(" %")
        self.top_percent.setToolTip("Regions around the most relevant areas holding this share of positive relevance")
        slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        slider.setRange(1, 100)
        slider.setToolTip(self.top_percent.toolTip())
        slider.valueChanged.connect(self.top_percent.setValue)
        self.top_percent.valueChanged.connect(slider.setValue)
        self.top_percent.setValue(DEFAULT_TOP_PERCENT)
        self.kind = QtWidgets.QComboBox()
        for kind in SUGGESTION_KINDS:
            self.kind.addItem(KIND_NAMES[kind], kind)
        self.kind.setToolTip("Time regions span all frequencies; boxes also have a low and a high frequency")
        self.listing = QtWidgets.QListWidget()
        self.listing.setWordWrap(True)  # the whole proposal is readable, not cut at the list's edge
        self.listing.setToolTip("The proposals, drawn dashed on the panes; uncheck those you do not want")
        self.message = QtWidgets.QLabel("")
        self.message.setWordWrap(True)
        buttons = QtWidgets.QDialogButtonBox()
        self.accept_all_button = buttons.addButton("Accept all", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        self.accept_checked_button = buttons.addButton(
            "Accept checked", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.reject_button = buttons.addButton("Reject", QtWidgets.QDialogButtonBox.ButtonRole.RejectRole)
        self.accept_all_button.clicked.connect(lambda: self._accept(self.proposals))
        self.accept_checked_button.clicked.connect(lambda: self._accept(self.checked()))
        self.reject_button.clicked.connect(self.reject)
        self.accept_all_button.setToolTip("Add every proposal as a region (one undo step)")
        self.accept_checked_button.setToolTip("Add the checked proposals as regions (one undo step)")
        self.reject_button.setToolTip("Add nothing and close")
        top_row = QtWidgets.QHBoxLayout()
        top_row.addWidget(slider, 1)
        top_row.addWidget(self.top_percent)
        form = QtWidgets.QFormLayout()
        form.addRow("Relevance of", self.model)
        form.addRow("Top", top_row)
        form.addRow("As", self.kind)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.listing, 1)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        for signal in (self.model.currentIndexChanged, self.top_percent.valueChanged, self.kind.currentIndexChanged):
            signal.connect(self.refresh)
        self.finished.connect(lambda _: self.overlay.clear())
        self.resize(DIALOG_WIDTH, self.sizeHint().height())
        self.refresh()

    def showEvent(self, event) -> None:
        """Open at the window's right edge, over the side docks: the dashed preview on the panes stays in view."""
        super().showEvent(event)
        parent = self.parentWidget()
        if parent is not None:
            frame = parent.frameGeometry()
            self.move(frame.right() - self.frameGeometry().width() - EDGE_MARGIN, frame.top() + 4 * EDGE_MARGIN)

    def refresh(self) -> None:
        """Recompute the proposals for the current settings and draw them dashed."""
        try:
            self.proposals = self.propose(self.model.currentData(), self.top_percent.value(), self.kind.currentData())
            self.message.setText(
                f"{len(self.proposals)} proposal(s); nothing is added until you accept."
                if self.proposals
                else "No proposals: this model finds too little relevance for the explained class here "
                "(red areas); try a larger share or the other model."
            )
        except MeasureError as exc:
            self.proposals = []
            self.message.setText(str(exc))
        self.listing.clear()
        for region in self.proposals:
            item = QtWidgets.QListWidgetItem(describe_proposal(region))
            item.setFlags(item.flags() | QtCore.Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(QtCore.Qt.CheckState.Checked)
            self.listing.addItem(item)
        self.overlay.show(self.proposals)
        for button in (self.accept_all_button, self.accept_checked_button):
            button.setEnabled(bool(self.proposals))

    def checked(self) -> list[Region]:
        return [
            region
            for row, region in enumerate(self.proposals)
            if self.listing.item(row).checkState() == QtCore.Qt.CheckState.Checked
        ]

    def _accept(self, regions: list[Region]) -> None:
        if regions:
            self.on_accept(regions)
        self.accept()
