"""Live microphone mode as a window extension: ``install(window)`` adds it and returns its controller."""

from __future__ import annotations

from .controller import LiveController


def install(window) -> LiveController:
    return LiveController(window)
