"""Faithfulness extension: for the current clip and class, how fast each model's decision falls when what its
explanation calls most relevant is removed, and what the clip sounds like without (or with only) that part.

``install(window)`` adds a dock and an Evaluate menu entry through the window's public API.
"""

from __future__ import annotations

from .view_model import FaithfulnessViewModel
from .widget import install_dock


def install(window) -> FaithfulnessViewModel:
    model = FaithfulnessViewModel(window)
    install_dock(window, model)
    return model
