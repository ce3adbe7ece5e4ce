"""Both models' class probabilities side by side; clicking a class explains it with both models."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtWidgets

from ..glossary import composite_tip, tip
from ..session import ROLES

ROLE_TITLES = {"waveform": "Waveform model", "spectrogram": "Spectrogram model"}
TOP_CLASSES = 5
OWN_PREDICTION = "each model's own prediction"


def agreement_text(explanations: dict) -> str:
    """One line on whether the models agree, e.g. 'Both models say 7' or 'Models disagree: ...'."""
    present = {role: e for role, e in explanations.items() if e is not None}
    if len(present) < len(ROLES):
        return "Waiting for both models…"
    if any(e.no_sound for e in present.values()):
        return "No sound: the clip is silent, so what the models say means nothing"
    predicted = {role: e.classes[e.predicted] for role, e in present.items()}
    if len(set(predicted.values())) == 1:
        return f"Both models say “{next(iter(predicted.values()))}”"
    said = ", ".join(f"{ROLE_TITLES[role].split()[0].lower()} says “{name}”" for role, name in predicted.items())
    return f"Models disagree: {said}"


class _ClassRow(QtWidgets.QWidget):
    clicked = QtCore.Signal(str)

    def __init__(self, class_name: str, probability: float, is_target: bool, is_predicted: bool):
        super().__init__()
        self.class_name = class_name
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        marker = "▶ " if is_target else "   "
        self.button = QtWidgets.QPushButton(f"{marker}{class_name}")
        self.button.setFlat(True)
        self.button.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.button.setMinimumWidth(70)
        self.button.setToolTip(f"Explain class “{class_name}” with both models.\n\n{tip('probability')}")
        font = self.button.font()
        font.setBold(is_target)
        self.button.setFont(font)
        self.bar = QtWidgets.QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setValue(round(probability * 1000))
        self.bar.setTextVisible(False)  # text over the bar changed colour where the bar ended: beside it instead
        self.bar.setToolTip(self.button.toolTip())
        self.value = QtWidgets.QLabel(f"{probability:.1%}" + (" predicted" if is_predicted else ""))
        self.value.setMinimumWidth(self.value.fontMetrics().horizontalAdvance("100.0% predicted") + 4)
        self.value.setToolTip(self.button.toolTip())
        layout.addWidget(self.button)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.value)
        self.button.clicked.connect(lambda: self.clicked.emit(self.class_name))

    def mousePressEvent(self, event):
        self.clicked.emit(self.class_name)


class _ModelColumn(QtWidgets.QGroupBox):
    """One model: its name, composite, conservation and class bars."""

    targetChosen = QtCore.Signal(str)

    def __init__(self, role: str):
        super().__init__(ROLE_TITLES[role])
        self.role_title = ROLE_TITLES[role]
        self.layout_ = QtWidgets.QVBoxLayout(self)
        self.summary = QtWidgets.QLabel("no explanation yet")
        self.summary.setWordWrap(True)
        self.summary.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred, QtWidgets.QSizePolicy.Policy.Minimum)
        self.layout_.addWidget(self.summary)
        self.rows: list[_ClassRow] = []

    def show_explanation(self, explanation) -> None:
        for row in self.rows:
            row.deleteLater()
        self.rows = []
        if explanation is None:
            self.summary.setText("no explanation yet")
            return
        from ..explain.accounting import conservation_note  # the engine is loaded by now
        from ..explain.composites import composite_label

        e = explanation
        self.setTitle(f"{self.role_title} · {e.model_name}")
        self.summary.setText(
            f"explaining “{e.classes[e.target]}” · {composite_label(e.composite)}\n{conservation_note(e)}"
        )
        self.summary.setToolTip(f"{e.composite}: {composite_tip(e.composite)}\n\nConservation: {tip('conservation')}")
        for index in map(int, np.argsort(-e.probabilities)[:TOP_CLASSES]):
            row = _ClassRow(e.classes[index], float(e.probabilities[index]), index == e.target, index == e.predicted)
            row.clicked.connect(self.targetChosen)
            self.layout_.addWidget(row)
            self.rows.append(row)


class ClassPanel(QtWidgets.QWidget):
    """Agreement line, the explained-class chooser, and the top classes of each model."""

    targetChosen = QtCore.Signal(object)  # class name explained by both models, or None: each its prediction

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QtWidgets.QVBoxLayout(self)
        self.agreement = QtWidgets.QLabel("No clip analysed yet")
        font = self.agreement.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.agreement.setFont(font)
        self.agreement.setWordWrap(True)
        self.agreement.setToolTip(tip("classes_panel"))
        layout.addWidget(self.agreement)
        chooser = QtWidgets.QHBoxLayout()
        chooser_label = QtWidgets.QLabel("Explain class")
        chooser_label.setToolTip(tip("explain_class"))
        chooser.addWidget(chooser_label)
        self.target = QtWidgets.QComboBox()
        self.target.setToolTip(tip("explain_class"))
        self.target.addItem(OWN_PREDICTION, None)
        self.target.currentIndexChanged.connect(lambda _: self.targetChosen.emit(self.target.currentData()))
        chooser.addWidget(self.target, 1)
        layout.addLayout(chooser)
        self.columns = {role: _ModelColumn(role) for role in ROLES}
        for column in self.columns.values():
            column.targetChosen.connect(self.targetChosen.emit)
            layout.addWidget(column)
        layout.addStretch(1)
        self.explanations: dict = dict.fromkeys(ROLES)
        self.scope = ""

    def set_scope(self, scope: str) -> None:
        """What the panel describes, said before the verdict (a long recording: "at 1:02.500", "whole recording",
        "selection 0:12.3–0:13.1"); empty for a clip of one model window."""
        self.scope = scope
        self._show_agreement()

    def show_explanation(self, role: str, explanation) -> None:
        self.explanations[role] = explanation
        self.columns[role].show_explanation(explanation)
        self._show_agreement()
        if explanation is not None:
            self._add_classes(explanation.classes)

    def _show_agreement(self) -> None:
        verdict = agreement_text(self.explanations)
        self.agreement.setText(f"{self.scope}: {verdict[0].lower()}{verdict[1:]}" if self.scope else verdict)

    def _add_classes(self, classes: list[str]) -> None:
        blocker = QtCore.QSignalBlocker(self.target)
        for name in classes:
            if self.target.findData(name) < 0:
                self.target.addItem(name, name)
        del blocker

    def set_target(self, class_name: str | None) -> None:
        """Show the explained class in the chooser without asking for another explanation."""
        blocker = QtCore.QSignalBlocker(self.target)
        if class_name is not None and self.target.findData(class_name) < 0:
            self.target.addItem(class_name, class_name)
        self.target.setCurrentIndex(max(0, self.target.findData(class_name)))
        del blocker

    def clear(self) -> None:
        for role in ROLES:
            self.show_explanation(role, None)
