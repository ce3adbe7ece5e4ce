"""Prediction tracks extension: when each model hears what over a long recording (see controller.py).

``install(window)`` is called by ``ui/extensions.py``; everything goes through the window's public API.
"""

from __future__ import annotations

from .controller import TracksController


def install(window) -> TracksController:
    return TracksController(window)
