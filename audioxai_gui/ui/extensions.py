"""Features that attach themselves to the main window (task selector, annotation, live mode), napari-plugin style.

Each listed module has ``install(window) -> object``: it adds its docks, menus, actions and pane items
through the window's public API and returns its controller, kept in ``window.extensions[name]``. The
window itself knows nothing about them, so each feature lives in its own modules.
"""

from __future__ import annotations

import importlib
import logging

EXTENSION_MODULES = {
    "tasks": "audioxai_gui.ui.task_selector",
    "annotation": "audioxai_gui.ui.annotation",
    "live": "audioxai_gui.ui.live",
    "faithfulness": "audioxai_gui.ui.faithfulness",
    "compare": "audioxai_gui.ui.compare",
    "help": "audioxai_gui.ui.help",
    "tracks": "audioxai_gui.ui.tracks",
}


def install_extensions(window) -> dict[str, object]:
    """Install every extension; one that fails is reported and left out, and the window still opens."""
    installed = {}
    for name, module_name in EXTENSION_MODULES.items():
        try:
            installed[name] = importlib.import_module(module_name).install(window)
        except Exception as exc:  # a broken extension must never take the analysis window down
            logging.getLogger(__name__).exception("extension %s failed", name)
            window.show_problem(f"The {name} feature is unavailable: {type(exc).__name__}: {exc}")
    return installed
