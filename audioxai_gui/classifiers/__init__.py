"""Classifiers: model cards, the architecture registry, loading and training.

The names below are imported on first use, so reading cards (``card``, ``discovery``, ``tasks``) never imports
torch: the window reads them while torch is still loading."""

from importlib import import_module

_HOMES = {
    "ARCHITECTURES": "architectures",
    "build_model": "architectures",
    "register_architecture": "architectures",
    "ModelCard": "card",
    "ModelLoadError": "card",
    "LoadedModel": "registry",
    "load_model": "registry",
    "pick_card": "registry",
    "find_cards": "discovery",
    "Task": "tasks",
    "UnknownTaskError": "tasks",
    "default_task": "tasks",
    "discover_tasks": "tasks",
    "get_task": "tasks",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_HOMES[name]}", __name__), name)
