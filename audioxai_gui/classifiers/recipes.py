"""Training recipes by task id: what ``python -m audioxai_gui train --task NAME`` runs.

Each recipe trains one model kind for its task and writes weights + card; ``options`` names the extra keyword
options it understands, so the command line can say which option does not apply to a task.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .card import ModelCard
from .digits import train_digits
from .events import train_events


@dataclass(frozen=True)
class TrainingRecipe:
    run: Callable[..., ModelCard | None]  # run(input_kind, out_dir, data=, epochs=, name=, **options, log=)
    options: tuple[str, ...]


RECIPES = {
    "digits": TrainingRecipe(train_digits, ("loso_epochs", "init_from")),
    "events": TrainingRecipe(train_events, ("folds",)),
}
