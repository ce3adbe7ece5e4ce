"""The Help menu: a short built-in guide (F1) read from the glossary, and the first-start hint on the example.

Installed as an extension: the window knows nothing of it. The guide and every tooltip come from
``audioxai_gui.glossary``, so they always say the same thing.
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from ..glossary import guide_html, tip
from ..resources import TASK_EXAMPLES
from .time_axis import format_reading

GUIDE_SIZE = (640, 560)
EXAMPLE_HINT = (
    "This is a built-in example clip: open your own file with Ctrl+O or drop it here; "
    "press Space to listen, click a class to explain it, F1 for the guide."
)
FILE_HINT = "{name} · {duration} — Space plays · drag to select, Shift+E explains it · click a class to explain it"


def file_hint(clip) -> str:
    """With the user's own file open, how to open one is old news: say what is open and what to do with it."""
    name = Path(clip.path).name if clip.path is not None else "recording"
    return FILE_HINT.format(name=name, duration=format_reading(clip.duration, clip.duration))


class GuideDialog(QtWidgets.QDialog):
    """The guide in a scrollable, searchable (Ctrl+F in the text) non-modal window."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("AudioXAI guide")
        self.browser = QtWidgets.QTextBrowser()
        self.browser.setHtml(guide_html())
        self.browser.setOpenExternalLinks(False)
        self.browser.setToolTip("The guide: every term the window shows, in plain words")
        close = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.close)
        for button in close.buttons():
            button.setToolTip("Close the guide")
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(close)
        self.resize(*GUIDE_SIZE)


class HelpController(QtCore.QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.guide: GuideDialog | None = None
        menu = window.menuBar().addMenu("&Help")
        self.guide_action = QtGui.QAction("&Guide: what everything means", window)
        self.guide_action.setShortcut(QtGui.QKeySequence(QtGui.QKeySequence.StandardKey.HelpContents))
        self.guide_action.triggered.connect(self.show_guide)
        menu.addAction(self.guide_action)
        window.addAction(self.guide_action)
        about = menu.addAction("&About AudioXAI")
        about.triggered.connect(self.show_about)
        window.clipShown.connect(self._on_clip)

    def show_guide(self) -> None:
        if self.guide is None:
            self.guide = GuideDialog(self.window)
        self.guide.show()
        self.guide.raise_()

    def show_about(self) -> None:
        QtWidgets.QMessageBox.about(
            self.window,
            "About AudioXAI",
            "AudioXAI explains a waveform and a spectrogram classifier of the same sounds with Layer-wise "
            "Relevance Propagation (zennit), on one time-frequency grid.\n\nHelp > Guide (F1) explains every term.",
        )

    def _on_clip(self, clip) -> None:
        """On the built-in example, say so and what to do next; on the user's own file, what is open."""
        examples = {Path(example).resolve() for example in TASK_EXAMPLES.values()}
        is_example = clip.path is not None and Path(clip.path).resolve() in examples
        self.window.notifications.set_idle_text(EXAMPLE_HINT if is_example else file_hint(clip))
        self.window.notifications.label.setToolTip(tip("example") if is_example else tip("notifications"))


def install(window) -> HelpController:
    return HelpController(window)
