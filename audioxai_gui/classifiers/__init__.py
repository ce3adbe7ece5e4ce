"""Classifiers: model cards, the architecture registry, loading and training."""

from .architectures import ARCHITECTURES, build_model, register_architecture
from .card import ModelCard, ModelLoadError
from .registry import LoadedModel, find_cards, load_model, pick_card

__all__ = [
    "ARCHITECTURES",
    "LoadedModel",
    "ModelCard",
    "ModelLoadError",
    "build_model",
    "find_cards",
    "load_model",
    "pick_card",
    "register_architecture",
]
