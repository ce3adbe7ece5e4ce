import csv
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf

from audioxai_gui.annotate.agreement import (
    TIME,
    TIME_FREQUENCY,
    AgreementError,
    agreement_over_folder,
    agreement_rows,
    format_summary_table,
)
from audioxai_gui.annotate.document import RegionDocument
from audioxai_gui.annotate.regions import Region
from audioxai_gui.annotate.sidecar import sidecar_path, write_sidecar
from audioxai_gui.classifiers import ModelCard
from audioxai_gui.explain.engine import Explanation
from audioxai_gui.features import FeatureSpec, Framing

REPO = Path(__file__).resolve().parents[1]
GRID = FeatureSpec(sample_rate=8000, framing=Framing(n_fft=256, hop_length=64))  # 8 ms frames, 31.25 Hz bands
WAVE_RATE = 16000
DURATION = 1.0
CLASSES = ["zero", "one"]
REGIONS = [
    Region(0.2, 0.4, label="onset", id="time"),
    Region(0.6, 0.8, 1000.0, 2000.0, label="formant", id="box"),
]


def fake_model(name, input_kind, features):
    rate = features.sample_rate
    return SimpleNamespace(card=ModelCard(name, input_kind, "fake", CLASSES, rate, rate, "none.pt", features=features))


WAVE_MODEL = fake_model("wave", "waveform", FeatureSpec(sample_rate=WAVE_RATE))
SPEC_MODEL = fake_model("spec", "spectrogram", GRID)


def explanation(name, input_kind, relevance, tf_relevance, rate):
    return Explanation(
        model_name=name,
        input_kind=input_kind,
        classes=CLASSES,
        probabilities=np.array([0.2, 0.8]),
        target=1,
        composite="EpsilonPlus",
        relevance=relevance,
        tf_relevance=tf_relevance,
        grid=GRID,
        sample_rate=rate,
        conservation=1.0,
        window_starts=np.zeros(1, dtype=int),
        window_probabilities=np.array([[0.2, 0.8]]),
        seconds=0.0,
    )


def grid_axes():
    n_frames = GRID.framing.n_frames(int(DURATION * GRID.sample_rate))
    return GRID.framing.frame_times(n_frames, GRID.sample_rate), GRID.band_frequencies()


def waveform_explanation():
    """Relevance only within the time region, plus padding after the clip (to be ignored); flat tf map."""
    relevance = np.zeros(int(1.1 * WAVE_RATE))
    t = np.arange(relevance.size) / WAVE_RATE
    relevance[(t >= 0.25) & (t < 0.35)] = 1.0
    relevance[t >= DURATION] = 5.0  # padding of a short clip
    times, freqs = grid_axes()
    return explanation("wave", "waveform", relevance, np.ones((freqs.size, times.size)), WAVE_RATE)


def spectrogram_explanation():
    """Relevance only inside the box."""
    times, freqs = grid_axes()
    tf = np.zeros((freqs.size, times.size))
    tf[np.ix_((freqs >= 1200) & (freqs <= 1800), (times >= 0.65) & (times < 0.75))] = 2.0
    tf[0, :] = -1.0  # negative relevance outside: ignored
    return explanation("spec", "spectrogram", tf, tf, GRID.sample_rate)


def by_key(rows):
    return {(row.model, row.domain, row.region): row for row in rows}


def test_agreement_rows_per_model_domain_and_region():
    rows = by_key(agreement_rows([waveform_explanation(), spectrogram_explanation()], REGIONS, DURATION))
    assert len(rows) == 2 * 2 * 3
    wave_all = rows["wave", TIME, "all"]
    assert wave_all.mass == pytest.approx(1.0) and wave_all.rank_accuracy == pytest.approx(1.0)
    assert wave_all.baseline == pytest.approx(0.4)  # padding after 1 s is not part of the area
    assert rows["wave", TIME, "box"].mass == 0.0 and rows["wave", TIME, "time"].label == "onset"
    # A flat time-frequency map agrees exactly as well as random placement.
    wave_tf = rows["wave", TIME_FREQUENCY, "all"]
    assert wave_tf.mass == pytest.approx(wave_tf.baseline) and wave_tf.baseline < 0.4
    assert rows["spec", TIME_FREQUENCY, "box"].mass == pytest.approx(1.0)
    assert rows["spec", TIME_FREQUENCY, "time"].mass == 0.0
    assert rows["spec", TIME, "box"].mass == pytest.approx(1.0)  # summed over bands
    assert {row.class_name for row in rows.values()} == {"one"}


def test_region_table_measures_say_what_is_missing():
    """The window's region table: waiting before any explanation, "mark regions" with none (nothing is sorted
    for an empty table), a verdict once regions exist."""
    from audioxai_gui.ui.annotation.region_measures import EMPTY_MEASURES, compute_measures

    explanations = [waveform_explanation(), spectrogram_explanation()]
    assert EMPTY_MEASURES.verdict() == "Waiting for the explanations."
    none = compute_measures(explanations, [], DURATION)
    assert none.rows == {} and none.verdict().startswith("Mark regions")
    measured = compute_measures(explanations, REGIONS, DURATION)
    assert measured.get("spectrogram", TIME_FREQUENCY).mass == pytest.approx(1.0)  # all its positive relevance
    assert measured.verdict().startswith("Spectrogram model agrees more")


