"""The analysis controls: LRP composite per model (re-explains) and display settings (redraw only)."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from ..glossary import composite_tip, tip
from ..session import FREQUENCY_AXES, ROLES, SIGN_FILTERS, DisplaySettings
from .colormaps import COLORMAPS

SIGN_FILTER_LABELS = {
    "all": "all (for and against)",
    "positive": "positive (evidence for)",
    "negative": "negative (evidence against)",
    "absolute": "absolute |R|",
}


class ControlsPanel(QtWidgets.QWidget):
    """``compositeChanged(role, name)``: a model must be re-explained; ``displayChanged``: redraw only."""

    compositeChanged = QtCore.Signal(str, str)
    displayChanged = QtCore.Signal(object)  # DisplaySettings

    def __init__(self, parent=None):
        super().__init__(parent)
        form = QtWidgets.QFormLayout(self)
        self.composites = {role: QtWidgets.QComboBox() for role in ROLES}
        for role, combo in self.composites.items():
            combo.setEnabled(False)
            combo.setToolTip(tip("composite"))
            combo.currentIndexChanged.connect(lambda _, r=role, c=combo: c.currentData() and self._composite_chosen(r))
            combo.currentIndexChanged.connect(lambda _, c=combo: c.setToolTip(self._composite_tooltip(c.currentData())))
            form.addRow(self._label(f"{role.capitalize()} model rules", "composite"), combo)
        self.colormap = QtWidgets.QComboBox()
        self.colormap.addItems(list(COLORMAPS))
        self.sign_filter = QtWidgets.QComboBox()
        for name in SIGN_FILTERS:
            self.sign_filter.addItem(SIGN_FILTER_LABELS[name], name)
        self.opacity = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.clip_percentile = QtWidgets.QDoubleSpinBox()
        self.clip_percentile.setRange(50.0, 100.0)
        self.clip_percentile.setDecimals(1)
        self.clip_percentile.setSingleStep(0.5)
        self.clip_percentile.setSuffix(" %")
        self.shared_scale = QtWidgets.QCheckBox("same colour scale for both maps")
        self.frequency_axis = QtWidgets.QComboBox()
        self.frequency_axis.addItems(list(FREQUENCY_AXES))
        for widget, term in (
            (self.colormap, "colormap"),
            (self.sign_filter, "sign_filter"),
            (self.opacity, "opacity"),
            (self.clip_percentile, "clip_percentile"),
            (self.shared_scale, "shared_scale"),
            (self.frequency_axis, "frequency_axis"),
        ):
            widget.setToolTip(tip(term))
        form.addRow(self._label("Colour map", "colormap"), self.colormap)
        form.addRow(self._label("Show relevance", "sign_filter"), self.sign_filter)
        form.addRow(self._label("Overlay opacity", "opacity"), self.opacity)
        form.addRow(self._label("Clip at percentile", "clip_percentile"), self.clip_percentile)
        form.addRow("", self.shared_scale)
        form.addRow(self._label("Frequency axis", "frequency_axis"), self.frequency_axis)
        self.set_display_settings(DisplaySettings())
        for signal in (
            self.colormap.currentIndexChanged,
            self.sign_filter.currentIndexChanged,
            self.opacity.valueChanged,
            self.clip_percentile.valueChanged,
            self.shared_scale.toggled,
            self.frequency_axis.currentIndexChanged,
        ):
            signal.connect(lambda *_: self.displayChanged.emit(self.display_settings()))

    @staticmethod
    def _label(text: str, term: str) -> QtWidgets.QLabel:
        label = QtWidgets.QLabel(text)
        label.setToolTip(tip(term))
        return label

    @staticmethod
    def _composite_tooltip(name: str) -> str:
        return f"{name}: {composite_tip(name)}\n\n{tip('composite')}" if name else tip("composite")

    def display_settings(self) -> DisplaySettings:
        return DisplaySettings(
            colormap=self.colormap.currentText(),
            sign_filter=self.sign_filter.currentData(),
            opacity=self.opacity.value() / 100.0,
            clip_percentile=self.clip_percentile.value(),
            shared_scale=self.shared_scale.isChecked(),
            frequency_axis=self.frequency_axis.currentText(),
        )

    def set_display_settings(self, settings: DisplaySettings) -> None:
        """Show ``settings`` without emitting displayChanged for each widget (the caller redraws once)."""
        widgets = (
            self.colormap,
            self.sign_filter,
            self.opacity,
            self.clip_percentile,
            self.shared_scale,
            self.frequency_axis,
        )
        blockers = [QtCore.QSignalBlocker(widget) for widget in widgets]
        self.colormap.setCurrentText(settings.colormap)
        self.sign_filter.setCurrentIndex(max(0, self.sign_filter.findData(settings.sign_filter)))
        self.opacity.setValue(round(settings.opacity * 100))
        self.clip_percentile.setValue(settings.clip_percentile)
        self.shared_scale.setChecked(settings.shared_scale)
        self.frequency_axis.setCurrentText(settings.frequency_axis)
        del blockers

    def set_composites(self, names: list[str], current: dict[str, str]) -> None:
        """Fill the composite choices (known only once the engine is imported) without re-explaining."""
        from ..explain.composites import composite_label

        for role, combo in self.composites.items():
            blocker = QtCore.QSignalBlocker(combo)
            combo.clear()
            for index, name in enumerate(names):  # each rule set explained in the drop-down list itself
                combo.addItem(composite_label(name), name)
                combo.setItemData(index, composite_tip(name), QtCore.Qt.ItemDataRole.ToolTipRole)
            combo.setCurrentIndex(max(0, combo.findData(current.get(role))))
            combo.setEnabled(bool(names))
            combo.setToolTip(self._composite_tooltip(combo.currentData()))
            del blocker

    def _composite_chosen(self, role: str) -> None:
        self.compositeChanged.emit(role, self.composite(role))

    def composite(self, role: str) -> str:
        return self.composites[role].currentData()
