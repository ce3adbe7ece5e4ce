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
    problems: list[str]  # one line per card or weight file that could not be used
    models: dict = field(default_factory=dict)  # role -> LoadedModel
    composites: list[str] = field(default_factory=list)

    def cards_for(self, role: str) -> list:
        return [card for card in self.cards if card.input_kind == role]


def load_role(backend: Backend, role: str, wanted: str | None) -> bool:
    """Load the card named ``wanted`` (else the first card of the role: built-in ones come first) into
    ``backend.models``; a failure is added to ``backend.problems`` and leaves the role's model as it was."""
    from ..classifiers import ModelLoadError, pick_card

    try:
        card = pick_card(backend.cards, role, wanted)
        if card.input_kind != role:
            raise ModelLoadError(f"model {wanted!r} is a {card.input_kind} model, not a {role} model")
        backend.models[role] = backend.engine.load(card)
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
    from ..classifiers import find_cards
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
    return Backend(ExplanationEngine(device), usable, list(problems), composites=list(COMPOSITES))


def load_models(backend: Backend, wanted: dict[str, str] | None = None) -> Backend:
    """Load one model per role (worker thread: reading weights takes a while)."""
    wanted = wanted or {}
    for role in ROLES:
        if not load_role(backend, role, wanted.get(role)) and wanted.get(role) is not None:
            load_role(backend, role, None)  # the asked-for model is unusable: start with the default one
    missing = [role for role in ROLES if role not in backend.models]
    if missing:
        found = ", ".join(f"{c.name} ({c.input_kind})" for c in backend.cards) or "none"
        details = "; ".join(backend.problems)
        raise NoModelError(f"no usable {' or '.join(missing)} model (cards found: {found}). {details}")
    return backend
