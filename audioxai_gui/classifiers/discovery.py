"""Where model cards live and how they are found: plain JSON, no torch, so the window can read them (e.g. the
spectrogram grid it draws an opened file on) while torch and the models are still loading."""

from __future__ import annotations

import os
from pathlib import Path

from ..batch import failure_reason, shown_path
from .card import CARD_SUFFIX, ModelCard, ModelLoadError
from .tasks import default_task, discover_tasks

BUILTIN_MODELS = Path(__file__).resolve().parents[2] / "models"
USER_MODELS_ENV = "AUDIOXAI_MODELS"


def model_folders() -> list[Path]:
    """Built-in ``models/`` plus the user's folder (``$AUDIOXAI_MODELS`` or ~/.local/share/audioxai/models)."""
    user = os.environ.get(USER_MODELS_ENV) or Path.home() / ".local/share/audioxai/models"
    return [BUILTIN_MODELS, Path(user)]


def find_cards(folders: list[Path] | None = None) -> tuple[list[ModelCard], list[str]]:
    """Every usable card in the folders, plus one message per card that is not. Never raises.

    A card whose name an earlier card (a built-in one: its folder comes first) already has is left out
    and reported: two models of one name could not be told apart in menus, sessions or ``--*-model``.
    """
    cards, problems, owners = [], [], {}
    for folder in folders if folders is not None else model_folders():
        try:
            paths = sorted(Path(folder).glob(f"*{CARD_SUFFIX}"))
        except OSError as exc:
            problems.append(f"model folder {shown_path(folder)}: {failure_reason(exc)}")
            continue
        for path in paths:
            try:
                card = ModelCard.load(path)
            except ModelLoadError as exc:
                problems.append(str(exc))
                continue
            except Exception as exc:  # noqa: BLE001 - one bad card must never stop discovery
                problems.append(f"model card {shown_path(path)}: {failure_reason(exc)}")
                continue
            if card.name in owners:
                problems.append(
                    f"model card {shown_path(path)}: the name {card.name!r} is already used by "
                    f"{shown_path(owners[card.name])}; this card is left out (give it another name)"
                )
                continue
            owners[card.name] = path
            cards.append(card)
    return cards, problems


def display_grid(task: str | None = None, folders: list[Path] | None = None):
    """The spectrogram grid (FeatureSpec) of ``task``'s spectrogram model (None: the default task), read from the
    cards alone; None when no such card is found. The window draws an opened file on it before the models load."""
    tasks, _ = discover_tasks(find_cards(folders)[0])
    if not tasks:
        return None
    chosen = tasks.get(task) if task else default_task(tasks)
    cards = chosen.cards.get("spectrogram") if chosen is not None else None
    return cards[0].features if cards else None
