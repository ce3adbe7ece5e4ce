"""Find model cards in folders and load their weights safely (``weights_only=True``: no code runs)."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..batch import failure_reason
from ..checks import read_regular_file
from .architectures import ARCHITECTURES, build_model
from .card import ModelCard, ModelLoadError
from .discovery import BUILTIN_MODELS, USER_MODELS_ENV, find_cards, model_folders  # noqa: F401 (their old home)
from .tasks import discover_tasks, get_task


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


MAX_WEIGHT_BYTES = 1 << 30
MAX_PARAMETERS = 100_000_000  # the built-in models have about 100,000


def load_model(card: ModelCard | Path, device: str | torch.device = "cpu") -> LoadedModel:
    """Build the card's architecture and load its weights; every failure is a ModelLoadError naming the
    model and the reason, whatever the card or the weight file holds."""
    if not isinstance(card, ModelCard):
        card = ModelCard.load(card)
    try:
        return _load_checked(card, device)
    except ModelLoadError:
        raise
    except Exception as exc:  # noqa: BLE001 - a hostile card or weight file may fail anywhere
        raise ModelLoadError(f"model {card.name}: cannot be loaded ({failure_reason(exc)})") from exc


def _load_checked(card: ModelCard, device: str | torch.device) -> LoadedModel:
    weights = card.weights_path
    data = _weight_bytes(card)
    try:
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt or unsafe files
        raise ModelLoadError(f"model {card.name}: weight file {weights} is corrupt or unsafe ({exc})") from exc
    if not isinstance(state, dict):
        raise ModelLoadError(f"model {card.name}: weight file {weights} holds no state dict")
    module = _build(card)
    _check_state(card, state, module.state_dict())
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()
        reason = "; ".join(line.strip() for line in first[:3])
        raise ModelLoadError(
            f"model {card.name}: weights {weights} do not fit the card's architecture ({reason})"
        ) from exc
    module.eval().requires_grad_(False)
    if any(parameter.dim() == 4 for parameter in module.parameters()):
        # 2-D convolutions in channels-last layout: oneDNN then needs no reorder per layer and call; LRP of the
        # shipped spectrogram model 46 -> 54 windows/s on 2 CPU cores (float sums in another order: ~1e-7 relative)
        module.to(memory_format=torch.channels_last)
    loaded = LoadedModel(card, module.to(device), torch.device(device))
    with torch.no_grad():  # a dry run on silence: the model must answer with one finite logit per class
        out = loaded.module(torch.zeros(loaded.input_shape(), device=device))
    if tuple(out.shape) != (1, len(card.classes)):
        raise ModelLoadError(
            f"model {card.name}: outputs shape {tuple(out.shape)}, expected (1, {len(card.classes)}) for its classes"
        )
    if not torch.isfinite(out).all():
        raise ModelLoadError(f"model {card.name}: gives NaN or infinite outputs on silence; its weights are unusable")
    return loaded


def _weight_bytes(card: ModelCard) -> bytes:
    """The weight file's bytes: a regular file inside the card's folder (symlinks resolved), size-limited,
    matching the card's sha256 when it has one.

    The checksum catches a damaged or swapped weight file, not an attack (whoever can replace the weights can
    edit the card beside them; weights_only loading, the tensor checks and the dry run guard against hostile
    files). So built-in cards must carry it (we ship both files), and a user card is verified when it has one:
    `train` writes it, cards from elsewhere may not.
    """
    weights = card.weights_path
    folder = weights.parent if card.path is None else card.path.parent
    try:
        resolved = weights.resolve(strict=True)
    except FileNotFoundError:
        raise ModelLoadError(f"model {card.name}: weight file {weights} not found") from None
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise ModelLoadError(f"model {card.name}: weight file {weights}: {failure_reason(exc)}") from exc
    if not resolved.is_relative_to(folder.resolve()):
        raise ModelLoadError(
            f"model {card.name}: weight file {weights} lies outside the card's folder {folder}; "
            "weights must sit beside their card"
        )
    try:
        data = read_regular_file(resolved, MAX_WEIGHT_BYTES)
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"model {card.name}: weight file {weights}: {failure_reason(exc)}") from exc
    if not card.sha256 and folder.resolve() == BUILTIN_MODELS:
        raise ModelLoadError(f"model {card.name}: a built-in card must carry the sha256 of its weights")
    if card.sha256 and hashlib.sha256(data).hexdigest() != card.sha256:
        raise ModelLoadError(f"model {card.name}: weight file {weights} does not match the card's sha256 checksum")
    return data


def _build(card: ModelCard) -> nn.Module:
    """The card's architecture, sized on the meta device first so absurd parameters allocate nothing."""
    cls = ARCHITECTURES.get(card.architecture)
    kind = getattr(cls, "input_kind", card.input_kind)
    if kind != card.input_kind:
        raise ModelLoadError(
            f"model card {card.path}: architecture {card.architecture!r} takes {kind} input, "
            f"not the card's input_kind {card.input_kind!r}"
        )
    params = {"n_classes": len(card.classes), **card.architecture_params}
    try:
        with torch.device("meta"):
            size = sum(p.numel() for p in build_model(card.architecture, params).parameters())
        if size > MAX_PARAMETERS:
            raise ModelLoadError(
                f"model card {card.path}: architecture_params give {size:,} parameters (at most {MAX_PARAMETERS:,})"
            )
        return build_model(card.architecture, params)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise ModelLoadError(f"model card {card.path}: cannot build architecture ({exc})") from exc


def _check_state(card: ModelCard, state: dict, expected: dict) -> None:
    """Every floating-point tensor of the architecture must arrive as finite floating-point numbers."""
    for key, reference in expected.items():
        value = state.get(key)
        if value is None or not reference.is_floating_point():
            continue  # missing keys are named by load_state_dict; integer buffers count batches
        if not isinstance(value, torch.Tensor) or not value.is_floating_point():
            found = value.dtype if isinstance(value, torch.Tensor) else type(value).__name__
            raise ModelLoadError(f"model {card.name}: weight {key} is {found}, not floating point")
        if tuple(value.shape) != tuple(reference.shape):
            raise ModelLoadError(
                f"model {card.name}: weights {card.weights_path} do not fit the card's architecture "
                f"({key} has shape {tuple(value.shape)}, needs {tuple(reference.shape)})"
            )
        if not torch.isfinite(value).all():
            raise ModelLoadError(f"model {card.name}: weight {key} holds NaN or infinite values")


def pick_card(cards: list[ModelCard], input_kind: str, name: str | None = None, task: str | None = None) -> ModelCard:
    """The card called ``name`` (any kind, any task), else the ``input_kind`` model of ``task`` (default: the
    default task; within a task, built-in cards come first)."""
    if name is None:
        return get_task(discover_tasks(cards)[0], task).card(input_kind)
    for card in cards:
        if card.name == name:
            return card
    known = ", ".join(c.name for c in cards) or "none"
    raise ModelLoadError(f"no model {name!r} found in {', '.join(map(str, model_folders()))} (found: {known})")
