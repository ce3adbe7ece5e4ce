"""The window under bad input: long files ask first, bad cards leave good ones usable, odd names open,
unreadable sidecars are kept aside while autosave goes on."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PySide6 import QtWidgets

from audioxai_gui.annotate.regions import Region
from audioxai_gui.annotate.sidecar import load_sidecar, sidecar_path
from audioxai_gui.resources import EXAMPLE_AUDIO
from audioxai_gui.ui.open_cost import CANCEL, OPEN_ALL, OPEN_FIRST_PART
from tests.ui_support import TIMEOUT_MS, new_window, wait_explained


@pytest.fixture
def window(qtbot, tmp_path, backend):
    return new_window(qtbot, tmp_path, backend)


@pytest.fixture
def messages(monkeypatch):
    shown = []
    for kind in ("warning", "critical"):
        monkeypatch.setattr(QtWidgets.QMessageBox, kind, lambda parent, title, text: shown.append(text))
    return shown


def test_a_long_file_asks_first_and_opens_only_what_was_chosen(window, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIOXAI_MAX_DURATION", "4")
    path = tmp_path / "twelve_seconds.wav"
    sf.write(path, 0.1 * np.sin(np.arange(12 * 8000) / 5.0).astype(np.float32), 8000)
    asked, answers = [], [CANCEL, OPEN_FIRST_PART, OPEN_ALL]
    window.ask_long_file = lambda parent, p, reason, first: asked.append((reason, first)) or answers.pop(0)
    window.open_file(path)
    assert window.clip is None and "not opened" in window.statusBar().currentMessage()
    assert asked[0] == ("12.0 s long, about 1.2 MB of memory to explain: longer than the 4.0 s limit", 4.0)
    window.open_file(path)
    qtbot.waitUntil(lambda: window.clip is not None, timeout=TIMEOUT_MS)
    assert window.clip.duration == pytest.approx(4.0)
    wait_explained(qtbot, window)
    window.open_file(path)
    qtbot.waitUntil(lambda: window.clip.duration > 11.9, timeout=TIMEOUT_MS)
    wait_explained(qtbot, window)


def test_a_lying_header_is_refused_and_the_analysis_kept(window, qtbot, tmp_path, messages):
    window.open_file(EXAMPLE_AUDIO)
    wait_explained(qtbot, window)
    before = window.clip
    path = tmp_path / "zero.aiff"
    sf.write(path, np.zeros(8000, dtype=np.float32), 8000, format="AIFF", subtype="PCM_16")
    data = bytearray(path.read_bytes())
    comm = data.index(b"COMM")
    data[comm + 16 : comm + 26] = bytes(10)  # sample rate 0
    path.write_bytes(bytes(data))
    window.open_file(path)
    qtbot.waitUntil(lambda: len(messages) == 1, timeout=TIMEOUT_MS)
    assert messages[0].startswith(str(path)) and window.clip is before


def test_a_non_utf8_name_opens(window, qtbot, tmp_path):
    path = Path(os.fsdecode(bytes(tmp_path) + b"/caf\xe9.wav"))
    shutil.copy(EXAMPLE_AUDIO, path)
    window.open_file(path)
    qtbot.waitUntil(lambda: window.clip is not None, timeout=TIMEOUT_MS)
    assert window.windowTitle().startswith("caf\ufffd.wav")
    wait_explained(qtbot, window)


def test_a_bad_file_with_a_non_utf8_name_is_reported_printably(window, qtbot, tmp_path, messages):
    path = Path(os.fsdecode(bytes(tmp_path) + b"/bad\xe9.wav"))
    path.write_bytes(b"RIFF" + bytes(100))
    window.open_file(path)
    qtbot.waitUntil(lambda: len(messages) == 1, timeout=TIMEOUT_MS)
    assert "bad\ufffd.wav: not a recognised audio file" in messages[0]
    messages[0].encode("utf-8")  # no lone surrogate: Qt and a terminal can show it
    assert "bad\ufffd.wav" in window.notifications.text


def test_a_deep_nested_sidecar_is_kept_aside_and_autosave_goes_on(window, qtbot, tmp_path, messages):
    path = tmp_path / "clip.wav"
    shutil.copy(EXAMPLE_AUDIO, path)
    sidecar_path(path).write_text("[" * 100_000 + "]" * 100_000)
    window.open_file(path)
    qtbot.waitUntil(lambda: len(messages) == 1, timeout=TIMEOUT_MS)
    assert "nested too deeply" in messages[0] and "kept as" in messages[0] and "saved to a fresh file" in messages[0]
    kept = [p for p in tmp_path.iterdir() if ".corrupt-" in p.name]
    assert len(kept) == 1 and kept[0].read_text().startswith("[[[")
    window.extensions["annotation"].document.add(Region(0.1, 0.2, label="after"))
    qtbot.waitUntil(lambda: sidecar_path(path).exists(), timeout=TIMEOUT_MS)
    assert [r.label for r in load_sidecar(path)] == ["after"]


def test_a_bad_user_card_leaves_every_good_card_usable_in_the_window(qtbot, tmp_path, monkeypatch):
    from audioxai_gui.ui.backend import discover, load_models

    user = tmp_path / "user"
    user.mkdir()
    (user / "deep.card.json").write_text("[" * 50_000 + "]" * 50_000)
    os.mkfifo(user / "x.card.json")
    (user / "null.card.json").write_text(json.dumps({"schema": None, "name": None}))
    monkeypatch.setenv("AUDIOXAI_MODELS", str(user))
    backend = load_models(discover("cpu"))
    assert {c.name for c in backend.cards} >= {"fsdd-audionet", "fsdd-alexnet"}
    assert len(backend.problems) == 3 and all(str(user) in p for p in backend.problems)
    window = new_window(qtbot, tmp_path, backend)
    assert window.problems_action.isEnabled()
    window.open_file(EXAMPLE_AUDIO)
    wait_explained(qtbot, window)


def _many_regions_sidecar(audio: Path, count: int, duration: float = 1.0) -> list[Region]:
    regions = [Region(i * duration / count, (i + 0.5) * duration / count, label=f"r{i}") for i in range(count)]
    sidecar_path(audio).write_text(json.dumps({"schema": 1, "regions": [r.to_dict() for r in regions]}))
    return regions


@pytest.fixture
def gated_load(monkeypatch):
    """Saved regions load in the worker only once the test opens the gate (the GUI thread never waits on it)."""
    import threading

    from audioxai_gui.ui.annotation import controller

    gate = threading.Event()

    def load(*args, **kwargs):
        if threading.current_thread() is not threading.main_thread():
            assert gate.wait(TIMEOUT_MS / 1000)
        return load_sidecar(*args, **kwargs)

    monkeypatch.setattr(controller, "load_sidecar", load)
    yield gate
    gate.set()


def test_many_saved_regions_load_in_a_worker_and_edits_made_meanwhile_are_kept(window, qtbot, tmp_path, gated_load):
    from audioxai_gui.ui.annotation.region_items import MAX_ITEMS

    path = tmp_path / "clip.wav"
    shutil.copy(EXAMPLE_AUDIO, path)
    saved = _many_regions_sidecar(path, 2_000)
    window.open_file(path)
    annotation = window.extensions["annotation"]
    qtbot.waitUntil(lambda: annotation.clip is not None and annotation.loading is not None, timeout=TIMEOUT_MS)
    added = annotation.document.add(Region(0.1, 0.3, label="added while loading"))  # the window is not blocked
    gated_load.set()
    qtbot.waitUntil(lambda: annotation.loading is None, timeout=TIMEOUT_MS)
    assert [r.id for r in annotation.document] == [r.id for r in saved] + [added.id]
    assert annotation.table.model.rowCount() == 2_001 + 1  # and "All regions"
    assert len(annotation.overlay.outlined) == 2_001 and not annotation.overlay._items  # outlines, not 6,000 items
    annotation.select(added.id)
    assert set(annotation.overlay.items_for(added.id)) == set(window.stack.panes)  # the selected one is an item
    window.stack.set_time_range(0.5, 0.5 + 10 / 2_000)
    qtbot.waitUntil(lambda: not annotation.overlay.outlined)
    assert 0 < len({key[0] for key in annotation.overlay._items}) <= MAX_ITEMS + 1
    qtbot.waitUntil(lambda: len(load_sidecar(path)) == 2_001, timeout=TIMEOUT_MS)  # autosaved with the others


def test_regions_added_before_the_saved_ones_loaded_are_saved_when_another_file_opens(
    window, qtbot, tmp_path, gated_load
):
    first, second = tmp_path / "first.wav", tmp_path / "second.wav"
    for path in (first, second):
        shutil.copy(EXAMPLE_AUDIO, path)
    saved = _many_regions_sidecar(first, 3)
    window.open_file(first)
    annotation = window.extensions["annotation"]
    qtbot.waitUntil(lambda: annotation.clip is not None and annotation.loading is not None, timeout=TIMEOUT_MS)
    added = annotation.document.add(Region(0.1, 0.3, label="added while loading"))
    window.open_file(second)  # the load of first.wav's regions never finished in the worker
    qtbot.waitUntil(lambda: annotation.clip is not None and annotation.clip.path == second, timeout=TIMEOUT_MS)
    assert [r.id for r in load_sidecar(first)] == [r.id for r in saved] + [added.id]


def test_a_failing_spectrogram_tile_is_reported_not_swallowed(window, qtbot):
    class Unreadable:
        def tile(self, grid, request, cancelled):
            raise MemoryError

    window.stack.staged = type("Staged", (), {"clip": Unreadable(), "grid": None})()
    window.stack._compute_tile(request="the view")
    qtbot.waitUntil(lambda: "not enough memory" in window.notifications.text, timeout=TIMEOUT_MS)
    assert window.stack._tile_in_flight is None  # asked again at the next view change


def test_the_app_collects_garbage_on_the_gui_thread_only(qtbot):
    """A worker that happens to cross Python's collection threshold must never run the collector (it would free
    dead Qt objects off the GUI thread): the app switches automatic collection off and a GUI timer collects."""
    import gc
    import threading

    from audioxai_gui.ui.app import collect_garbage_on_the_gui_thread

    collections_in: list[str] = []

    def record(phase, info):
        if phase == "start":
            collections_in.append(threading.current_thread().name)

    class Cycle:
        def __init__(self):
            self.me = self

    app = QtWidgets.QApplication.instance()
    gc.callbacks.append(record)
    try:
        gc.collect()  # counts from zero: earlier tests' frees can leave the young generation's count negative
        collections_in.clear()
        collect_garbage_on_the_gui_thread(app)
        assert not gc.isenabled()
        # The worker makes garbage cycles past the threshold (freed containers would lower the count instead).
        worker = threading.Thread(target=lambda: [Cycle() for _ in range(gc.get_threshold()[0] + 10)], name="worker")
        worker.start()
        worker.join()
        assert collections_in == []
        assert app.garbage_collector.timer.isActive()
        app.garbage_collector.check()  # what the GUI timer runs each second
        assert collections_in
        assert set(collections_in) == {threading.main_thread().name}
    finally:
        gc.callbacks.remove(record)
        app.garbage_collector.timer.stop()
        del app.garbage_collector
        gc.enable()


def test_the_app_switches_off_huge_pages_for_numpy_arrays():
    """A partial result writes a span of a recording-sized zero map: with huge pages each written row zeroes 2 MB
    (an hour: 0.25-0.45 s per partial result); the app's start-up switches numpy's huge-page advice off."""
    from numpy._core.multiarray import _set_madvise_hugepage

    from audioxai_gui.ui.app import allocate_zeros_lazily

    before = _set_madvise_hugepage(True)
    try:
        assert allocate_zeros_lazily() is True
        assert _set_madvise_hugepage(True) is False  # it was off
    finally:
        _set_madvise_hugepage(before)
