import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from audioxai_gui.annotate.document import RegionDocument
from audioxai_gui.annotate.regions import Region
from audioxai_gui.annotate.sidecar import Autosaver, SidecarError, load_sidecar, sidecar_path, write_sidecar

REPO = Path(__file__).resolve().parents[1]


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_write_then_load_round_trip(tmp_path):
    audio = tmp_path / "clip.wav"
    regions = [Region(0.1, 0.5, label="one", note="a note"), Region(0.7, 1.2, 300.0, 2500.5)]
    path = write_sidecar(RegionDocument(regions, duration=2.0), audio)
    assert path == tmp_path / "clip.wav.axai.json"
    data = json.loads(path.read_text())
    assert data["schema"] == 1 and data["audio"] == "clip.wav" and data["duration"] == 2.0
    loaded = load_sidecar(audio)
    assert list(loaded) == regions and loaded.duration == 2.0 and loaded.audio_name == "clip.wav"
    assert [p.name for p in tmp_path.iterdir()] == ["clip.wav.axai.json"]  # no temp file left behind


def test_load_removes_temp_files_left_by_a_crashed_save(tmp_path):
    audio = tmp_path / "clip.wav"
    write_sidecar(RegionDocument([Region(0.0, 1.0)]), audio)
    stale, fresh = tmp_path / ".clip.wav.axai.json.abc123.tmp", tmp_path / ".clip.wav.axai.json.def456.tmp"
    other = tmp_path / ".other.wav.axai.json.abc123.tmp"
    for temp in (stale, fresh, other):
        temp.write_text("{")
    an_hour_ago = time.time() - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))
    os.utime(other, (an_hour_ago, an_hour_ago))
    assert len(load_sidecar(audio)) == 1
    assert not stale.exists() and fresh.exists() and other.exists()


def test_missing_sidecar_gives_empty_document(tmp_path):
    document = load_sidecar(tmp_path / "new.wav", duration=3.0)
    assert len(document) == 0 and document.duration == 3.0


@pytest.mark.parametrize(
    "content, reason",
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"schema": 99, "regions": []}', "schema 99 is newer"),
        ('{"schema": 1, "regions": {}}', "'regions' must be a list"),
        ('{"schema": 1, "regions": [{"start": 2, "end": 1}]}', "must be before end"),
        ('{"schema": 1, "regions": [{"start": 0, "end": 1, "colour": 3}]}', "region 1: unknown region field"),
        ('{"schema": 1, "duration": 1.0, "regions": [{"start": 0, "end": 4}]}', "after the end of the audio"),
    ],
)
def test_unreadable_sidecar_is_moved_aside_with_reason(tmp_path, content, reason):
    audio = tmp_path / "clip.wav"
    sidecar_path(audio).write_text(content)
    with pytest.raises(SidecarError) as info:
        load_sidecar(audio)
    kept = info.value.kept_at
    assert reason in str(info.value) and str(kept) in str(info.value)
    assert kept.name.startswith("clip.wav.axai.json.corrupt-") and kept.read_text() == content
    assert not sidecar_path(audio).exists()
    # A second corrupt file in the same second must not overwrite the first one kept.
    sidecar_path(audio).write_text(content)
    with pytest.raises(SidecarError) as again:
        load_sidecar(audio)
    assert again.value.kept_at != kept and kept.exists()


def test_autosaver_debounces_and_caps_the_delay(tmp_path):
    audio, clock = tmp_path / "clip.wav", FakeClock()
    document = RegionDocument(duration=60.0)
    saver = Autosaver(document, audio, clock=clock, debounce=0.5, max_delay=2.0)
    assert not saver.poll() and not saver.path.exists()

    document.add(Region(0.0, 1.0, id="r"))
    clock.now += 0.3
    assert not saver.poll()  # still within the debounce
    clock.now += 0.3
    assert saver.poll() and len(load_sidecar(audio)) == 1
    assert not saver.dirty and not saver.poll()

    for _ in range(9):  # a drag: an edit every 0.25 s, never a 0.5 s pause
        document.move("r", dt=0.1, continuing=True)
        clock.now += 0.25
        if saver.poll():
            break
    assert clock.now - 100.6 == pytest.approx(2.0)  # written exactly max_delay after the first edit
    assert load_sidecar(audio).get("r").start == pytest.approx(0.8)


def test_autosaver_flush_and_close(tmp_path):
    audio = tmp_path / "clip.wav"
    document = RegionDocument()
    saver = Autosaver(document, audio, clock=FakeClock())
    document.add(Region(0.0, 1.0))
    assert saver.flush() and not saver.flush()
    document.add(Region(1.0, 2.0))
    saver.close()
    assert len(load_sidecar(audio)) == 2
    document.add(Region(2.0, 3.0))
    assert not saver.dirty  # closed: no longer listening


def test_autosaver_write_failure_keeps_changes_pending(tmp_path):
    audio = tmp_path / "gone" / "clip.wav"  # folder does not exist: the write fails
    clock = FakeClock()
    document = RegionDocument()
    saver = Autosaver(document, audio, clock=clock)
    document.add(Region(0.0, 1.0))
    clock.now += 5
    with pytest.raises(SidecarError, match="cannot save regions"):
        saver.poll()
    assert saver.dirty and not saver.poll()  # retried after the debounce, not on every poll
    audio.parent.mkdir()
    clock.now += 1
    assert saver.poll() and len(load_sidecar(audio)) == 1


WRITER = """
import sys
from audioxai_gui.annotate.regions import Region
from audioxai_gui.annotate.sidecar import load_sidecar, write_sidecar
audio = sys.argv[1]
document = load_sidecar(audio)
counter = int(document.get("counter").label) if len(document) else 0
if not len(document):
    document.add(Region(0.0, 1.0, label="0", id="counter"))
    document.add_many(Region(i * 0.01, i * 0.01 + 0.005, note="x" * 40) for i in range(1, 300))
while True:
    counter += 1
    document.update("counter", label=str(counter))
    write_sidecar(document, audio)
    print(counter, flush=True)
"""


def test_sidecar_survives_sigkill_at_random_moments(tmp_path):
    """The file always parses and holds a state at least as new as the last one reported written."""
    audio = tmp_path / "clip.wav"
    rng = random.Random(1234)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    last_confirmed = 0
    for _ in range(30):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(audio)], stdout=subprocess.PIPE, env=env, text=True
        )
        first = writer.stdout.readline()  # wait until it is writing
        assert first, "writer died before its first write"
        time.sleep(rng.uniform(0.0, 0.08))
        writer.send_signal(signal.SIGKILL)
        rest = writer.communicate()[0]
        confirmed = int((first + rest).split()[-1])
        document = load_sidecar(audio)  # raises (and moves the file aside) if it were torn
        saved = int(document.get("counter").label)
        assert confirmed >= last_confirmed
        assert confirmed <= saved <= confirmed + 1  # at most the one write not yet reported
        assert len(document) == 300
        last_confirmed = confirmed
    assert not list(tmp_path.glob("*.corrupt-*"))
