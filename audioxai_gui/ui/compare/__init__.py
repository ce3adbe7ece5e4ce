"""Compare extension: open the folder a ``compare`` run wrote, read its verdicts and summary, sort and filter its
clips, and open any clip (with its task and its true class) in the window.

``install(window)`` adds a dock and an Evaluate menu entry through the window's public API.
"""

from __future__ import annotations

from .view_model import CompareViewModel
from .widget import install_dock


def install(window) -> CompareViewModel:
    model = CompareViewModel(window)
    install_dock(window, model)
    return model
