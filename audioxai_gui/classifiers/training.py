"""Train a registered architecture on FSDD and write weights plus a model card.

Clips sit at a random offset inside the model's 1 s window (as AudioMNIST does), with gain, noise and
time-shift augmentation, so a model does not learn where a clip starts and works on sliding windows
over long audio and on live input. Seeds are fixed; everything runs on the CPU in minutes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..atomic import atomic_output
from ..features import FeatureSpec
from .architectures import build_model
from .card import ModelCard
from .fsdd import DEFAULT_FSDD, FSDD_CREDIT, Recording, load_fsdd
from .inputs import model_input
from .registry import file_sha256

CLASSES = [str(d) for d in range(10)]


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
    # model_input scales each window to the card's peak level, so gain only matters below the 30 dB gain cap:
    # it teaches the model that very quiet windows stay quiet.
    gain_db: tuple[float, float] = (-40.0, 0.0)
    noise_probability: float = 0.5
    snr_db: tuple[float, float] = (10.0, 40.0)
    features: FeatureSpec = field(default_factory=FeatureSpec)

    @property
    def architecture(self) -> str:
        return {"waveform": "audionet1d", "spectrogram": "alexnet2d"}[self.input_kind]


def place_in_window(samples: np.ndarray, length: int, offset: int | None) -> np.ndarray:
    """Put a clip into a zero window of ``length`` at ``offset`` (None: centred); longer clips are cropped."""
    window = np.zeros(length, dtype=np.float32)
    if len(samples) >= length:
        start = (len(samples) - length) // 2 if offset is None else offset % (len(samples) - length + 1)
        window[:] = samples[start : start + length]
        return window
    start = (length - len(samples)) // 2 if offset is None else offset % (length - len(samples) + 1)
    window[start : start + len(samples)] = samples
    return window


def augment_batch(clips: list[np.ndarray], config: TrainConfig, rng: np.random.Generator) -> np.ndarray:
    """Random placement, gain and additive white noise at a random SNR."""
    batch = np.stack([place_in_window(c, config.input_length, int(rng.integers(0, 1 << 30))) for c in clips])
    gain = 10 ** (rng.uniform(*config.gain_db, size=(len(clips), 1)) / 20)
    batch *= gain / np.maximum(np.abs(batch).max(axis=1, keepdims=True), 1e-6)
    noisy = rng.random(len(clips)) < config.noise_probability
    if noisy.any():
        power = (batch[noisy] ** 2).mean(axis=1, keepdims=True)
        snr = 10 ** (rng.uniform(*config.snr_db, size=(int(noisy.sum()), 1)) / 10)
        batch[noisy] += rng.standard_normal(batch[noisy].shape).astype(np.float32) * np.sqrt(power / snr)
    return np.clip(batch, -1.0, 1.0).astype(np.float32)


def evaluation_batch(clips: list[Recording], config: TrainConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """Centred test windows at their recorded level (deterministic); model_input normalises the level."""
    windows = np.stack([place_in_window(r.samples, config.input_length, None) for r in clips])
    return torch.from_numpy(windows), torch.tensor([r.digit for r in clips])


def accuracy(module: nn.Module, card: ModelCard, windows: torch.Tensor, labels: torch.Tensor) -> float:
    module.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(windows), 256):
            logits = module(model_input(card, windows[start : start + 256]))
            correct += int((logits.argmax(1) == labels[start : start + 256]).sum())
    return correct / max(len(labels), 1)


def make_card(config: TrainConfig, name: str) -> ModelCard:
    return ModelCard(
        name=name,
        task="digits",
        task_title="Spoken digit recognition (0-9), English",
        input_kind=config.input_kind,
        architecture=config.architecture,
        classes=CLASSES,
        sample_rate=config.sample_rate,
        input_length=config.input_length,
        weights=f"{name}.pt",
        features=config.features,
        default_composite="EpsilonPlus",
        data=FSDD_CREDIT,
        license="CC BY-SA 4.0 (weights, trained on FSDD)",
    )


def train(
    config: TrainConfig,
    train_set: list[Recording],
    test_set: list[Recording],
    name: str = "model",
    log=print,
) -> tuple[nn.Module, ModelCard, float]:
    """Train one model; returns the module, its card (not yet saved) and the test accuracy."""
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    card = make_card(config, name)
    module = build_model(config.architecture, {"n_classes": len(CLASSES)})
    optimiser = torch.optim.AdamW(module.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    steps_per_epoch = (len(train_set) + config.batch_size - 1) // config.batch_size
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=config.learning_rate, total_steps=config.epochs * steps_per_epoch
    )
    loss_fn = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
    test_windows, test_labels = evaluation_batch(test_set, config)
    test_acc = 0.0
    for epoch in range(config.epochs):
        module.train()
        started = time.perf_counter()
        order = rng.permutation(len(train_set))
        total_loss = 0.0
        for step in range(steps_per_epoch):
            picked = [train_set[i] for i in order[step * config.batch_size : (step + 1) * config.batch_size]]
            windows = torch.from_numpy(augment_batch([r.samples for r in picked], config, rng))
            labels = torch.tensor([r.digit for r in picked])
            loss = loss_fn(module(model_input(card, windows)), labels)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total_loss += float(loss)
        if epoch % 5 == 4 or epoch == config.epochs - 1:
            test_acc = accuracy(module, card, test_windows, test_labels)
        log(
            f"{name} epoch {epoch + 1}/{config.epochs} loss {total_loss / steps_per_epoch:.3f} "
            f"test acc {test_acc:.4f} ({time.perf_counter() - started:.1f} s)"
        )
    module.eval()
    return module, card, test_acc


def leave_one_speaker_out(config: TrainConfig, recordings: list[Recording], log=print) -> dict[str, float]:
    """Train on five speakers, test on the sixth, for every speaker (a stricter, speaker-independent check)."""
    results = {}
    for speaker in sorted({r.speaker for r in recordings}):
        held_in = [r for r in recordings if r.speaker != speaker]
        held_out = [r for r in recordings if r.speaker == speaker]
        _, _, acc = train(config, held_in, held_out, name=f"loso-{speaker}", log=log)
        results[speaker] = acc
        log(f"leave-one-speaker-out {speaker}: {acc:.4f}")
    return results


def train_and_ship(config: TrainConfig, name: str, out_dir: Path, data: Path = DEFAULT_FSDD, log=print) -> ModelCard:
    """Train on the official split and write weights + card (with the test accuracy) to ``out_dir``."""
    recordings = load_fsdd(data, config.sample_rate)
    train_set = [r for r in recordings if not r.is_official_test]
    test_set = [r for r in recordings if r.is_official_test]
    started = time.perf_counter()
    module, card, test_acc = train(config, train_set, test_set, name=name, log=log)
    card.accuracy = {"official_test": round(test_acc, 4), "official_test_n": len(test_set)}
    card.training = {
        "epochs": config.epochs,
        "batch_size": config.batch_size,
        "learning_rate": config.learning_rate,
        "seed": config.seed,
        "augmentation": "random placement in the 1 s window, gain "
        f"{list(config.gain_db)} dB, white noise (p={config.noise_probability}) at SNR {list(config.snr_db)} dB",
        "split": "official: takes 0-4 test (300 clips), takes 5-49 train (2700 clips)",
        "train_seconds": round(time.perf_counter() - started, 1),
    }
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    weights = out_dir / card.weights
    with atomic_output(weights) as temp:
        torch.save(module.state_dict(), temp)
    card.sha256 = file_sha256(weights)
    card.save(out_dir / f"{name}.card.json")
    return card


def record_loso(card_path: Path, config: TrainConfig, data: Path = DEFAULT_FSDD, log=print) -> ModelCard:
    """Run leave-one-speaker-out for a shipped card's recipe and write the accuracies into its card."""
    card = ModelCard.load(card_path)
    per_speaker = leave_one_speaker_out(config, load_fsdd(data, config.sample_rate), log=log)
    card.accuracy["leave_one_speaker_out"] = {
        "mean": round(float(np.mean(list(per_speaker.values()))), 4),
        "epochs": config.epochs,
        "per_speaker": {k: round(v, 4) for k, v in per_speaker.items()},
    }
    card.save(card_path)
    return card
