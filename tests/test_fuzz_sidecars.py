"""Bad sidecars through load and save: every one is read, or refused with a SidecarError naming the file and
kept byte for byte; autosave then continues into a fresh file; a read-only load never renames anything."""

from __future__ import annotations

import json
import os
import random
from collections import Counter

import pytest

from audioxai_gui.annotate.document import RegionDocument
from audioxai_gui.annotate.regions import Region
from audioxai_gui.annotate.sidecar import Autosaver, SidecarError, load_sidecar, sidecar_path

SEED = 15
GOOD = {"schema": 1, "audio": "a.wav", "duration": 2.0, "regions": [{"start": 0.1, "end": 0.5, "id": "r1"}]}


def region(**values):
    return json.dumps({**GOOD, "regions": [{"start": 0.1, "end": 0.5, "id": "r1", **values}]})


def document(**values):
    return json.dumps({**GOOD, **values})


CRAFTED = {
    "structure": [
        "",
        "{",
        "[]",
        "null",
        "42",
        '"text"',
        "{}",
        document(regions=None),
        document(regions={"a": 1}),
        document(regions=[1, 2]),
        document(schema="1"),
        document(schema=True),
        document(schema=99),
        document(schema=1e999),
        json.dumps({"regions": []}),
    ],
    "numbers": [
        region(start=-1),
        region(end="x"),
        region(start=float("nan")),
        region(start=1, end=0.5),
        region(low_hz=100),
        region(low_hz=500, high_hz=100),
        region(start=1 + 10**400 // 10**399),
        '{"schema": 1, "regions": [{"start": 1' + "0" * 400 + ', "end": 2}]}',
        '{"schema": 1, "duration": 1' + "0" * 400 + ', "regions": []}',
        document(duration=-3),
        document(duration=0),
        '{"schema": 1, "regions": [{"start": 1e999, "end": 2}]}',
    ],
    "regions": [
        region(id=""),
        region(id=7),
        region(label=["a"]),
        region(colour="red"),
        json.dumps({**GOOD, "regions": [{"start": 0.1, "end": 0.2, "id": "x"}] * 2}),
        json.dumps({**GOOD, "regions": [{"end": 0.2}]}),
    ],
    "nesting": ["[" * 100_000 + "]" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000, document(regions=[[[[[]]]]])],
    "encoding": [b"\xff\xfe\x00{", b'{"schema": 1, "regions": [], "audio": "\xe9"}', b"\x00" * 64],
}


def random_sidecars(count: int) -> list[bytes]:
    """Valid sidecars with random bytes changed, cut or repeated."""
    rng = random.Random(SEED)
    text = json.dumps({**GOOD, "regions": [{"start": i / 10, "end": i / 10 + 0.05, "id": f"r{i}"} for i in range(15)]})
    out = []
    for _ in range(count):
        data = bytearray(text.encode())
        action = rng.randrange(3)
        if action == 0:
            for _ in range(rng.randint(1, 5)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        elif action == 1:
            data = data[: rng.randrange(len(data))]
        else:
            start = rng.randrange(len(data))
            data[start:start] = data[start : start + rng.randrange(1, 40)]
        out.append(bytes(data))
    return out


def cases():
    for category, items in CRAFTED.items():
        for item in items:
            yield category, item.encode() if isinstance(item, str) else item
    for item in random_sidecars(25):
        yield "random damage", item


def test_every_bad_sidecar_is_read_or_kept_aside_and_autosave_goes_on(tmp_path):
    outcomes: Counter = Counter()
    for number, (category, data) in enumerate(cases()):
        audio = tmp_path / f"clip{number:03d}.wav"
        path = sidecar_path(audio)
        path.write_bytes(data)
        try:
            loaded = load_sidecar(audio, duration=2.0)
        except SidecarError as exc:
            assert str(exc).startswith(f"sidecar {path}: "), (category, data[:60], exc)
            assert exc.kept_at.read_bytes() == data and not path.exists()
            outcomes[category, "kept aside"] += 1
            loaded = RegionDocument(duration=2.0)
        else:
            outcomes[category, "read"] += 1
        saver = Autosaver(loaded, audio, clock=lambda: 0.0)
        loaded.add(Region(1.0, 1.5, label="new"))
        assert saver.flush()
        assert "new" in [r.label for r in load_sidecar(audio)]
    total = sum(outcomes.values())
    print("\nbad sidecars by category:", dict(sorted(outcomes.items())), "total", total)
    assert total >= 30 and sum(n for (c, how), n in outcomes.items() if how == "kept aside") >= 40


@pytest.mark.parametrize("data", [CRAFTED["nesting"][0].encode(), b"{", CRAFTED["numbers"][7].encode()])
def test_a_read_only_load_renames_nothing(tmp_path, data):
    audio = tmp_path / "clip.wav"
    sidecar_path(audio).write_bytes(data)
    with pytest.raises(SidecarError) as info:
        load_sidecar(audio, keep_aside=False)
    assert info.value.kept_at is None and os.listdir(tmp_path) == [sidecar_path(audio).name]
