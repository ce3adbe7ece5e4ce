"""The model card schema: every field's type and range, checked when a card is read.

A card may come from anyone (the user's models folder, a download), and every number in it sizes an
allocation or divides something: a sample rate of 0, an FFT of a million points or a gain of 1e308
must be refused before any of it is used. ``card_violations`` names every violation with its field,
so one message tells the card's author everything there is to fix.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import PurePosixPath, PureWindowsPath

from ..checks import is_finite_number, shown_value
from ..features import FeatureSpec
from ..features.spectrogram import FEATURE_KINDS

CARD_SCHEMA = 1
INPUT_KINDS = ("waveform", "spectrogram")
PAD_MODES = ("constant", "reflect", "replicate", "circular")  # torch.stft's
# A task id is typed on the command line (--task events) and stored in sessions: short, lower case, no spaces.
TASK_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
SHA256 = re.compile(r"[0-9a-f]{64}")

MIN_SAMPLE_RATE, MAX_SAMPLE_RATE = 1000, 768_000  # the rates audio files may have, too
MAX_INPUT_SECONDS = 60.0
MAX_CLASSES = 1000
MAX_SPECTROGRAM_CELLS = 4_000_000  # bands x frames of one model input (the built-in one has 16,000)
MAX_PARAM_VALUE = 1_000_000  # any number in architecture_params

Check = Callable[[object], str]
"""A field check: "" when the value is fine, else what is wrong with it."""


def integer(low: int, high: int) -> Check:
    def check(value) -> str:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"must be a whole number, got {shown_value(value)}"
        return "" if low <= value <= high else f"must be between {low} and {high}, got {shown_value(value)}"

    return check


def number(low: float, high: float, low_open: bool = False) -> Check:
    def check(value) -> str:
        if not is_finite_number(value):
            return f"must be a finite number, got {shown_value(value)}"
        too_low = value <= low if low_open else value < low
        if too_low or value > high:
            return f"must be {'above' if low_open else 'at least'} {low:g} and at most {high:g}, got {value:g}"
        return ""

    return check


def text(max_length: int, pattern: re.Pattern | None = None, required: bool = False, hint: str = "") -> Check:
    def check(value) -> str:
        if not isinstance(value, str):
            return f"must be text, got {shown_value(value)}"
        if required and not value:
            return "must not be empty"
        if len(value) > max_length or not value.isprintable():
            return f"must be printable text of at most {max_length} characters"
        if pattern is not None and value and not pattern.fullmatch(value):
            return f"{value!r} is not {hint}"
        return ""

    return check


def choice(options: tuple) -> Check:
    return lambda value: "" if value in options else f"{shown_value(value)} is not one of {', '.join(options)}"


def boolean(value) -> str:
    return "" if isinstance(value, bool) else f"must be true or false, got {shown_value(value)}"


def mapping(value) -> str:
    return "" if isinstance(value, dict) else f"must be a JSON object, got {shown_value(value)}"


def optional(check: Check) -> Check:
    return lambda value: "" if value is None else check(value)


def class_names(value) -> str:
    if not isinstance(value, list) or not 2 <= len(value) <= MAX_CLASSES:
        return f"must be a list of 2 to {MAX_CLASSES} class names"
    if any(text(100, required=True)(name) for name in value):
        return "every class name must be non-empty printable text of at most 100 characters"
    return "" if len(set(value)) == len(value) else "class names must differ"


def weights_file(value) -> str:
    """A plain relative path inside the card's folder: no absolute path, no drive, no ``..``."""
    problem = text(255, required=True)(value)
    if problem:
        return problem
    if any(p.is_absolute() or p.drive for p in (PurePosixPath(value), PureWindowsPath(value))):
        return f"{value!r} must be a file name in the card's folder, not an absolute path"
    if ".." in PureWindowsPath(value).parts:
        return f"{value!r} must stay inside the card's folder (no '..')"
    return ""


def task_id(value) -> str:
    if isinstance(value, str) and (not value or TASK_ID.fullmatch(value)):
        return ""
    return (
        f"{shown_value(value)} is not a short task id (lower-case letters, digits, '-' or '_', at most 32, "
        'e.g. "digits"); put a sentence in "task_title"'
    )


def parameters(value) -> str:
    """Architecture parameters are numbers, true/false or short lists of numbers, within sane bounds."""
    if not isinstance(value, dict):
        return mapping(value)
    for key, item in value.items():
        items = item if isinstance(item, list) and len(item) <= 64 else [item]
        if not all(isinstance(v, bool) or (is_finite_number(v) and abs(v) <= MAX_PARAM_VALUE) for v in items):
            return f"{key}: must be a number up to {MAX_PARAM_VALUE:,}, true/false or a short list of them"
    return ""


