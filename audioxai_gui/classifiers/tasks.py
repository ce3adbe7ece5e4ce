"""Tasks: the model cards that share a task id form one choice, a waveform model and a spectrogram model.

The window, live mode and every CLI sub-command pick a task first and then its two models, so a pair a user
drops into their models folder works everywhere without code that knows its name. Qt-free.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .card import ModelCard, ModelLoadError
from .card_schema import INPUT_KINDS

DEFAULT_TASK = "digits"  # the built-in pair; when it is missing, the first task found is the default


class UnknownTaskError(ModelLoadError):
    """A task name that no complete pair of model cards declares; the message lists the known tasks."""


@dataclass
class Task:
    """One task id with its cards per input kind; the first card of a kind is the one used by default."""

    id: str
    title: str
    classes: list[str]
    cards: dict[str, list[ModelCard]] = field(default_factory=dict)  # input kind -> cards, preferred first

    def card(self, input_kind: str, name: str | None = None) -> ModelCard:
        """The task's ``input_kind`` card called ``name`` (default: the preferred one)."""
        candidates = self.cards.get(input_kind, [])
        for card in candidates:
            if name is None or card.name == name:
                return card
        known = ", ".join(c.name for c in candidates) or "none"
        raise ModelLoadError(f"task {self.id!r} has no {input_kind} model {name!r} (its {input_kind} models: {known})")

    def describe(self) -> str:
        """One line for lists and menus: id, title and the two default models."""
        models = " + ".join(self.cards[kind][0].name for kind in INPUT_KINDS)
        return f"{self.id}: {self.title or 'untitled'} ({models})"


def discover_tasks(cards: list[ModelCard]) -> tuple[dict[str, Task], list[str]]:
    """Group cards by task id (the default task first, then in the order found: built-in folder first); return
    the complete tasks and one message per card or task that cannot be used (no task id, another class list, a
    missing model kind) or that is ambiguous (two models of one kind: the first is used, the other stays
    selectable)."""
    groups: dict[str, list[ModelCard]] = {}
    problems: list[str] = []
    for card in cards:
        if not card.task:
            problems.append(f'model card {card.path}: names no task; add a short task id, e.g. "task": "mytask"')
            continue
        groups.setdefault(card.task, []).append(card)
    tasks: dict[str, Task] = {}
    for task_id, members in groups.items():
        first = members[0]
        task = Task(task_id, next((c.task_title for c in members if c.task_title), ""), list(first.classes))
        for card in members:
            if list(card.classes) != task.classes:
                problems.append(
                    f"model card {card.path}: task {task_id!r} classes {card.classes} differ from "
                    f"{first.name}'s {task.classes}; left out of the task"
                )
                continue
            task.cards.setdefault(card.input_kind, []).append(card)
        missing = [kind for kind in INPUT_KINDS if kind not in task.cards]
        if missing:
            found = ", ".join(f"{c.name} ({c.input_kind})" for c in members)
            problems.append(f"task {task_id!r} has no {' and no '.join(missing)} model (its cards: {found}); left out")
            continue
        for kind in INPUT_KINDS:
            names = [c.name for c in task.cards[kind]]
            if len(names) > 1:
                problems.append(
                    f"task {task_id!r} has {len(names)} {kind} models ({', '.join(names)}): {names[0]} is used "
                    "unless another is chosen"
                )
        tasks[task_id] = task
    if DEFAULT_TASK in tasks:  # menus and lists start with the task the app opens on
        tasks = {DEFAULT_TASK: tasks.pop(DEFAULT_TASK), **tasks}
    return tasks, problems


def default_task(tasks: dict[str, Task]) -> Task:
    if not tasks:
        raise UnknownTaskError("no task found: no complete pair of waveform and spectrogram model cards")
    return tasks.get(DEFAULT_TASK) or next(iter(tasks.values()))


def get_task(tasks: dict[str, Task], name: str | None) -> Task:
    """The task called ``name`` (None: the default task); an unknown name lists the known tasks."""
    if name is None:
        return default_task(tasks)
    if name not in tasks:
        known = "; ".join(task.describe() for task in tasks.values()) or "none"
        raise UnknownTaskError(f"unknown task {name!r}; known tasks: {known}")
    return tasks[name]
