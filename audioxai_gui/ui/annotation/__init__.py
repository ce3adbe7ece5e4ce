"""Annotation extension of the analysis window: mark evidence regions, compare them with each model's relevance.

``install(window)`` is called by ``ui/extensions.py`` once the window is built; everything is added through
the window's public API (pane stack, docks, menus, runner, playback, show_problem).
"""

from __future__ import annotations

from .controller import AnnotationController


def install(window) -> AnnotationController:
    return AnnotationController(window)
