"""Shared fixtures: a model pair (the shipped one, or random-weight stand-ins with the same cards)."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("AUDIOXAI_DEVICE", "cpu")
os.environ.setdefault("AUDIOXAI_CACHE", "off")  # tests that use the explanation cache give it a temp folder

REPO = Path(__file__).resolve().parents[1]
FSDD = REPO.parent / "shared" / "data" / "fsdd"


def _shipped_pair(task_id: str = "digits"):
    from audioxai_gui.classifiers import discover_tasks, find_cards, load_model

    cards, _ = find_cards([REPO / "models"])
    try:
        task = discover_tasks(cards)[0][task_id]
        return load_model(task.card("waveform")), load_model(task.card("spectrogram"))
    except Exception:
        return None


def make_random_pair(folder: Path, seed: int = 0):
    """Cards + random weights for both built-in architectures, written to ``folder`` and loaded."""
    import torch

    from audioxai_gui.classifiers import build_model, load_model
    from audioxai_gui.classifiers.digits import make_card
    from audioxai_gui.classifiers.registry import file_sha256
    from audioxai_gui.classifiers.training import TrainConfig

    loaded = []
    for kind in ("waveform", "spectrogram"):
        card = make_card(TrainConfig(kind), f"random-{kind}")
        torch.manual_seed(seed)
        module = build_model(card.architecture, {"n_classes": len(card.classes)})
        torch.save(module.state_dict(), folder / card.weights)
        card.sha256 = file_sha256(folder / card.weights)
        card.save(folder / f"{card.name}.card.json")
        loaded.append(load_model(folder / f"{card.name}.card.json"))
    return tuple(loaded)


@pytest.fixture(scope="session")
def random_pair(tmp_path_factory):
    return make_random_pair(tmp_path_factory.mktemp("random_models"))


@pytest.fixture(scope="session")
def model_pair(random_pair):
    """(waveform LoadedModel, spectrogram LoadedModel): the shipped models when present."""
    return _shipped_pair() or random_pair


@pytest.fixture(scope="session")
def shipped_pair():
    pair = _shipped_pair()
    if pair is None:
        pytest.fail("the shipped models in models/ cannot be loaded")
    return pair


@pytest.fixture(scope="session")
def fsdd_dir():
    if not (FSDD / "recordings").is_dir():
        pytest.skip(f"FSDD recordings not found at {FSDD} (the project reads them from ../shared/data/fsdd)")
    return FSDD


def pytest_unconfigure(config):
    """End a test run that used Qt with its real exit status, skipping interpreter teardown.

    Many windows are built over a run; during teardown Python frees closures holding pyqtgraph items
    after Qt has destroyed their scenes, and the process segfaults after every test has already passed
    and been reported. The app itself (one window, closed by Qt) exits cleanly; this applies to tests only.
    """
    import os
    import sys

    if "PySide6.QtWidgets" not in sys.modules:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(getattr(config, "_audioxai_exitstatus", 0)))


def pytest_sessionfinish(session, exitstatus):
    session.config._audioxai_exitstatus = exitstatus


@pytest.fixture(scope="module")
def backend(model_pair):
    """The window's backend with the model pair on the CPU (one per test module; modules may override it)."""
    from audioxai_gui.explain.engine import ExplanationEngine
    from tests.ui_support import make_backend

    return make_backend(ExplanationEngine("cpu"), model_pair)


@pytest.fixture
def window(qtbot, tmp_path, backend):
    """A window on the built-in example, explained by both models (modules may override it)."""
    from audioxai_gui.resources import EXAMPLE_AUDIO
    from tests.ui_support import new_window, wait_explained

    window = new_window(qtbot, tmp_path, backend)
    window.open_file(EXAMPLE_AUDIO)
    wait_explained(qtbot, window)
    return window


@pytest.fixture(autouse=True)
def collect_dead_windows_on_the_main_thread():
    """Free each test's closed windows here, on the main thread. Left to Python's collector they are freed by
    whichever thread triggers it — a worker deep-copying a model — and destroying Qt objects off the main thread
    deadlocks against it (seen as a hung suite in the Faithfulness view's tests)."""
    yield
    gc.collect()
