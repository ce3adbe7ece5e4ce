"""A session file: everything needed to reopen the same analysis in the same view.

Qt-free on purpose: a session is plain data (JSON with a schema version), written atomically so a
crash mid-save never leaves a half-written file where a good one was.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from .atomic import atomic_write, read_json_object

SESSION_SCHEMA = 1
SESSION_SUFFIX = ".audioxai.json"
SIGN_FILTERS = ("all", "positive", "negative", "absolute")
FREQUENCY_AXES = ("linear", "log", "mel")
PANES = ("waveform", "spectrogram", "waveform_tf")
ROLES = ("waveform", "spectrogram")


class SessionError(Exception):
    """A session file cannot be read or holds bad values; the message names the file and the reason."""


@dataclass
class DisplaySettings:
    """How relevance is drawn. A display choice only: changing it never re-runs a model."""

    colormap: str = "bwr"
    sign_filter: str = "all"
    opacity: float = 0.85
    clip_percentile: float = 99.5
    shared_scale: bool = True
    frequency_axis: str = "linear"

    def validate(self) -> None:
        if self.sign_filter not in SIGN_FILTERS:
            raise ValueError(f"sign filter {self.sign_filter!r} is not one of {', '.join(SIGN_FILTERS)}")
        if self.frequency_axis not in FREQUENCY_AXES:
            raise ValueError(f"frequency axis {self.frequency_axis!r} is not one of {', '.join(FREQUENCY_AXES)}")
        if not 0.0 <= self.opacity <= 1.0:
            raise ValueError(f"opacity {self.opacity} is outside 0..1")
        if not 50.0 <= self.clip_percentile <= 100.0:
            raise ValueError(f"clip percentile {self.clip_percentile} is outside 50..100")


@dataclass
class ViewState:
    """Where the user was looking: the shared time range, each pane's y range, which panes show."""

    time_range: tuple[float, float] | None = None
    y_ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    visible_panes: list[str] = field(default_factory=lambda: list(PANES))

    def validate(self) -> None:
        unknown = [p for p in [*self.visible_panes, *self.y_ranges] if p not in PANES]
        if unknown:
            raise ValueError(f"unknown pane(s) {', '.join(unknown)}; known: {', '.join(PANES)}")
        for name, span in [("time_range", self.time_range), *self.y_ranges.items()]:
            if span is not None and not (len(span) == 2 and float(span[0]) < float(span[1])):
                raise ValueError(f"{name} {span!r} is not an increasing (low, high) pair")


@dataclass
class Session:
    """One analysis: which audio, which task and models (card names per role), which class, rules and view."""

    audio_path: str
    task: str = ""  # task id; "" (sessions saved before tasks existed): the default task
    models: dict[str, str] = field(default_factory=dict)
    target_class: str | None = None
    composites: dict[str, str] = field(default_factory=dict)
    display: DisplaySettings = field(default_factory=DisplaySettings)
    view: ViewState = field(default_factory=ViewState)

    def to_dict(self) -> dict:
        return {"schema": SESSION_SCHEMA, **asdict(self)}

    def save(self, path: str | os.PathLike) -> Path:
        """Write atomically (temp file + rename) so an interrupted save keeps the old file intact."""
        path = Path(path)
        atomic_write(path, json.dumps(self.to_dict(), indent=2) + "\n")
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> Session:
        path = Path(path)
        try:
            data = read_json_object(path)
        except ValueError as exc:
            raise SessionError(f"session {path}: {exc}") from exc
        schema = data.pop("schema", None)
        if not isinstance(schema, int) or schema > SESSION_SCHEMA:
            raise SessionError(
                f"session {path}: schema {schema!r} is not one this AudioXAI reads (<= {SESSION_SCHEMA})"
            )
        try:
            session = cls(
                audio_path=str(data["audio_path"]),
                task=str(data.get("task") or ""),
                models=dict(data.get("models", {})),
                target_class=data.get("target_class"),
                composites=dict(data.get("composites", {})),
                display=_build(DisplaySettings, data.get("display", {})),
                view=_view_from_dict(data.get("view", {})),
            )
            session.display.validate()
            session.view.validate()
        except KeyError as exc:
            raise SessionError(f"session {path}: missing field {exc}") from exc
        except (TypeError, ValueError) as exc:
            raise SessionError(f"session {path}: {exc}") from exc
        unknown_roles = [r for r in [*session.models, *session.composites] if r not in ROLES]
        if unknown_roles:
            raise SessionError(f"session {path}: unknown model role(s) {', '.join(unknown_roles)}")
        return session

    def resolved_audio_path(self, session_path: str | os.PathLike) -> Path:
        """The audio file; a relative path is taken relative to the session file's folder."""
        audio = Path(self.audio_path).expanduser()
        return audio if audio.is_absolute() else Path(session_path).resolve().parent / audio


def _build(cls, data: dict):
    if not isinstance(data, dict):
        raise TypeError(f"{cls.__name__} must be a JSON object, got {type(data).__name__}")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown {cls.__name__} field(s) {', '.join(unknown)}")
    return cls(**data)


def _view_from_dict(data: dict) -> ViewState:
    view = _build(ViewState, data)
    view.time_range = tuple(view.time_range) if view.time_range is not None else None
    view.y_ranges = {name: tuple(span) for name, span in view.y_ranges.items()}
    view.visible_panes = list(view.visible_panes)
    return view
