"""Bad model folders: every card the issue crafted, plus seeded random mutations, through discovery and loading.

Each outcome is a usable model or a ModelLoadError / problem line naming the card; discovery never raises or
hangs, and the good cards beside a bad one stay usable.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path

import pytest
import torch

from audioxai_gui.classifiers import ModelLoadError, find_cards, load_model
from audioxai_gui.cli import EXIT_OK, main

CARD = "random-waveform.card.json"
WEIGHTS = "random-waveform.pt"


@pytest.fixture(scope="module")
def base(random_pair):
    """The random waveform model's card (as a dict) and its weight file."""
    waveform = random_pair[0]
    return json.loads(waveform.card.path.read_text()), waveform.card.weights_path


def make_folder(root: Path, base, name: str, change=None) -> Path:
    folder = root / name
    folder.mkdir()
    data, weights = base
    data = json.loads(json.dumps(data))
    shutil.copy(weights, folder / WEIGHTS)
    changed = change(data, folder) if change is not None else None
    data = data if changed is None else changed
    if isinstance(data, bytes):
        (folder / CARD).write_bytes(data)
    elif not (folder / CARD).exists():  # a FIFO made by the change stays
        (folder / CARD).write_text(data if isinstance(data, str) else json.dumps(data))
    return folder


def edit(**values):
    return lambda data, folder: {**data, **values}


def features(**values):
    def change(data, folder):
        data["features"] = {**data["features"], **values}

    return change


def framing(**values):
    def change(data, folder):
        data["features"]["framing"] = {**data["features"]["framing"], **values}

    return change


def raw(text):
    return lambda data, folder: text


def weights_of(make_state):
    def change(data, folder):
        state = torch.load(folder / WEIGHTS, weights_only=True)
        torch.save(make_state(state), folder / WEIGHTS)
        data["sha256"] = ""

    return change


def symlinked_weights(target):
    def change(data, folder):
        (folder / WEIGHTS).unlink()
        os.symlink(target(folder), folder / WEIGHTS)
        data["sha256"] = ""

    return change


def fifo_card(data, folder):
    os.mkfifo(folder / CARD)


def first_float_to(fn):
    def make(state):
        key = next(k for k, v in state.items() if v.is_floating_point())
        return {**state, key: fn(state[key])}

    return make


# (case, the words the problem must contain): the 21 crashing cards and every other way it listed.
CRAFTED = {
    "rate 0": (edit(sample_rate=0), "sample_rate: must be between"),
    "rate as text": (edit(sample_rate="8000"), "sample_rate: must be a whole number"),
    "rate true": (edit(sample_rate=True), "sample_rate: must be a whole number"),
    "length -1": (edit(input_length=-1), "input_length: must be between"),
    "length 0": (edit(input_length=0), "input_length: must be between"),
    "length 1.5": (edit(input_length=1.5), "input_length: must be a whole number"),
    "length 1e9": (edit(input_length=10**9), "input_length: must be between"),
    "n_classes 1e9": (edit(architecture_params={"n_classes": 10**9}), "architecture_params"),
    "n_fft 1e6": (framing(n_fft=10**6), "features.framing.n_fft: must be between"),
    "n_mels 0": (features(n_mels=0), "features.n_mels: must be between"),
    "hop 1e9": (framing(hop_length=10**9), "features.framing.hop_length: must be between"),
    "max gain 1e308": (edit(max_gain_db=1e308), "max_gain_db: must be at least"),
    "weights null": (edit(weights=None), "weights: must be text"),
    "name not text": (edit(name=42), "name: must be text"),
    "wrong input kind": (edit(input_kind="spectrogram"), "takes waveform input"),
    "top_db NaN": (features(top_db=float("nan")), "features.top_db: must be a finite number"),
    "peak level 0": (edit(peak_level=0), "peak_level: must be above 0"),
    "schema text": (edit(schema="2"), "schema: must be a whole number"),
    "schema null": (edit(schema=None), "schema: must be a whole number"),
    "schema newer": (edit(schema=2), "schema: 2 is newer"),
    "deep nesting": (raw("[" * 50_000 + "]" * 50_000), "nested too deeply"),
    "400-digit rate": (raw('{"sample_rate": 1' + "0" * 400 + "}"), "sample_rate: must be between"),
    "not an object": (raw("[1, 2]"), "expected a JSON object"),
    "empty file": (raw(""), "not valid JSON"),
    "not UTF-8": (raw(b'{"name": "\xff"}'), "not valid JSON"),
    "missing classes": (lambda d, f: {k: v for k, v in d.items() if k != "classes"}, "classes: missing"),
    "one class": (edit(classes=["a"]), "classes: must be a list of 2"),
    "duplicate classes": (edit(classes=["a", "a"]), "class names must differ"),
    "unknown architecture": (edit(architecture="resnet9000"), "cannot build architecture"),
    "unknown feature field": (features(colour="red"), "features.colour: unknown field"),
    "fmax above Nyquist": (features(fmax=6000.0), "fmin/fmax"),
    "unknown window": (framing(window="nonsense-window"), "features.framing"),
    "win_length > n_fft": (framing(win_length=1024), "win_length"),
    "bad sha256": (edit(sha256="xyz"), "sha256"),
    "absolute weights": (edit(weights="/etc/passwd"), "not an absolute path"),
    "dot-dot weights": (edit(weights="../x.pt"), "no '..'"),
    "windows drive weights": (edit(weights="C:\\x.pt"), "not an absolute path"),
    "symlink out": (symlinked_weights(lambda f: "/etc/passwd"), "outside the card's folder"),
    "symlink loop": (symlinked_weights(lambda f: f / WEIGHTS), "weight file"),
    "weights a folder": (lambda d, f: (f / "dir.pt").mkdir() or {**d, "weights": "dir.pt"}, "not a regular file"),
    "weights missing": (edit(weights="none.pt"), "not found"),
    "int64 weights": (weights_of(first_float_to(lambda t: t.to(torch.int64))), "not floating point"),
    "NaN weights": (weights_of(first_float_to(lambda t: torch.full_like(t, float("nan")))), "NaN or infinite"),
    "weights a list": (weights_of(lambda s: list(s.values())), "holds no state dict"),
    "wrong shape": (weights_of(first_float_to(lambda t: t[..., :1])), "do not fit"),
    "fifo card": (fifo_card, "not a regular file"),
}


