import numpy as np
import pytest

from audioxai_gui.annotate.measures import MeasureError, RelevanceMap, alignment
from audioxai_gui.annotate.suggest import suggest_regions, suggest_time_regions

HOP_S = 0.01  # frames every 10 ms
BAND_HZ = 50.0  # bands every 50 Hz


def blob(shape, centre, width):
    bands, frames = np.mgrid[: shape[0], : shape[1]]
    return np.exp(-(((bands - centre[0]) / width[0]) ** 2 + ((frames - centre[1]) / width[1]) ** 2))


@pytest.fixture
def two_blobs():
    """Bands x frames: one blob around 0.30 s / 500 Hz, a weaker one around 1.20 s / 2500 Hz."""
    shape = (81, 200)
    rng = np.random.default_rng(0)
    values = 2.0 * blob(shape, (10, 30), (2, 4)) + 1.0 * blob(shape, (50, 120), (3, 5))
    values += rng.normal(0, 0.002, shape)  # low-level noise with both signs
    times = np.arange(shape[1]) * HOP_S
    freqs = np.arange(shape[0]) * BAND_HZ
    return values, times, freqs


def test_two_blobs_give_two_boxes_at_the_right_places(two_blobs):
    values, times, freqs = two_blobs
    boxes = suggest_regions(values, times, freqs, top_percent=80)
    assert len(boxes) == 2
    first, second = boxes
    assert first.kind == second.kind == "box" and first.label == "suggested"
    assert first.start < 0.30 < first.end and first.low_hz < 500 < first.high_hz
    assert second.start < 1.20 < second.end and second.low_hz < 2500 < second.high_hz
    assert first.end < 0.5 and second.start > 1.0 and first.high_hz < 1500 and second.low_hz > 1500
    for box in boxes:
        box.validate()
    # Together the boxes hold at least the requested share, about as much as asked for.
    together = alignment(RelevanceMap(values, times, freqs), boxes)
    assert 0.8 <= together.mass < 0.9
    assert "% of the positive relevance" in first.note


def test_time_kind_sums_over_bands(two_blobs):
    values, times, freqs = two_blobs
    spans = suggest_regions(values, times, freqs, top_percent=80, kind="time")
    assert [span.kind for span in spans] == ["time", "time"]
    assert spans[0].start < 0.30 < spans[0].end < 1.0 < spans[1].start < 1.20 < spans[1].end


def test_more_percent_gives_larger_boxes(two_blobs):
    values, times, freqs = two_blobs
    small = suggest_regions(values, times, freqs, top_percent=10)
    large = suggest_regions(values, times, freqs, top_percent=80)
    assert len(small) == 1  # the top 10 % all lie in the peak of the stronger blob
    assert large[0].start <= small[0].start and large[0].end >= small[0].end


def test_suggested_box_selects_exactly_its_bins():
    values = np.zeros((6, 10))
    values[2:4, 3:7] = 1.0
    times, freqs = np.arange(10) * HOP_S, np.arange(6) * BAND_HZ
    (box,) = suggest_regions(values, times, freqs, top_percent=100, min_bins=1)
    assert (box.start, box.end) == (0.025, 0.065)  # rounded: no float noise in exported files
    assert (box.low_hz, box.high_hz) == pytest.approx((75.0, 175.0))
    assert alignment(RelevanceMap(values, times, freqs), [box]).baseline == pytest.approx(8 / 60)


def test_per_sample_fragments_merge_and_tiny_ones_drop():
    rate = 1000
    relevance = np.zeros(2000)
    relevance[200:600:20] = 1.0  # a burst of isolated samples, 20 ms apart: one region once merged
    relevance[1500] = 0.05  # a lone weak sample: too short to suggest
    spans = suggest_time_regions(relevance, np.arange(2000) / rate, top_percent=100, merge_gap=0.025)
    assert len(spans) == 1
    assert spans[0].start == pytest.approx(0.1995) and spans[0].end == pytest.approx(0.5805)
    unmerged = suggest_time_regions(relevance, np.arange(2000) / rate, top_percent=100, merge_gap=0.0, min_bins=1)
    assert len(unmerged) == 0  # each fragment is 1 ms: shorter than min_duration


def test_no_positive_relevance_suggests_nothing():
    assert suggest_time_regions(-np.ones(50), np.arange(50) * HOP_S) == []


@pytest.mark.parametrize("kwargs, message", [({"top_percent": 0}, "top_percent"), ({"kind": "oval"}, "kind")])
def test_bad_parameters(kwargs, message):
    with pytest.raises(MeasureError, match=message):
        suggest_regions(np.ones((3, 4)), np.arange(4) * HOP_S, np.arange(3) * BAND_HZ, **kwargs)


def test_max_regions_keeps_the_strongest():
    relevance = np.zeros(1000)
    for number, start in enumerate(range(50, 950, 100)):
        relevance[start : start + 20] = 1.0 + number  # nine bursts, the later the stronger
    times = np.arange(1000) * 0.001
    spans = suggest_time_regions(relevance, times, top_percent=100, max_regions=3, merge_gap=0.0)
    assert [round(span.start, 4) for span in spans] == [0.6495, 0.7495, 0.8495]
    assert len(suggest_time_regions(relevance, times, top_percent=100, max_regions=None)) == 9
