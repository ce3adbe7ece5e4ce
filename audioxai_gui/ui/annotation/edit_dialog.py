"""The label-and-note editor a double-click opens: the models' class names to pick from, or free text."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6 import QtWidgets

from ...annotate.regions import Region


def dialog_title(region: Region) -> str:
    """'Edit region “7” (0.210–0.480 s, 300–2400 Hz)': what the user sees on screen, rounded as the table shows it."""
    span = f"{region.start:.3f}–{region.end:.3f} s"
    if region.is_box:
        span += f", {region.low_hz:.0f}–{region.high_hz:.0f} Hz"
    name = f"“{region.label}” " if region.label else ""
    return f"Edit region {name}({span})"


class RegionEditDialog(QtWidgets.QDialog):
    """Edits one region's label (editable combo offering the class names) and note."""

    def __init__(self, region: Region, class_names: Sequence[str], parent=None):
        super().__init__(parent)
        self.setWindowTitle(dialog_title(region))
        self.label = QtWidgets.QComboBox()
        self.label.setEditable(True)
        self.label.addItems(list(dict.fromkeys(class_names)))
        self.label.setCurrentText(region.label)
        self.label.setToolTip("A class name of the models, or any text")
        self.note = QtWidgets.QLineEdit(region.note)
        self.note.setPlaceholderText("why this region is evidence (optional)")
        self.note.setToolTip("Your note: why this region is evidence; it is saved with the region and exported")
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QtWidgets.QFormLayout(self)
        form.addRow("Label", self.label)
        form.addRow("Note", self.note)
        form.addRow(buttons)

    def values(self) -> dict[str, str]:
        return {"label": self.label.currentText().strip(), "note": self.note.text().strip()}
