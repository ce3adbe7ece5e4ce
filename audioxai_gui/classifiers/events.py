"""The events task: ESC-10 models, 5-fold cross-validated on the predefined folds, shipped trained on folds 1-4.

16 kHz keeps everything up to 8 kHz, where nearly all of ESC-10's energy lies, at a third of the cost of
44.1 kHz. A 1 s window at 50 % overlap gives the 5 s clip nine windows whose mean probability is the clip's
prediction (as in the engine); 1 s holds a bark, a sneeze or a few clock ticks and keeps live mode quick.
The fold-5 run of the cross-validation is the shipped model, so fold 5 stays a test set anyone can check.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch

from ..atomic import atomic_write
from ..features import FeatureSpec, Framing
from .augment import Augmentations, MixBackground, RandomFilter, RandomGain, SpecAugmentMasks, WhiteNoise
from .card import ModelCard
from .esc10 import DEFAULT_ESC10, ESC10_CREDIT, credits_markdown, esc10_classes, load_esc10
from .training import TrainConfig, save_model, task_card, train

TASK_ID = "events"
TASK_TITLE = "Environmental sound events (ESC-10: dog bark, rain, sea waves, baby cry, clock tick, ...)"
SAMPLE_RATE = 16000
FOLDS = (5, 1, 2, 3, 4)  # fold 5 first: its model (trained on folds 1-4) is the one shipped
SHIPPED_TEST_FOLD = 5
MODEL_NAMES = {"waveform": "esc10-audionet", "spectrogram": "esc10-alexnet"}
FEATURES = FeatureSpec(sample_rate=SAMPLE_RATE, framing=Framing(n_fft=512, hop_length=160), kind="mel_db", n_mels=64)
# What two contended CPU cores allowed for the full cross-validation (about an hour per model, one thread each).
DEFAULT_EPOCHS = {"waveform": 60, "spectrogram": 50}
ARCHITECTURES = {
    "waveform": (
        "audionet1d",
        {
            "channels": [16, 32, 64, 64, 128, 128, 256],
            "kernels": [9, 3, 3, 3, 3, 3, 3],
            "pools": [4, 4, 4, 2, 2, 2, 2],
            "hidden": 128,
        },
    ),
    "spectrogram": (
        "alexnet2d",
        {"channels": [16, 32, 64, 64, 128], "kernels": [5, 3, 3, 3, 3], "pools": [2, 2, 2, 2, 1], "hidden": 64},
    ),
}


def event_config(input_kind: str, epochs: int | None = None) -> TrainConfig:
    architecture, params = ARCHITECTURES[input_kind]
    return TrainConfig(
        input_kind,
        epochs=epochs or DEFAULT_EPOCHS[input_kind],
        eval_every=10,
        batch_size=32,
        learning_rate=3e-3,
        weight_decay=1e-2,
        label_smoothing=0.1,
        sample_rate=SAMPLE_RATE,
        input_length=SAMPLE_RATE,
        features=FEATURES,
        architecture=architecture,
        architecture_params=params,
        silence_is_uniform=True,
    )


def event_augmentations(config: TrainConfig, train_clips) -> Augmentations:
    masks = [SpecAugmentMasks(2, 8, 2, 15)] if config.input_kind == "spectrogram" else []
    return Augmentations(
        waveform=[
            RandomFilter(0.5, 9.0),
            MixBackground([c.samples for c in train_clips], 0.5, (10.0, 25.0)),
            RandomGain((-30.0, 0.0)),
            WhiteNoise(0.3, (20.0, 45.0)),
        ],
        model_input=masks,
    )


def make_event_card(config: TrainConfig, name: str, classes: list[str]) -> ModelCard:
    return task_card(
        config,
        name,
        task=TASK_ID,
        task_title=TASK_TITLE,
        classes=classes,
        data=ESC10_CREDIT,
        license="CC BY 3.0 (weights, trained on ESC-10)",
    )


def _fold_summary(results: dict[int, dict], classes: list[str]) -> dict:
    accuracies = [r["accuracy"] for r in results.values()]
    confusion = np.sum([r["confusion"] for r in results.values()], axis=0)
    return {
        "mean": round(float(np.mean(accuracies)), 4),
        "sd": round(float(np.std(accuracies, ddof=1)), 4) if len(accuracies) > 1 else None,
        "per_fold": {str(f): round(r["accuracy"], 4) for f, r in sorted(results.items())},
        "per_class_recall": {
            c: round(float(confusion[i, i] / max(confusion[i].sum(), 1)), 4) for i, c in enumerate(classes)
        },
        "confusion": {"rows_true_columns_predicted": classes, "counts": confusion.tolist()},
    }


def _read_progress(path: Path, epochs: int) -> dict[int, dict]:
    """Fold results an earlier or parallel run with the same epochs wrote to ``path`` (none if unreadable)."""
    try:
        progress = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if progress.get("epochs") != epochs:
        return {}
    return {int(f): {**r, "confusion": np.array(r["confusion"])} for f, r in progress.get("folds", {}).items()}


def _write_progress(path: Path, epochs: int, results: dict[int, dict]) -> None:
    record = {str(f): {**r, "confusion": np.asarray(r["confusion"]).tolist()} for f, r in sorted(results.items())}
    atomic_write(path, json.dumps({"epochs": epochs, "folds": record}, indent=1) + "\n")


def train_events(
    input_kind: str,
    out_dir: Path,
    data: Path | None = None,
    epochs: int | None = None,
    name: str | None = None,
    folds: tuple[int, ...] = FOLDS,
    log=print,
) -> ModelCard | None:
    """``train --task events``: cross-validate over ``folds`` (each held out once) and ship the model whose
    test fold is 5. Returns the shipped card (None when neither this run nor an earlier one shipped it).

    Every fold's training starts from the same seed, so folds can run in any order or in separate processes:
    results go to ``{name}.cv.json`` after every fold, merged with the folds already there (same epochs), and
    once all five are in, their summary goes on the shipped card.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = data or DEFAULT_ESC10
    name = name or MODEL_NAMES[input_kind]
    config = event_config(input_kind, epochs)
    classes = esc10_classes(data)
    clips = load_esc10(data, SAMPLE_RATE)
    progress_path = out_dir / f"{name}.cv.json"
    card_path = out_dir / f"{name}.card.json"
    results: dict[int, dict] = {}
    for fold in folds:
        train_set = [c for c in clips if c.fold != fold]
        test_set = [c for c in clips if c.fold == fold]
        card = make_event_card(config, name if fold == SHIPPED_TEST_FOLD else f"{name}-fold{fold}", classes)
        augmentations = event_augmentations(config, train_set)
        started = time.perf_counter()
        module, evaluation = train(config, card, train_set, test_set, augmentations, log=log)
        seconds = round(time.perf_counter() - started, 1)
        results[fold] = {"accuracy": evaluation.accuracy, "confusion": evaluation.confusion, "seconds": seconds}
        log(f"{name} fold {fold}: {evaluation.accuracy:.4f} on {len(test_set)} clips ({seconds} s)")
        if fold == SHIPPED_TEST_FOLD:
            card.training = {
                **config.summary(),
                "augmentation": augmentations.describe(),
                "split": "trained on ESC-10 folds 1-4 (318 clips); fold 5 (80 clips) held out as the test set",
                "train_seconds": seconds,
                "threads": torch.get_num_threads(),
            }
            card.accuracy = {"fold5_test": round(evaluation.accuracy, 4), "fold5_test_n": len(test_set)}
            save_model(module, card, out_dir)
        _write_progress(progress_path, config.epochs, {**_read_progress(progress_path, config.epochs), **results})
    if not card_path.is_file():
        return None
    shipped = ModelCard.load(card_path)
    everything = {**_read_progress(progress_path, config.epochs), **results}
    if sorted(everything) == sorted(FOLDS):
        shipped.accuracy["cross_validation"] = {
            "folds": "ESC-10's 5 predefined folds, each held out once (clips of one source recording share a fold)",
            "epochs": config.epochs,
            "train_seconds_per_fold": {str(f): r["seconds"] for f, r in sorted(everything.items())},
            **_fold_summary(everything, classes),
        }
        shipped.save(card_path)
    atomic_write(out_dir / ESC10_CREDIT["credits_file"], credits_markdown(data))
    return shipped
