"""Find model cards in folders and load their weights safely (``weights_only=True``: no code runs)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from .architectures import build_model
from .card import CARD_SUFFIX, ModelCard, ModelLoadError

BUILTIN_MODELS = Path(__file__).resolve().parents[2] / "models"
USER_MODELS_ENV = "AUDIOXAI_MODELS"


def model_folders() -> list[Path]:
    """Built-in ``models/`` plus the user's folder (``$AUDIOXAI_MODELS`` or ~/.local/share/audioxai/models)."""
    user = os.environ.get(USER_MODELS_ENV) or Path.home() / ".local/share/audioxai/models"
    return [BUILTIN_MODELS, Path(user)]


def find_cards(folders: list[Path] | None = None) -> tuple[list[ModelCard], list[str]]:
    """Every readable card in the folders, plus one message per card that could not be read."""
    cards, problems = [], []
    for folder in folders if folders is not None else model_folders():
        for path in sorted(Path(folder).glob(f"*{CARD_SUFFIX}")):
            try:
                cards.append(ModelCard.load(path))
            except ModelLoadError as exc:
                problems.append(str(exc))
    return cards, problems


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class LoadedModel:
    """A card with its network in eval mode on a device."""

    card: ModelCard
    module: nn.Module
    device: torch.device

    def input_shape(self, batch: int = 1) -> tuple[int, ...]:
        if self.card.input_kind == "waveform":
            return (batch, 1, self.card.input_length)
        spec = self.card.features
        return (batch, 1, spec.n_bands, spec.framing.n_frames(self.card.input_length))


def load_model(card: ModelCard | Path, device: str | torch.device = "cpu") -> LoadedModel:
    """Build the card's architecture and load its weights; every failure names the file and the reason."""
    if not isinstance(card, ModelCard):
        card = ModelCard.load(card)
    weights = card.weights_path
    if not weights.is_file():
        raise ModelLoadError(f"model {card.name}: weight file {weights} not found")
    if card.sha256 and file_sha256(weights) != card.sha256:
        raise ModelLoadError(f"model {card.name}: weight file {weights} does not match the card's sha256 checksum")
    try:
        state = torch.load(weights, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt or unsafe files
        raise ModelLoadError(f"model {card.name}: weight file {weights} is corrupt or unsafe ({exc})") from exc
    if not isinstance(state, dict):
        raise ModelLoadError(f"model {card.name}: weight file {weights} holds no state dict")
    try:
        module = build_model(card.architecture, {"n_classes": len(card.classes), **card.architecture_params})
    except (KeyError, TypeError) as exc:
        raise ModelLoadError(f"model card {card.path}: cannot build architecture ({exc})") from exc
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()
        reason = "; ".join(line.strip() for line in first[:3])
        raise ModelLoadError(
            f"model {card.name}: weights {weights} do not fit the card's architecture ({reason})"
        ) from exc
    module.eval().requires_grad_(False)
    loaded = LoadedModel(card, module.to(device), torch.device(device))
    with torch.no_grad():
        out = loaded.module(torch.zeros(loaded.input_shape(), device=device))
    if out.shape[-1] != len(card.classes):
        raise ModelLoadError(f"model {card.name}: outputs {out.shape[-1]} classes, card lists {len(card.classes)}")
    return loaded


def pick_card(cards: list[ModelCard], input_kind: str, name: str | None = None) -> ModelCard:
    """The card called ``name`` (any kind), else the first card of ``input_kind`` (built-in cards come first)."""
    for card in cards:
        if (name is None and card.input_kind == input_kind) or card.name == name:
            return card
    wanted = f"model {name!r}" if name else f"{input_kind} model"
    known = ", ".join(c.name for c in cards) or "none"
    raise ModelLoadError(f"no {wanted} found in {', '.join(map(str, model_folders()))} (found: {known})")
