"""The heavy half of start-up (torch, zennit, the engine, model weights), run off the GUI thread.

Qt-free. Nothing here is imported at module level by the window, so the window shows before torch loads.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..batch import failure_reason
from ..session import ROLES


class NoModelError(Exception):
    """No usable model card for a role; the message lists what was found and what went wrong."""


@dataclass
class Backend:
    engine: object  # ExplanationEngine
    cards: list  # every readable ModelCard
    problems: list[str]  # one line per card, pair or weight file that could not be used
    models: dict = field(default_factory=dict)  # role -> LoadedModel
    composites: list[str] = field(default_factory=list)
    tasks: dict = field(default_factory=dict)  # task id -> Task (complete pairs only)
    task: object = None  # the Task whose models are loaded

    def __post_init__(self) -> None:
        """A backend built from loaded models (tests, scripts) gets their task from the cards."""
        if self.task is None and self.models:
            from ..classifiers import discover_tasks

            self.tasks = self.tasks or discover_tasks(self.cards)[0]
            self.task = self.tasks.get(next(iter(self.models.values())).card.task)

    def cards_for(self, role: str) -> list:
        """The current task's cards of a role (a model of another task knows other classes)."""
        return list(self.task.cards.get(role, []))


def load_role(backend: Backend, role: str, wanted: str | None) -> bool:
    """Load the current task's card named ``wanted`` (else its first card of the role: built-in ones come first)
    into ``backend.models``; a failure is added to ``backend.problems`` and leaves the role's model as it was."""
    from ..classifiers import ModelLoadError

    try:
        backend.models[role] = backend.engine.load(backend.task.card(role, wanted))
    except ModelLoadError as exc:
        backend.problems.append(str(exc))
        return False
    return True


def with_model(backend: Backend, role: str, name: str) -> Backend:
    """A copy of ``backend`` with ``name`` loaded for ``role`` (worker thread). The original stays untouched,
    so the window keeps explaining with it until the copy is handed over; a failed load keeps the old model."""
    candidate = replace(backend, models=dict(backend.models), problems=list(backend.problems))
    load_role(candidate, role, name)
    return candidate


def with_task(backend: Backend, task_id: str) -> Backend:
    """A copy of ``backend`` with ``task_id``'s models loaded (worker thread); when they cannot be loaded the
    copy keeps the current task and models, with the reason added to its problems."""
    candidate = replace(backend, models={}, problems=list(backend.problems))
    try:
        return load_models(candidate, task=task_id)
    except NoModelError:  # load_role has added why to the candidate's problems
        return replace(backend, problems=candidate.problems)


def import_heavy_modules() -> None:
    """Import torch, zennit, the engine and soxr. Call from the GUI thread only, after the window shows.

    PySide6 hooks ``import``, and that hook crashed (segfault) when torch was first imported from a
    worker thread while the GUI thread painted; so every first import the explanation needs happens
    here, and worker threads only run code that is already imported.
    """
    import soxr  # noqa: F401  (resampling in load_audio)
    import torch.fx.experimental.symbolic_shapes  # noqa: F401  (torch imports it, and sympy, on the first backward)

    from ..explain import composites, engine  # noqa: F401


def import_optional_modules() -> None:
    """What only some actions need (explanation audio, region suggestions): imported once the first
    explanation is on screen, so neither start-up nor the first click waits for it."""
    import scipy.ndimage  # noqa: F401


def discover(device: str | None = None) -> Backend:
    """Find the model cards and create the engine (GUI thread; fast once the modules are imported).

    Mel filterbanks are built here too: building one imports librosa submodules lazily.
    """
    from ..classifiers import discover_tasks, find_cards
    from ..explain.composites import COMPOSITES
    from ..explain.engine import ExplanationEngine

    cards, problems = find_cards()
    usable = []
    for card in cards:
        try:
            if card.features.kind == "mel_db":
                card.features.mel_filterbank()
                card.features.band_frequencies()
        except Exception as exc:  # noqa: BLE001 - a card that passed its schema may still fail here; skip it
            problems.append(f"model card {card.path}: its mel bands cannot be built ({failure_reason(exc)})")
            continue
        usable.append(card)
    tasks, task_problems = discover_tasks(usable)
    return Backend(
        ExplanationEngine(device), usable, [*problems, *task_problems], composites=list(COMPOSITES), tasks=tasks
    )


def load_models(backend: Backend, wanted: dict[str, str] | None = None, task: str | None = None) -> Backend:
    """Load the models of ``task`` (default: the default task), one per role (worker thread: reading weights
    takes a while). An unknown task is reported and the default task is loaded instead."""
    from ..classifiers import UnknownTaskError, get_task

    wanted = wanted or {}
    try:
        backend.task = get_task(backend.tasks, task)
    except UnknownTaskError as exc:
        if task is None or not backend.tasks:
            raise NoModelError(f"{exc}. {'; '.join(backend.problems)}".rstrip(". ")) from exc
        backend.problems.append(str(exc))
        backend.task = get_task(backend.tasks, None)
    for role in ROLES:
        if not load_role(backend, role, wanted.get(role)) and wanted.get(role) is not None:
            load_role(backend, role, None)  # the asked-for model is unusable: start with the default one
    missing = [role for role in ROLES if role not in backend.models]
    if missing:
        found = ", ".join(f"{c.name} ({c.input_kind})" for c in backend.cards) or "none"
        details = "; ".join(backend.problems)
        raise NoModelError(f"no usable {' or '.join(missing)} model (cards found: {found}). {details}")
    return backend
