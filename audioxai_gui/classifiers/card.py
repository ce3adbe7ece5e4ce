"""Model card: the one JSON beside the weights that says everything needed to use a model.

Sample rate, input length, feature parameters, classes, architecture, accuracy and data credit all
come from here; no other place in the code hard-codes them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import atomic_write, read_json_object
from ..batch import shown_path
from ..features import FeatureSpec
from .card_schema import CARD_SCHEMA, card_violations

CARD_SUFFIX = ".card.json"
MAX_CARD_BYTES = 1 << 20  # a card is a few kB; a bigger file is not one


class ModelLoadError(Exception):
    """A model card or weight file cannot be used; the message names the file and the reason."""


@dataclass
class ModelCard:
    name: str
    input_kind: str
    architecture: str
    classes: list[str]
    sample_rate: int
    input_length: int
    weights: str
    features: FeatureSpec = field(default_factory=FeatureSpec)
    architecture_params: dict = field(default_factory=dict)
    task: str = ""  # short task id ("digits"); the cards sharing it form one waveform + spectrogram pair
    task_title: str = ""  # the task in words ("Spoken digit recognition (0-9), English")
    sha256: str = ""
    default_composite: str = "EpsilonPlus"
    # Each model window is scaled to this peak (gain at most max_gain_db) before the model sees it, in training,
    # evaluation and every view (classifiers/inputs.model_input): recordings and microphones differ by 40 dB and
    # more in level; the model should not care. The digit cards allow 60 dB (digits.MAX_GAIN_DB).
    peak_level: float | None = 0.5
    max_gain_db: float = 30.0
    accuracy: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    license: str = ""
    training: dict = field(default_factory=dict)
    path: Path | None = None

    @property
    def weights_path(self) -> Path:
        base = self.path.parent if self.path else Path.cwd()
        return base / self.weights

    @property
    def duration(self) -> float:
        return self.input_length / self.sample_rate

    def to_dict(self) -> dict:
        return {
            "schema": CARD_SCHEMA,
            "name": self.name,
            "task": self.task,
            "task_title": self.task_title,
            "input_kind": self.input_kind,
            "architecture": self.architecture,
            "architecture_params": self.architecture_params,
            "classes": list(self.classes),
            "sample_rate": self.sample_rate,
            "input_length": self.input_length,
            "features": self.features.to_dict(),
            "weights": self.weights,
            "sha256": self.sha256,
            "default_composite": self.default_composite,
            "peak_level": self.peak_level,
            "max_gain_db": self.max_gain_db,
            "accuracy": self.accuracy,
            "data": self.data,
            "license": self.license,
            "training": self.training,
        }

    def save(self, path: Path) -> None:
        path = Path(path)
        atomic_write(path, json.dumps(self.to_dict(), indent=2) + "\n")
        self.path = path

    @classmethod
    def load(cls, path: Path) -> ModelCard:
        """Read and check a card; ModelLoadError names the file and every field that breaks the schema."""
        path = Path(path)
        try:
            data = read_json_object(path, MAX_CARD_BYTES)
        except ValueError as exc:
            raise ModelLoadError(f"model card {shown_path(path)}: {exc}") from exc
        violations = card_violations(data)
        if violations:
            raise ModelLoadError(f"model card {shown_path(path)}: " + "; ".join(violations))
        features = FeatureSpec.from_dict(data.get("features", {"sample_rate": data["sample_rate"]}))
        known = {f for f in cls.__dataclass_fields__ if f not in ("features", "path")}
        fields = {k: v for k, v in data.items() if k in known}
        return cls(**fields, features=features, path=path)
