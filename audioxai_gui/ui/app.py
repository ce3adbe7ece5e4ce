"""Start the analysis window: show it first, then load torch and the models in the background."""

from __future__ import annotations

import argparse
import sys

from PySide6 import QtCore, QtWidgets

from ..batch import failure_reason

WINDOW_SIZE = (1500, 950)


def fitting_size(screen) -> tuple[int, int]:
    """WINDOW_SIZE, shrunk to the screen's free area (a 1366×768 laptop gets all of it, not a cut-off window)."""
    if screen is None:
        return WINDOW_SIZE
    free = screen.availableGeometry()
    return min(WINDOW_SIZE[0], free.width()), min(WINDOW_SIZE[1], free.height())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="audioxai", description="See why audio classifiers decide what they decide.")
    parser.add_argument(
        "path", nargs="?", help="audio file or session (*.audioxai.json); default: the task's built-in example"
    )
    parser.add_argument("--task", help="task to open, e.g. digits or events (default: digits)")
    parser.add_argument("--waveform-model", help="model card name for the waveform model")
    parser.add_argument("--spectrogram-model", help="model card name for the spectrogram model")
    return parser


def report_uncaught_errors(window) -> None:
    """A failure no slot expected is shown to the user (and its traceback printed), never lost in a terminal;
    the window keeps its clip, explanations and regions."""

    def show(kind, exc, trace) -> None:
        sys.__excepthook__(kind, exc, trace)
        if issubclass(kind, Exception):
            window.show_problem(f"Something went wrong: {failure_reason(exc)}. Your work is kept.", dialog=True)

    sys.excepthook = show


def collect_garbage_on_the_gui_thread(app: QtWidgets.QApplication):
    """Python's collector runs in whichever thread allocates when a threshold is crossed — often a worker
    deep-copying a model. Freeing dead Qt objects there, off the GUI thread, can deadlock or crash the app; so
    automatic collection is switched off and pyqtgraph's GarbageCollector collects on a GUI timer instead."""
    from pyqtgraph.util.garbage_collector import GarbageCollector

    app.garbage_collector = GarbageCollector(interval=1.0)  # kept alive with the app
    return app.garbage_collector


def allocate_zeros_lazily() -> bool:
    """Switch off numpy's transparent-huge-page advice for large arrays; False where this numpy has no such knob.

    A long recording's partial result is a recording-sized map, zero except where windows are explained. With huge
    pages each row written faults in and zeroes 2 MB (the hour's 129-band map: 0.25-0.45 s per partial result),
    with normal pages 4 kB (under 1 ms). numpy's public twin is NUMPY_MADVISE_HUGEPAGE=0, read at its import."""
    try:
        from numpy._core.multiarray import _set_madvise_hugepage
    except ImportError:
        return False
    _set_madvise_hugepage(False)
    return True


def run_app(argv: list[str]) -> int:
    """Run the GUI; returns the exit code. The window is visible before any heavy module is imported."""
    args = build_parser().parse_args(argv)
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([sys.argv[0]])
    app.setOrganizationName("AudioXAI")
    app.setApplicationName("AudioXAI")
    collect_garbage_on_the_gui_thread(app)
    allocate_zeros_lazily()
    from ..session import SESSION_SUFFIX
    from .main_window import MainWindow

    window = MainWindow()
    window.resize(*fitting_size(app.primaryScreen()))
    window.show()
    report_uncaught_errors(window)
    wanted = {"waveform": args.waveform_model, "spectrogram": args.spectrogram_model}
    wanted = {role: name for role, name in wanted.items() if name}

    def start():
        if args.path and args.path.endswith(SESSION_SUFFIX):
            window.open_session(args.path)
            return
        window.start(args.path, wanted, args.task)  # no path: the task's built-in example

    QtCore.QTimer.singleShot(0, start)
    return app.exec()