class FakeEngine:
    def __init__(self):
        self.calls = []

    def explain(self, model, samples, grid=None, **options):
        self.calls.append((model.card.name, samples.size, grid))
        return {"wave": waveform_explanation, "spec": spectrogram_explanation}[model.card.name]()


def write_clip(path, regions):
    sf.write(path, np.zeros(int(DURATION * 22050), dtype=np.float32) + 0.1, 22050)
    if regions is not None:
        write_sidecar(RegionDocument(regions, duration=DURATION), path)


def test_agreement_over_folder_writes_csv_and_summary(tmp_path):
    write_clip(tmp_path / "a.wav", REGIONS)
    write_clip(tmp_path / "b.wav", [REGIONS[0]])
    write_clip(tmp_path / "no_sidecar.wav", None)
    write_clip(tmp_path / "empty.wav", [])
    write_clip(tmp_path / "broken.wav", None)
    sidecar_path(tmp_path / "broken.wav").write_text("{")
    engine, skipped = FakeEngine(), []
    out_csv = tmp_path / "out" / "agreement.csv"

    summary = agreement_over_folder(
        tmp_path,
        engine,
        [WAVE_MODEL, SPEC_MODEL],
        out_csv,
        on_skip=lambda path, why: skipped.append((path.name, why)),
    )

    assert sorted(name for name, _ in skipped) == ["broken.wav", "empty.wav"]
    assert "not valid JSON" in dict(skipped)["broken.wav"] and "no regions" in dict(skipped)["empty.wav"]
    # Each model gets the audio at its own rate; the waveform model is projected on the spectrogram grid.
    assert sorted(set(engine.calls), key=str) == [("spec", 8000, GRID), ("wave", 16000, GRID)]
    assert len(engine.calls) == 4

    with out_csv.open() as handle:
        table = list(csv.DictReader(handle))
    assert len(table) == 2 * 2 * 3 + 2 * 2 * 2  # a.wav: 2 regions + all; b.wav: 1 region + all
    assert {row["file"] for row in table} == {"a.wav", "b.wav"}
    wave_a = next(
        r for r in table if (r["file"], r["model"], r["domain"], r["region"]) == ("a.wav", "wave", TIME, "all")
    )
    assert float(wave_a["mass"]) == pytest.approx(1.0) and wave_a["class_name"] == "one"

    summary = {(row.model, row.domain): row for row in summary}
    assert set(summary) == {
        ("wave", TIME),
        ("wave", TIME_FREQUENCY),
        ("spec", TIME),
        ("spec", TIME_FREQUENCY),
    }
    wave_time, spec_tf = summary["wave", TIME], summary["spec", TIME_FREQUENCY]
    assert wave_time.n_files == 2 and wave_time.mass == pytest.approx(1.0)
    assert wave_time.baseline == pytest.approx((0.4 + 0.2) / 2)
    assert spec_tf.mass == pytest.approx((1.0 + 0.0) / 2)  # b.wav's region misses the spectrogram relevance

    text = format_summary_table(list(summary.values()))
    lines = text.splitlines()
    assert lines[0].startswith("| model | input | domain | files | mass")
    assert len(lines) == 2 + 4
    assert any(line.startswith("| wave | waveform | time | 2 | 1.000 |") for line in lines)


def test_folder_without_annotations_is_an_error(tmp_path):
    write_clip(tmp_path / "a.wav", None)
    with pytest.raises(AgreementError, match="no audio file with a .axai.json sidecar"):
        agreement_over_folder(tmp_path, FakeEngine(), [WAVE_MODEL], tmp_path / "x.csv")
    with pytest.raises(AgreementError, match="no models to compare"):
        agreement_over_folder(tmp_path, FakeEngine(), [], tmp_path / "x.csv")
    with pytest.raises(AgreementError, match="not a folder"):
        agreement_over_folder(tmp_path / "missing", FakeEngine(), [WAVE_MODEL], tmp_path / "x.csv")


def test_real_engine_on_the_example_clip(tmp_path, model_pair):
    """Both representations measured on one clip: the same regions cover the same share of the audio."""
    from audioxai_gui.explain.engine import ExplanationEngine

    example = tmp_path / "example.wav"
    example.write_bytes((REPO / "resources" / "example.wav").read_bytes())
    regions = [Region(0.25, 0.5, label="se-"), Region(0.55, 0.75, 200.0, 3000.0, label="-ven")]
    write_sidecar(RegionDocument(regions, duration=1.0), example)

    summary = agreement_over_folder(tmp_path, ExplanationEngine("cpu"), model_pair, tmp_path / "rows.csv")

    by_domain = {(row.input_kind, row.domain): row for row in summary}
    assert len(by_domain) == 4 and all(row.n_files == 1 for row in summary)
    for row in summary:
        assert 0.0 <= row.mass <= 1.0 and 0.0 <= row.rank_accuracy <= 1.0
    # Per-sample and per-frame time axes agree on where the regions are (to a frame).
    assert by_domain["waveform", TIME].baseline == pytest.approx(by_domain["spectrogram", TIME].baseline, abs=0.01)
    assert by_domain["waveform", TIME].baseline == pytest.approx(0.45 / 1.0, abs=0.01)
    # Both models' time-frequency relevance lies on the spectrogram model's grid.
    assert by_domain["waveform", TIME_FREQUENCY].baseline == by_domain["spectrogram", TIME_FREQUENCY].baseline
