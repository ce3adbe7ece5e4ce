"""The command line: predictions, written files, JSON records, exit codes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from audioxai_gui.cli import EXIT_BAD_INPUT, EXIT_USAGE, main


@pytest.fixture(scope="module")
def fsdd_clip(fsdd_dir):
    return fsdd_dir / "recordings" / "7_jackson_0.wav"


def test_explain_prints_both_models_and_writes_files(fsdd_clip, tmp_path, capsys):
    assert main(["explain", str(fsdd_clip), "--out", str(tmp_path)]) == 0
    line = capsys.readouterr().out.strip()
    assert "waveform model -> 7" in line and "spectrogram model -> 7" in line
    data = np.load(tmp_path / "7_jackson_0.wav.relevance.npz")
    meta = json.loads(str(data["metadata"]))
    assert [m["key"] for m in meta["models"]] == ["waveform", "spectrogram"]
    assert data["waveform_relevance"].shape == data["waveform_samples"].shape
    assert data["waveform_tf_relevance"].shape == data["spectrogram_tf_relevance"].shape
    png = (tmp_path / "7_jackson_0.wav.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000


def test_json_records_and_a_bad_file_does_not_stop_the_batch(fsdd_clip, tmp_path, capsys):
    bad = tmp_path / "noise.wav"
    bad.write_bytes(np.random.default_rng(0).bytes(4000))
    status = main(["explain", str(bad), str(fsdd_clip), "--json", "--model", "spectrogram", "--target", "3"])
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert status == EXIT_BAD_INPUT
    assert "noise.wav" in records[0]["error"] and "models" in records[0]
    good = records[1]["models"]["spectrogram"]
    assert good["target"] == "3" and set(good["probabilities"]) == {str(d) for d in range(10)}
    assert sum(good["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
    assert "waveform" not in records[1]["models"]


def test_usage_errors_exit_2(fsdd_clip, capsys):
    assert main(["explain", str(fsdd_clip), "--composite", "Bogus"]) == EXIT_USAGE
    assert "unknown composite 'Bogus'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["explain", "--model", "video", str(fsdd_clip)])
    assert info.value.code == EXIT_USAGE


def test_models_lists_the_shipped_pair(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "fsdd-audionet" in out and "fsdd-alexnet" in out


def test_agreement_over_an_annotated_folder(fsdd_clip, tmp_path, capsys):
    import shutil

    from audioxai_gui.annotate.document import RegionDocument
    from audioxai_gui.annotate.regions import Region
    from audioxai_gui.annotate.sidecar import write_sidecar

    audio = tmp_path / fsdd_clip.name
    shutil.copy(fsdd_clip, audio)
    write_sidecar(RegionDocument([Region(0.0, 0.2, label="onset"), Region(0.1, 0.3, 300.0, 2000.0)]), audio)
    (tmp_path / "unannotated.wav").write_bytes(audio.read_bytes())
    assert main(["agreement", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "fsdd-audionet" in out and "fsdd-alexnet" in out
    csv_text = (tmp_path / "agreement.csv").read_text()
    assert csv_text.count("\n") > 4 and "7_jackson_0.wav" in csv_text and "unannotated" not in csv_text
