"""Session files: round trip, atomic write, and one clear SessionError per bad input."""

import json

import pytest

from audioxai_gui.session import DisplaySettings, Session, SessionError, ViewState


def _session() -> Session:
    return Session(
        audio_path="/data/clip.wav",
        models={"waveform": "fsdd-audionet", "spectrogram": "fsdd-alexnet"},
        target_class="7",
        composites={"waveform": "EpsilonAlpha2Beta1", "spectrogram": "EpsilonPlusFlat"},
        display=DisplaySettings(
            colormap="seismic",
            sign_filter="positive",
            opacity=0.4,
            clip_percentile=97.0,
            shared_scale=False,
            frequency_axis="mel",
        ),
        view=ViewState(
            time_range=(0.25, 0.75),
            y_ranges={"spectrogram": (100.0, 2000.0)},
            visible_panes=["waveform", "spectrogram"],
        ),
    )


def test_round_trip_keeps_every_field(tmp_path):
    path = _session().save(tmp_path / "a.audioxai.json")
    assert Session.load(path) == _session()
    assert not list(tmp_path.glob(".*.tmp")), "the temporary file must be renamed away"


def test_relative_audio_path_is_taken_from_the_session_folder(tmp_path):
    session = Session(audio_path="sub/clip.wav")
    path = session.save(tmp_path / "s.audioxai.json")
    assert Session.load(path).resolved_audio_path(path) == tmp_path.resolve() / "sub" / "clip.wav"


@pytest.mark.parametrize(
    "content, reason",
    [
        ("{not json", "cannot read JSON"),
        ("[1, 2]", "expected a JSON object"),
        (json.dumps({"schema": 99, "audio_path": "x.wav"}), "schema 99"),
        (json.dumps({"schema": 1}), "missing field 'audio_path'"),
        (json.dumps({"schema": 1, "audio_path": "x", "display": {"sign_filter": "up"}}), "sign filter 'up'"),
        (json.dumps({"schema": 1, "audio_path": "x", "display": {"cmap": "bwr"}}), "unknown DisplaySettings field"),
        (json.dumps({"schema": 1, "audio_path": "x", "view": {"time_range": [2, 1]}}), "increasing"),
        (json.dumps({"schema": 1, "audio_path": "x", "view": {"visible_panes": ["mystery"]}}), "mystery"),
        (json.dumps({"schema": 1, "audio_path": "x", "models": {"video": "m"}}), "unknown model role"),
    ],
)
def test_bad_session_files_name_the_file_and_the_reason(tmp_path, content, reason):
    path = tmp_path / "bad.audioxai.json"
    path.write_text(content)
    with pytest.raises(SessionError) as info:
        Session.load(path)
    assert str(path) in str(info.value)
    assert reason in str(info.value)
