"""Classifiers: model cards, the architecture registry, loading and training."""

from .architectures import ARCHITECTURES, build_model, register_architecture
from .card import ModelCard, ModelLoadError
from .registry import LoadedModel, find_cards, load_model, pick_card
from .tasks import Task, UnknownTaskError, default_task, discover_tasks, get_task

__all__ = [
    "ARCHITECTURES",
    "LoadedModel",
    "ModelCard",
    "ModelLoadError",
    "Task",
    "UnknownTaskError",
    "build_model",
    "default_task",
    "discover_tasks",
    "find_cards",
    "get_task",
    "load_model",
    "pick_card",
    "register_architecture",
]
