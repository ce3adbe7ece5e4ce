"""The Faithfulness dock: both models' perturbation curves, their AOPC, and the "remove the top X %" player."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from ...evaluate.perturbation import LERF, MORF
from ...features import spectrogram_db
from ...glossary import tip
from ..dock_layout import present_floating
from ..panes import BACKGROUND_LUT
from .view_model import CURVES_CHANNEL, KINDS, FaithfulnessViewModel, Measured

COLOURS = {"waveform": (214, 39, 40), "spectrogram": (31, 119, 180)}
# (ranking, order) -> line style; "lrp" stands for the model's LRP composite
CURVE_STYLES = {
    ("lrp", MORF): QtCore.Qt.PenStyle.SolidLine,
    ("lrp", LERF): QtCore.Qt.PenStyle.DashLine,
    ("energy", MORF): QtCore.Qt.PenStyle.DashDotLine,
    ("random-nonsilent", MORF): QtCore.Qt.PenStyle.DotLine,
}
KEY = (
    "<span style='color:#d62728'>waveform</span> / <span style='color:#1f77b4'>spectrogram</span> model<br>"
    "solid: most relevant first<br>dashed: least relevant first<br>dash-dot: loudest first<br>dotted: random"
)
DOMAIN = "common"


class FaithfulnessWidget(QtWidgets.QWidget):
    def __init__(self, model: FaithfulnessViewModel, parent=None):
        super().__init__(parent)
        self.model = model
        layout = QtWidgets.QVBoxLayout(self)
        row = QtWidgets.QHBoxLayout()
        self.measure_button = QtWidgets.QPushButton("Measure")
        self.measure_button.setToolTip(tip("faithfulness"))
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop measuring")
        self.cancel_button.setEnabled(False)
        self.status = QtWidgets.QLabel("Measure how faithful both explanations of this clip are.")
        for widget in (self.measure_button, self.cancel_button):
            row.addWidget(widget)
        row.addWidget(self.status, 1)
        layout.addLayout(row)

        body = QtWidgets.QHBoxLayout()  # one row: the dock shares the window's bottom with short docks
        self.plot = pg.PlotWidget()
        self.plot.setToolTip(tip("perturbation_curve"))
        self.plot.setLabel("bottom", "share of patches removed")
        self.plot.setLabel("left", "class probability")
        self.plot.setYRange(0, 1)
        self.plot.setMinimumSize(260, 120)
        body.addWidget(self.plot, 3)
        self.aopc = QtWidgets.QLabel("")
        self.aopc.setToolTip(tip("aopc"))
        self.aopc.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.aopc.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop)
        # no word wrap: a wrapping label makes the dock's scroll area size it by height-for-width (far too tall)
        body.addWidget(self.aopc, 2)

        listen = QtWidgets.QVBoxLayout()
        controls = QtWidgets.QHBoxLayout()
        self.slider_label = QtWidgets.QLabel()
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setSingleStep(5)
        self.slider.setPageStep(10)
        self.slider.setValue(round(model.fraction * 100))
        self.slider.setToolTip(tip("remove_top"))
        self.ranked_by = QtWidgets.QComboBox()
        self.ranked_by.addItems([f"most relevant to the {kind} model" for kind in KINDS])
        self.ranked_by.setCurrentIndex(KINDS.index(model.ranked_by))
        self.ranked_by.setToolTip(tip("ranked_by"))
        controls.addWidget(self.slider_label)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.ranked_by)
        listen.addLayout(controls)
        previews = QtWidgets.QHBoxLayout()
        self.previews, self.preview_labels, self.play_buttons = {}, {}, {}
        for version, title in (("without", "without the top part"), ("only", "only the top part")):
            column = QtWidgets.QVBoxLayout()
            label = QtWidgets.QLabel(title)
            image_view = pg.PlotWidget()
            image_view.hideAxis("left")
            image_view.hideAxis("bottom")
            image_view.setMouseEnabled(False, False)
            image_view.setMinimumHeight(50)
            image = pg.ImageItem()
            image.setLookupTable(BACKGROUND_LUT)  # the panes' spectrogram look
            image_view.addItem(image)
            play = QtWidgets.QPushButton(f"Play {title}")
            play.setToolTip(f"Listen to the clip {title} (the model window, resynthesised)")
            play.clicked.connect(lambda _=False, v=version: self.model.play(v))
            column.addWidget(label)
            column.addWidget(image_view, 1)
            column.addWidget(play)
            previews.addLayout(column)
            self.previews[version], self.preview_labels[version], self.play_buttons[version] = image, label, play
        listen.addLayout(previews, 1)
        body.addLayout(listen, 4)
        layout.addLayout(body, 1)

        self.measure_button.clicked.connect(model.measure)
        self.cancel_button.clicked.connect(model.cancel)
        self.slider.valueChanged.connect(self._on_slider)
        self.ranked_by.currentIndexChanged.connect(lambda index: model.set_ranked_by(KINDS[index]))
        model.measured.connect(self.show_measured)
        model.removed.connect(self.show_removal)
        model.busy.connect(self._on_busy)
        model.problem.connect(self.status.setText)
        self._update_slider_label()

    def _on_slider(self, value: int) -> None:
        self._update_slider_label()
        self.model.set_fraction(value / 100)

    def _update_slider_label(self) -> None:
        self.slider_label.setText(f"remove the top {self.slider.value()} %")

    def _on_busy(self, busy: bool) -> None:
        self.measure_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        if busy:
            self.status.setText("measuring both models…")

    def show_measured(self, measured: Measured | None) -> None:
        self.plot.clear()
        if measured is None:
            self.aopc.setText("")
            self.status.setText("Measure how faithful both explanations of this clip are.")
            return
        result = measured.result
        self.status.setText(f"class {measured.class_name}, ranked by {measured.ranking} (LRP)")
        for kind in KINDS:
            for (ranking, order), style in CURVE_STYLES.items():
                name = measured.ranking if ranking == "lrp" else ranking
                curve = result.curves.get((kind, DOMAIN, name, order))
                if curve is None:
                    continue
                pen = pg.mkPen(COLOURS[kind], width=2, style=style)
                self.plot.plot(np.linspace(0, 1, curve.size), curve, pen=pen)
        rows = "".join(
            f"<tr><td>{kind}</td>"
            + "".join(
                f"<td>{result.value(kind, f'faithfulness/{domain}/{name}/aopc-morf'):.2f}</td>"
                for domain in (DOMAIN,)
                for name in (measured.ranking, "random-nonsilent", "energy")
            )
            + "</tr>"
            for kind in KINDS
        )
        self.aopc.setText(
            "<b>AOPC</b> (higher: the class<br>falls faster)<table cellspacing=4><tr><td></td><td>LRP</td>"
            f"<td>random</td><td>loudest</td></tr>{rows}</table><small>{KEY}</small>"
        )

    def show_removal(self, removal) -> None:
        if removal is None:
            for image in self.previews.values():
                image.clear()
            return
        grid = self.model.window.backend.models["spectrogram"].card.features
        for version in ("without", "only"):
            db = spectrogram_db(getattr(removal, version), grid)
            self.previews[version].setImage(db.T, levels=(-grid.top_db, 0))
            probabilities = ", ".join(
                f"{kind} model: {removal.probabilities[kind][version == 'only']:.0%}" for kind in KINDS
            )
            title = "without the top part" if version == "without" else "only the top part"
            self.preview_labels[version].setText(f"{title}\n{probabilities}")


FLOATING_SIZE = (1100, 430)


def install_dock(window, model: FaithfulnessViewModel) -> QtWidgets.QDockWidget:
    """A bottom dock, hidden until asked for from the Evaluate menu; showing it measures the current clip."""
    widget = FaithfulnessWidget(model)
    dock = QtWidgets.QDockWidget("Faithfulness", window)
    dock.setObjectName("Faithfulness")
    dock.setWidget(widget)
    window.addDockWidget(QtCore.Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    regions = next((d for d in window.findChildren(QtWidgets.QDockWidget) if d.objectName() == "Regions"), None)
    if regions is not None:
        window.tabifyDockWidget(regions, dock)  # the full width of the bottom, beside the regions table
    dock.hide()
    menu = window.menuBar().addMenu("E&valuate")
    action = dock.toggleViewAction()
    action.setText("&Faithfulness of this clip")
    action.setToolTip(tip("faithfulness"))
    menu.addAction(action)

    def on_visible(visible: bool) -> None:
        if visible and model.result is None and window.clip is not None and not window.runner.pending(CURVES_CHANNEL):
            model.measure()

    def on_action(checked: bool) -> None:
        if checked:
            present_floating(window, dock, FLOATING_SIZE)
            on_visible(True)

    action.triggered.connect(on_action)
    dock.visibilityChanged.connect(on_visible)
    window.clipShown.connect(lambda _: dock.isVisible() and QtCore.QTimer.singleShot(0, model.measure))
    dock.faithfulness_widget = widget
    return dock
