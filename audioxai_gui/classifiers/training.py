"""Train a registered architecture on labelled clips and write weights plus a model card.

The trainer is dataset-agnostic: it takes clips (anything with ``samples`` and ``label``), the card that
says what the model sees, an optimisation config and an augmentation pipeline (``augment.py``). Each step
cuts one window per clip at a random time shift, augments it and trains; evaluation scores whole clips the
way the engine does (windows at 50 % overlap, mean of their probabilities). Seeds are fixed; everything runs
on the CPU. The FSDD recipe (``train --task digits``) lives here too; other tasks' recipes in their modules.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from torch import nn

from ..atomic import atomic_output
from ..features import FeatureSpec
from .architectures import build_model
from .augment import Augmentations
from .card import ModelCard
from .inputs import model_input
from .registry import file_sha256

DEFAULT_ARCHITECTURES = {"waveform": "audionet1d", "spectrogram": "alexnet2d"}


class LabelledClip(Protocol):
    samples: np.ndarray
    label: int


@dataclass
class TrainConfig:
    input_kind: str
    epochs: int = 30
    batch_size: int = 64
    learning_rate: float = 3e-3
    weight_decay: float = 1e-3
    label_smoothing: float = 0.05
    seed: int = 0
    sample_rate: int = 8000
    input_length: int = 8000
    features: FeatureSpec = field(default_factory=FeatureSpec)
    architecture: str = ""  # default: the built-in architecture for the input kind
    architecture_params: dict = field(default_factory=dict)
    windows_per_clip: int = 1  # training windows cut from each clip per epoch
    # Train all-silent windows towards "no class" (uniform probabilities), so the silent windows of a padded
    # clip do not sway the mean of the clip's window probabilities.
    silence_is_uniform: bool = False
    eval_every: int = 5  # epochs between test evaluations in the log (the last epoch is always evaluated)

    def __post_init__(self):
        self.architecture = self.architecture or DEFAULT_ARCHITECTURES[self.input_kind]

    def summary(self) -> dict:
        """The settings a model card records under ``training``."""
        return {
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "learning_rate": self.learning_rate,
            "weight_decay": self.weight_decay,
            "label_smoothing": self.label_smoothing,
            "seed": self.seed,
            "windows_per_clip": self.windows_per_clip,
            "silence_is_uniform": self.silence_is_uniform,
        }


@dataclass
class Evaluation:
    """Clip-level accuracy and the confusion matrix (rows: true class, columns: predicted class)."""

    accuracy: float
    confusion: np.ndarray

    @classmethod
    def from_predictions(cls, labels: np.ndarray, predicted: np.ndarray, n_classes: int) -> Evaluation:
        confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
        np.add.at(confusion, (labels, predicted), 1)
        return cls(float((labels == predicted).mean()) if len(labels) else 0.0, confusion)


def clip_windows(samples: np.ndarray, card: ModelCard, hop_fraction: float = 0.5) -> np.ndarray:
    """The windows the engine cuts from a clip (zero-padded, 50 % overlap by default): (n_windows, length)."""
    from ..explain.engine import WindowPlan  # the engine's own plan, so scores match what the app shows

    plan = WindowPlan.for_clip(len(samples), card.input_length, hop_fraction, card.features.framing.hop_length)
    return plan.windows(np.asarray(samples, dtype=np.float32)).numpy()


def evaluate(module: nn.Module, card: ModelCard, clips: Sequence[LabelledClip]) -> Evaluation:
    """Each clip's prediction is the mean of its windows' probabilities, as in the engine."""
    module.eval()
    per_clip = [clip_windows(clip.samples, card) for clip in clips]
    windows = torch.from_numpy(np.concatenate(per_clip))
    with torch.no_grad():
        probabilities = torch.cat(
            [torch.softmax(module(model_input(card, batch)), dim=1) for batch in windows.split(256)]
        ).numpy()
    bounds = np.cumsum([0] + [len(w) for w in per_clip])
    spans = zip(bounds[:-1], bounds[1:], strict=True)
    predicted = np.array([probabilities[a:b].mean(axis=0).argmax() for a, b in spans], dtype=np.int64)
    labels = np.array([c.label for c in clips], dtype=np.int64)
    return Evaluation.from_predictions(labels, predicted, len(card.classes))


def _targets(labels: Sequence[int], n_classes: int, smoothing: float, silent_rows: int) -> torch.Tensor:
    """Label-smoothed class probabilities, plus uniform rows for the added silent windows."""
    targets = torch.full((len(labels) + silent_rows, n_classes), 1.0 / n_classes)
    targets[: len(labels)] = smoothing / n_classes
    targets[torch.arange(len(labels)), torch.tensor(list(labels), dtype=torch.long)] += 1.0 - smoothing
    return targets


def train(
    config: TrainConfig,
    card: ModelCard,
    train_set: Sequence[LabelledClip],
    test_set: Sequence[LabelledClip],
    augmentations: Augmentations,
    log=print,
    initial_state: dict | None = None,
) -> tuple[nn.Module, Evaluation]:
    """Train one model for ``card`` (from ``initial_state`` when given: fine-tuning); returns the module (eval
    mode) and its clip-level test evaluation."""
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    module = build_model(card.architecture, {"n_classes": len(card.classes), **card.architecture_params})
    if initial_state is not None:
        module.load_state_dict(initial_state)
    optimiser = torch.optim.AdamW(module.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    n_windows = len(train_set) * config.windows_per_clip
    steps_per_epoch = (n_windows + config.batch_size - 1) // config.batch_size
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=config.learning_rate, total_steps=config.epochs * steps_per_epoch
    )
    silent_rows = 1 if config.silence_is_uniform else 0
    evaluation = Evaluation(0.0, np.zeros((len(card.classes),) * 2, dtype=np.int64))
    for epoch in range(config.epochs):
        module.train()
        started = time.perf_counter()
        order = np.concatenate([rng.permutation(len(train_set)) for _ in range(config.windows_per_clip)])
        total_loss = 0.0
        for step in range(steps_per_epoch):
            picked = [train_set[i] for i in order[step * config.batch_size : (step + 1) * config.batch_size]]
            windows = augmentations.windows([c.samples for c in picked], card.input_length, rng)
            windows = np.concatenate([windows, np.zeros((silent_rows, card.input_length), np.float32)])
            inputs = augmentations.inputs(model_input(card, torch.from_numpy(windows)), rng)
            targets = _targets([c.label for c in picked], len(card.classes), config.label_smoothing, silent_rows)
            loss = nn.functional.cross_entropy(module(inputs), targets)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total_loss += loss.item()
        if test_set and ((epoch + 1) % config.eval_every == 0 or epoch == config.epochs - 1):
            evaluation = evaluate(module, card, test_set)
        log(
            f"{card.name} epoch {epoch + 1}/{config.epochs} loss {total_loss / steps_per_epoch:.3f} "
            f"test acc {evaluation.accuracy:.4f} ({time.perf_counter() - started:.1f} s)"
        )
    module.eval()
    return module, evaluation


def save_model(module: nn.Module, card: ModelCard, out_dir: Path) -> ModelCard:
    """Write the weights and the card (with the weights' checksum) into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    weights = out_dir / card.weights
    with atomic_output(weights) as temp:
        torch.save(module.state_dict(), temp)
    card.sha256 = file_sha256(weights)
    card.save(out_dir / f"{card.name}.card.json")
    return card


def task_card(
    config: TrainConfig, name: str, *, task: str, task_title: str, classes: list[str], data: dict, license: str
) -> ModelCard:
    """A new (untrained) model's card: what the config says the model sees, plus the task and its credit."""
    return ModelCard(
        name=name,
        task=task,
        task_title=task_title,
        input_kind=config.input_kind,
        architecture=config.architecture,
        architecture_params=dict(config.architecture_params),
        classes=list(classes),
        sample_rate=config.sample_rate,
        input_length=config.input_length,
        weights=f"{name}.pt",
        features=config.features,
        default_composite="EpsilonPlus",
        data=data,
        license=license,
    )
