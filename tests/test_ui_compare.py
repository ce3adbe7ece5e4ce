"""The Compare view: a data set's comparison read back (verdicts, summary, one row per clip) and a clip opened
from its row with its true class."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PySide6 import QtCore

from audioxai_gui.evaluate.clip import Settings
from audioxai_gui.evaluate.dataset import from_folder
from audioxai_gui.evaluate.domains import DOMAINS_OF_KIND
from audioxai_gui.evaluate.job import Pair, run_job
from audioxai_gui.evaluate.report import ReportContext, write_outputs
from audioxai_gui.evaluate.results import ResultsError, load_results
from tests.ui_support import TIMEOUT_MS, wait_explained

TINY = Settings(attributions=("EpsilonPlus",), steps=2, random_seeds=1, corruptions=("gain", "telephone"))


@pytest.fixture(scope="module")
def comparison(tmp_path_factory, model_pair):
    """A finished comparison of three tones (classes 0 and 1) with the window's model pair."""
    folder = tmp_path_factory.mktemp("compare")
    for index in range(3):
        (folder / "clips" / str(index % 2)).mkdir(parents=True, exist_ok=True)
        t = np.arange(4000) / 8000
        samples = 0.3 * np.sin(2 * np.pi * (300 + 200 * index) * t)
        sf.write(folder / "clips" / str(index % 2) / f"tone{index}.wav", samples.astype(np.float32), 8000)
    waveform, spectrogram = model_pair
    out = folder / "out"
    result = run_job(
        Pair(str(waveform.card.path), str(spectrogram.card.path)), from_folder(folder / "clips"), TINY, out
    )
    context = ReportContext(
        dataset="tones", models={"waveform": waveform.card.name, "spectrogram": spectrogram.card.name},
        classes=list(spectrogram.card.classes), rankings=list(TINY.rankings), domains=dict(DOMAINS_OF_KIND),
        sample_rate=spectrogram.card.sample_rate, steps=TINY.steps, task=spectrogram.card.task,
    )  # fmt: skip
    write_outputs(out, result.aggregate, context)
    return out


def test_a_comparison_reads_back_with_its_verdicts_and_one_row_per_clip(comparison):
    results = load_results(comparison)
    assert [clip.name for clip in results.clips] == ["tone0.wav", "tone2.wav", "tone1.wav"]
    assert {"more robust", "more faithful explanations", "strategies differ where"} <= set(results.verdicts)
    assert "Verdicts:" in results.summary and results.context.task
    columns = {column.header: column for column in results.columns()}
    clip = results.clips[0]
    for kind in ("waveform", "spectrogram"):
        assert columns[f"correct\n{kind}"].value(clip.measures) in (0.0, 1.0)
        assert columns[f"correct\n{kind}"].text(1.0) == "yes" and columns[f"p(class)\n{kind}"].text(0.25) == "25%"
        correct = [clip.measures[(kind, f"robustness/{c}/correct")] for c in ("gain -40 dB", "telephone")]
        assert len([m for k, m in clip.measures if k == kind and m.endswith("/correct")]) == 7  # clean + 6
        assert columns[f"robust\n{kind}"].value(clip.measures) == pytest.approx(
            np.mean(
                [
                    clip.measures[(kind, m)]
                    for k, m in clip.measures
                    if k == kind and m.endswith("/correct") and m != "robustness/clean/correct"
                ]
            )  # fmt: skip
        )
        assert correct[0] in (0.0, 1.0)
        assert np.isfinite(columns[f"AOPC\n{kind}"].value(clip.measures))
    assert -1 <= columns["maps alike\n(rank corr.)"].value(clip.measures) <= 1


def test_a_folder_that_is_no_comparison_is_named_with_what_it_lacks(tmp_path, comparison):
    with pytest.raises(ResultsError, match="no such folder"):
        load_results(tmp_path / "nowhere")
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "aggregate.json").write_text((comparison / "aggregate.json").read_text())
    with pytest.raises(ResultsError, match=r"half: not a finished comparison \(missing context.json, results.csv\)"):
        load_results(tmp_path / "half")
    (tmp_path / "half" / "context.json").write_text("{broken")
    (tmp_path / "half" / "results.csv").write_text("clip,label\n")
    with pytest.raises(ResultsError, match="half: cannot read the comparison"):
        load_results(tmp_path / "half")


def _compare_action(window):
    return next(
        a for m in window.menuBar().actions() if m.menu() for a in m.menu().actions() if a.text().startswith("&Compare")
    )


def test_the_compare_view_shows_the_results_and_opens_a_clip_with_its_class(window, qtbot, comparison):
    model = window.extensions["compare"]
    _compare_action(window).trigger()
    dock = next(d for d in window.findChildren(type(window.right_docks[0])) if d.objectName() == "Compare")
    widget = dock.compare_widget
    assert dock.isVisible()
    for control in (widget.open_button, widget.filter, widget.shown, widget.open_clip_button, widget.summary):
        assert control.toolTip()
    model.open_folder(comparison)
    qtbot.waitUntil(lambda: model.results is not None, timeout=TIMEOUT_MS)
    assert widget.proxy.rowCount() == 3 and "more robust" in widget.summary.toPlainText()
    header = widget.table_model.headerData(2, QtCore.Qt.Orientation.Horizontal, QtCore.Qt.ItemDataRole.ToolTipRole)
    assert "AOPC of the waveform model's" in header
    widget.filter.setText("tone1")
    assert widget.proxy.rowCount() == 1
    widget.table.selectRow(0)
    assert widget.open_clip_button.isEnabled()
    widget.open_clip_button.click()
    qtbot.waitUntil(lambda: window.clip is not None and window.clip.path.name == "tone1.wav", timeout=TIMEOUT_MS)
    wait_explained(qtbot, window)
    assert window.target_class == model.class_name(widget.selected())
    assert window.target_class == model.results.context.classes[1]
    widget.filter.setText("")
    widget.shown.setCurrentText("the models disagree")
    values = widget.table_model.values
    assert widget.proxy.rowCount() == sum(v["correct\nwaveform"] != v["correct\nspectrogram"] for v in values)


def test_a_clip_that_moved_is_reported_and_the_window_keeps_its_clip(window, qtbot, comparison, tmp_path):
    model = window.extensions["compare"]
    model.open_folder(comparison)
    qtbot.waitUntil(lambda: model.results is not None, timeout=TIMEOUT_MS)
    before = window.clip.path
    moved = type(model.results.clips[0])(str(Path(tmp_path) / "gone.wav"), "0", "")
    messages = []
    model.problem.connect(messages.append)
    model.open_clip(moved)
    assert messages and "gone.wav" in messages[0] and window.clip.path == before
