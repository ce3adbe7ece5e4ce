"""Before a file is decoded: if its header says it is over the limit, ask how much of it to open.

A 3-hour recording or a header claiming 55 hours must not silently take the machine's memory: the user
chooses to open the first hour, open it anyway, or cancel.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6 import QtWidgets

from ..audio.costs import CostLimit, format_duration, load_cost
from ..audio.io import AudioLoadError, audio_info
from ..batch import shown_path

FIRST_PART_SECONDS = 3600.0
OPEN_FIRST_PART, OPEN_ALL, CANCEL = "first part", "all", "cancel"

Chooser = Callable[[QtWidgets.QWidget, Path, str, float], str]


def ask_with_dialog(parent: QtWidgets.QWidget, path: Path, reason: str, first_part: float) -> str:
    box = QtWidgets.QMessageBox(parent)
    box.setIcon(QtWidgets.QMessageBox.Icon.Question)
    box.setWindowTitle("Long audio file")
    box.setText(f"{shown_path(path.name)} is {reason}.")
    part = "hour" if first_part == 3600 else format_duration(first_part)
    box.setInformativeText(
        "Opening all of it may take minutes and more memory than this computer has. "
        f"Its first {part} opens quickly and can be explained like any clip."
    )
    buttons = {
        box.addButton(f"Open the first {part}", QtWidgets.QMessageBox.ButtonRole.AcceptRole): OPEN_FIRST_PART,
        box.addButton("Open anyway", QtWidgets.QMessageBox.ButtonRole.DestructiveRole): OPEN_ALL,
        box.addButton(QtWidgets.QMessageBox.StandardButton.Cancel): CANCEL,
    }
    box.setDefaultButton(next(iter(buttons)))
    box.exec()
    return buttons.get(box.clickedButton(), CANCEL)


def seconds_to_open(
    parent: QtWidgets.QWidget, path: Path, model_rates: set[int], choose: Chooser = ask_with_dialog
) -> tuple[bool, float | None]:
    """(open it?, at most how many seconds) for ``path``; asks only when its header is over the limit.

    An unreadable header answers "open": loading then reports the problem the usual way.
    """
    try:
        info = audio_info(path)
    except AudioLoadError:
        return True, None
    limit = CostLimit.from_environment()
    reason = limit.exceeded_by(load_cost(info, model_rates | {info.sample_rate}))
    if not reason:
        return True, None
    first_part = min(FIRST_PART_SECONDS, limit.seconds)
    answer = choose(parent, path, reason, first_part)
    if answer == CANCEL:
        return False, None
    return True, first_part if answer == OPEN_FIRST_PART else None
