"""Features that attach themselves to the main window (annotation, live mode), napari-plugin style.

Each listed module has ``install(window) -> object``: it adds its docks, menus, actions and pane items
through the window's public API and returns its controller, kept in ``window.extensions[name]``. The
window itself knows nothing about them, so each feature lives in its own modules.
"""

from __future__ import annotations

import importlib

EXTENSION_MODULES = {
    "annotation": "audioxai_gui.ui.annotation",
    "live": "audioxai_gui.ui.live",
}


def install_extensions(window) -> dict[str, object]:
    installed = {}
    for name, module_name in EXTENSION_MODULES.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:  # the extension exists but something it needs is missing
                raise
            continue
        installed[name] = module.install(window)
    return installed