CARD_FIELDS: dict[str, tuple[bool, Check]] = {  # field -> (required, check)
    "schema": (False, integer(1, CARD_SCHEMA)),
    "name": (True, text(100, required=True)),
    "task": (False, task_id),
    "task_title": (False, text(200)),
    "input_kind": (True, choice(INPUT_KINDS)),
    "architecture": (True, text(64, required=True)),
    "architecture_params": (False, parameters),
    "classes": (True, class_names),
    "sample_rate": (True, integer(MIN_SAMPLE_RATE, MAX_SAMPLE_RATE)),
    "input_length": (True, integer(16, int(MAX_INPUT_SECONDS * MAX_SAMPLE_RATE))),
    "features": (False, mapping),
    "weights": (True, weights_file),
    "sha256": (False, text(64, SHA256, hint="64 lower-case hex digits")),
    "default_composite": (False, text(64, required=True)),
    "peak_level": (False, optional(number(0.0, 1.0, low_open=True))),
    "max_gain_db": (False, number(0.0, 120.0)),
    "accuracy": (False, mapping),
    "data": (False, mapping),
    "license": (False, text(1000)),
    "training": (False, mapping),
}

FEATURE_FIELDS: dict[str, tuple[bool, Check]] = {
    "sample_rate": (True, integer(MIN_SAMPLE_RATE, MAX_SAMPLE_RATE)),
    "framing": (False, mapping),
    "kind": (False, choice(FEATURE_KINDS)),
    "top_db": (False, number(1.0, 300.0)),
    "amin": (False, number(0.0, 1.0, low_open=True)),
    "n_mels": (False, integer(1, 512)),
    "fmin": (False, number(0.0, MAX_SAMPLE_RATE / 2)),
    "fmax": (False, optional(number(0.0, MAX_SAMPLE_RATE / 2, low_open=True))),
}

FRAMING_FIELDS: dict[str, tuple[bool, Check]] = {
    "n_fft": (False, integer(2, 32768)),
    "hop_length": (False, integer(1, 32768)),
    "win_length": (False, optional(integer(1, 32768))),
    "window": (False, text(32, required=True)),
    "center": (False, boolean),
    "pad_mode": (False, choice(PAD_MODES)),
}


def _field_violations(data: dict, fields: dict[str, tuple[bool, Check]], prefix: str = "") -> list[str]:
    problems = []
    for name, (required, check) in fields.items():
        if name not in data:
            if required:
                problems.append(f"{prefix}{name}: missing")
            continue
        reason = check(data[name])
        if reason:
            problems.append(f"{prefix}{name}: {reason}")
    if prefix:  # features and framing become keyword arguments: an unknown key would be a TypeError
        problems += [f"{prefix}{name}: unknown field" for name in data if name not in fields]
    return problems


def card_violations(data: dict) -> list[str]:
    """Every way ``data`` (a card's JSON object) breaks the schema, each naming its field; [] when it is sound."""
    schema = data.get("schema")
    if isinstance(schema, int) and not isinstance(schema, bool) and schema > CARD_SCHEMA:
        return [f"schema: {schema} is newer than this AudioXAI supports ({CARD_SCHEMA}); update AudioXAI"]
    problems = _field_violations(data, CARD_FIELDS)
    features = data.get("features", {"sample_rate": data.get("sample_rate")})
    if isinstance(features, dict):
        problems += _field_violations(features, FEATURE_FIELDS, "features.")
        framing = features.get("framing", {})
        if isinstance(framing, dict):
            problems += _field_violations(framing, FRAMING_FIELDS, "features.framing.")
    if not problems:
        problems = _consistency_violations(data, features, features.get("framing", {}))
    return problems


def _consistency_violations(card: dict, features: dict, framing: dict) -> list[str]:
    """Checks across fields, once each field is sound on its own."""

    problems = []
    rate = card["sample_rate"]
    if features["sample_rate"] != rate:
        problems.append(f"features.sample_rate: {features['sample_rate']} differs from sample_rate {rate}")
    if card["input_length"] / rate > MAX_INPUT_SECONDS:
        problems.append(f"input_length: {card['input_length']} samples is over {MAX_INPUT_SECONDS:g} s at {rate} Hz")
    n_classes = card.get("architecture_params", {}).get("n_classes", len(card["classes"]))
    if n_classes != len(card["classes"]):
        problems.append(f"architecture_params.n_classes: {n_classes} differs from the {len(card['classes'])} classes")
    try:
        spec = FeatureSpec.from_dict({**features, "framing": framing})
        spec.framing.window_array()
    except (TypeError, ValueError) as exc:  # win_length > n_fft, a window scipy does not know
        return [*problems, f"features.framing: {exc}"]
    nyquist = rate / 2
    fmax = spec.fmax if spec.fmax is not None else nyquist
    if fmax > nyquist or spec.fmin >= fmax:
        problems.append(f"features.fmin/fmax: need 0 <= fmin < fmax <= {nyquist:g} Hz, got {spec.fmin:g}/{fmax:g}")
    frames = spec.framing.n_frames(card["input_length"])
    if card["input_kind"] == "spectrogram" and not 1 <= frames * spec.n_bands <= MAX_SPECTROGRAM_CELLS:
        problems.append(
            f"features.framing: the model input would be {spec.n_bands} bands x {frames} frames "
            f"(at most {MAX_SPECTROGRAM_CELLS:,} cells, at least one frame)"
        )
    return problems