@pytest.mark.parametrize("case", sorted(CRAFTED))
def test_crafted_cards_are_reported_naming_the_field(tmp_path, base, case):
    change, words = CRAFTED[case]
    folder = make_folder(tmp_path, base, "m", change)
    cards, problems = find_cards([folder])
    if cards:  # the card itself is sound: the weights or the architecture are what is wrong
        with pytest.raises(ModelLoadError) as info:
            load_model(cards[0])
        problems = [str(info.value)]
    assert len(problems) == 1 and words in problems[0], problems
    assert "random-waveform" in problems[0]


MUTATIONS = [
    lambda v, rng: None,
    lambda v, rng: -1,
    lambda v, rng: 0,
    lambda v, rng: 10 ** rng.randint(5, 400),
    lambda v, rng: rng.choice(["", "x" * 300, "\x00"]),
    lambda v, rng: float("inf"),
    lambda v, rng: [v, v],
    lambda v, rng: {"v": v},
    lambda v, rng: True,
    lambda v, rng: 0.5,
]


def _paths(data, prefix=()):
    for key, value in data.items():
        yield (*prefix, key)
        if isinstance(value, dict):
            yield from _paths(value, (*prefix, key))


def test_random_mutations_load_or_are_reported(tmp_path, base):
    rng = random.Random(15)
    paths = list(_paths(base[0]))
    outcomes = {"loaded": 0, "reported": 0}
    for number in range(40):

        def mutate(data, folder, number=number):
            for _ in range(rng.randint(1, 3)):
                path = rng.choice(paths)
                holder = data
                for key in path[:-1]:
                    holder = holder.get(key) if isinstance(holder, dict) else None
                if isinstance(holder, dict):
                    holder[path[-1]] = rng.choice(MUTATIONS)(holder.get(path[-1]), rng)

        folder = make_folder(tmp_path, base, f"m{number}", mutate)
        cards, problems = find_cards([folder])
        try:
            for card in cards:
                load_model(card)
        except ModelLoadError as exc:
            problems.append(str(exc))
        outcomes["reported" if problems else "loaded"] += 1
        assert all("random-waveform" in p for p in problems), problems
    print("\nrandom card mutations:", outcomes)
    assert outcomes["reported"] >= 30, outcomes


def test_a_bad_user_folder_leaves_the_built_in_models_usable(tmp_path, base, monkeypatch, capsys, fsdd_dir):
    user = tmp_path / "user"
    user.mkdir()
    (user / "deep.card.json").write_text("[" * 50_000 + "]" * 50_000)
    os.mkfifo(user / "x.card.json")
    clash = json.loads((Path(__file__).parents[1] / "models" / "fsdd-alexnet.card.json").read_text())
    (user / "clash.card.json").write_text(json.dumps(clash))
    monkeypatch.setenv("AUDIOXAI_MODELS", str(user))
    assert main(["models"]) == EXIT_OK
    captured = capsys.readouterr()
    assert "fsdd-alexnet" in captured.out and "fsdd-audionet" in captured.out
    for words in (
        "deep.card.json: cannot read JSON",
        "x.card.json: cannot read JSON: not a regular file",
        "'fsdd-alexnet' is already used by",
    ):
        assert words in captured.err
    clip = fsdd_dir / "recordings" / "7_jackson_0.wav"
    assert main(["explain", str(clip)]) == EXIT_OK
    assert "-> 7" in capsys.readouterr().out
