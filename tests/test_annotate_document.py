import pytest

from audioxai_gui.annotate.document import RegionDocument
from audioxai_gui.annotate.regions import Region, RegionError


def geometry(document):
    return [(r.start, r.end, r.low_hz, r.high_hz, r.label) for r in document]


@pytest.fixture
def document():
    regions = [Region(1.0, 2.0, label="a", id="a"), Region(5.0, 6.0, 100.0, 900.0, label="b", id="b")]
    return RegionDocument(regions, duration=10.0)


@pytest.mark.parametrize(
    "region, reason",
    [
        (Region(2.0, 1.0), "must be before end"),
        (Region(-0.5, 1.0), "start must not be negative"),
        (Region(0.0, 1.0, 500.0, 100.0), "low_hz (500) must be below high_hz (100)"),
        (Region(0.0, 1.0, -5.0, 100.0), "low_hz must not be negative"),
        (Region(0.0, 1.0, 100.0, None), "needs both low_hz and high_hz"),
        (Region(0.0, float("nan")), "end must be a finite number"),
        (Region(0.0, 11.0), "after the end of the audio (10 s)"),
    ],
)
def test_invalid_regions_are_rejected_with_the_reason(region, reason):
    doc = RegionDocument(duration=10.0)
    with pytest.raises(RegionError) as info:
        doc.add(region)
    assert reason in str(info.value)
    assert region.id in str(info.value)
    assert len(doc) == 0 and not doc.can_undo


def test_duplicate_id_is_rejected(document):
    with pytest.raises(RegionError, match="already exists"):
        document.add(Region(3.0, 4.0, id="a"))


def test_add_remove_update_undo_redo_round_trip(document):
    states = [geometry(document)]
    document.update("a", label="speech", note="vowel")
    states.append(geometry(document))
    document.move("b", dt=1.5, dhz=50.0)
    states.append(geometry(document))
    document.resize("a", end=3.0)
    states.append(geometry(document))
    document.remove("a")
    states.append(geometry(document))
    assert states[-1] == [(6.5, 7.5, 150.0, 950.0, "b")]

    for expected in reversed(states[:-1]):
        assert document.undo() is not None
        assert geometry(document) == expected
    assert not document.can_undo and document.undo() is None
    for expected in states[1:]:
        document.redo()
        assert geometry(document) == expected
    assert not document.can_redo


def test_remove_undo_restores_original_position(document):
    document.add(Region(8.0, 9.0, id="c"))
    document.remove("b")
    document.undo()
    assert [r.id for r in document] == ["a", "b", "c"]


def test_new_edit_clears_redo(document):
    document.remove("a")
    document.undo()
    assert document.can_redo and document.redo_text == "Remove region"
    document.update("b", label="x")
    assert not document.can_redo


def test_update_validates_and_leaves_document_unchanged(document):
    before = geometry(document)
    with pytest.raises(RegionError, match="must be before end"):
        document.resize("a", start=5.0)
    with pytest.raises(RegionError, match="cannot edit region field"):
        document.update("a", id="zzz")
    with pytest.raises(RegionError, match="no region with id 'nope'"):
        document.remove("nope")
    assert geometry(document) == before


def test_batch_is_one_undo_step_and_reverts_on_error(document):
    revision = document.revision
    document.add_many([Region(3.0, 3.5, label="suggested"), Region(7.0, 8.0, label="suggested")])
    assert len(document) == 4 and document.undo_text == "Accept suggestions"
    document.undo()
    assert [r.id for r in document] == ["a", "b"]
    document.redo()
    assert len(document) == 4
    assert document.revision == revision + 2 + 1 + 1  # two adds notified, undo, redo

    before = geometry(document)
    with pytest.raises(RegionError):
        document.add_many([Region(0.1, 0.2), Region(3.0, 2.0)])
    assert geometry(document) == before
    assert document.undo_text == "Accept suggestions" and len(document) == 4


def test_continuing_moves_fold_into_one_undo_step(document):
    for _ in range(5):
        document.move("a", dt=0.1, continuing=True)
    document.move("b", dt=1.0, continuing=True)  # another region: a step of its own
    assert document.get("a").start == pytest.approx(1.5)
    document.undo()
    assert document.get("b").start == 5.0 and document.get("a").start == pytest.approx(1.5)
    document.undo()
    assert document.get("a").start == 1.0
    assert not document.can_undo


def test_listeners_get_revision_and_region_ids(document):
    changes = []
    unsubscribe = document.subscribe(changes.append)
    document.update("b", note="n")
    document.undo()
    unsubscribe()
    document.redo()
    assert [(c.description, c.region_ids) for c in changes] == [
        ("Edit region", ("b",)),
        ("Edit region", ("b",)),
    ]
    assert changes[1].revision == changes[0].revision + 1


def test_tab_navigation_follows_start_time_not_insertion_order():
    doc = RegionDocument([Region(5.0, 6.0, id="late"), Region(1.0, 2.0, id="early"), Region(3.0, 9.0, id="mid")])
    assert doc.next_region(0.0).id == "early"
    assert doc.next_region(1.0).id == "mid"  # strictly after the current start: Tab moves on
    assert doc.next_region(5.0) is None
    assert doc.previous_region(5.0).id == "mid"
    assert doc.previous_region(1.0) is None
    assert doc.previous_region(100.0).id == "late"


def test_document_keeps_its_own_copies(document):
    region = Region(3.0, 4.0, id="c")
    stored = document.add(region)
    region.start = 0.0
    assert stored is not region and document.get("c").start == 3.0


def test_region_dict_round_trip_and_bad_fields():
    region = Region(0.5, 1.25, 200.0, 3000.0, label="s", note="n")
    assert Region.from_dict(region.to_dict()) == region
    with pytest.raises(RegionError, match="unknown region field"):
        Region.from_dict({"start": 0, "end": 1, "colour": "red"})
    with pytest.raises(RegionError, match="missing end"):
        Region.from_dict({"start": 0})
