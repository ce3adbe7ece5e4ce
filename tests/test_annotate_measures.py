import math

import numpy as np
import pytest

from audioxai_gui.annotate.measures import (
    ALL_REGIONS,
    MeasureError,
    RelevanceMap,
    alignment,
    alignment_per_region,
    region_mask,
)
from audioxai_gui.annotate.regions import Region

RATE = 100  # samples per second: sample i sits at i / 100 s


def wave(values):
    return RelevanceMap.per_sample(np.asarray(values, dtype=float), RATE)


def grid(values):
    """A 2-D map: frames every 0.1 s, bands at 0, 100, 200, ... Hz."""
    values = np.asarray(values, dtype=float)
    return RelevanceMap(values, np.arange(values.shape[1]) * 0.1, np.arange(values.shape[0]) * 100.0)


def test_relevance_entirely_inside_scores_one():
    relevance = np.zeros(200)
    relevance[50:60] = np.linspace(1, 2, 10)
    result = alignment(wave(relevance), [Region(0.4, 0.8)])
    assert result.mass == pytest.approx(1.0) and result.rank_accuracy == pytest.approx(1.0)
    assert result.n_inside == 40 and result.baseline == pytest.approx(0.2)


def test_uniform_relevance_scores_the_area_share():
    result = alignment(wave(np.ones(200)), [Region(0.0, 0.5)])
    assert result.mass == pytest.approx(0.25) and result.baseline == pytest.approx(0.25)
    assert result.rank_accuracy == pytest.approx(0.25)  # ties split fairly, not by array order


def test_negative_relevance_is_ignored():
    relevance = np.ones(100)
    relevance[:50] = -5.0  # strong counter-evidence inside the region changes nothing
    result = alignment(wave(relevance), [Region(0.0, 0.6)])
    assert result.mass == pytest.approx(10 / 50)
    assert result.rank_accuracy == pytest.approx(10 / 50)  # K = the 50 positive samples, all tied


def test_overlapping_regions_are_not_double_counted():
    relevance = np.ones(100)
    one = alignment(wave(relevance), [Region(0.2, 0.6)])
    both = alignment(wave(relevance), [Region(0.2, 0.5), Region(0.3, 0.6)])
    assert both == one and both.n_inside == 40 and both.mass == pytest.approx(0.4)


def test_rank_accuracy_counts_only_the_top_k():
    relevance = np.zeros(100)
    relevance[10:20] = 10.0  # region [0.1, 0.3): 20 samples, the top 10 inside
    relevance[50:60] = 5.0  # the next 10 outside
    result = alignment(wave(relevance), [Region(0.1, 0.3)])
    assert result.rank_accuracy == pytest.approx(0.5)
    assert result.mass == pytest.approx(100 / 150)


def test_no_positive_relevance_gives_nan_with_reason():
    result = alignment(wave(-np.ones(50)), [Region(0.0, 0.1)])
    assert math.isnan(result.mass) and math.isnan(result.rank_accuracy)
    assert result.reason == "no positive relevance" and result.baseline == pytest.approx(0.2)


def test_region_outside_the_map_covers_nothing():
    result = alignment(wave(np.ones(50)), [Region(3.0, 4.0)])
    assert result.mass == 0.0 and math.isnan(result.rank_accuracy) and "cover no" in result.reason


def test_box_covers_bands_whose_centre_lies_inside_and_time_region_all_bands():
    relevance = grid(np.zeros((8, 10)))
    box = region_mask([Region(0.2, 0.5, 150.0, 400.0)], relevance)  # bands 200, 300, 400 Hz; frames 2-4
    expected = np.zeros((8, 10), dtype=bool)
    expected[2:5, 2:5] = True
    np.testing.assert_array_equal(box, expected)
    time_region = region_mask([Region(0.2, 0.5)], relevance)
    assert time_region[:, 2:5].all() and time_region.sum() == 8 * 3


def test_boxes_versus_time_regions_on_a_tf_map():
    values = np.zeros((8, 10))
    values[6, 3] = 4.0  # relevance high in frequency, inside the time span but outside the box
    values[2, 3] = 1.0
    relevance = grid(values)
    box = alignment(relevance, [Region(0.2, 0.5, 150.0, 400.0)])
    span = alignment(relevance, [Region(0.2, 0.5)])
    assert box.mass == pytest.approx(0.2) and box.baseline == pytest.approx(9 / 80)
    assert span.mass == pytest.approx(1.0) and span.baseline == pytest.approx(24 / 80)
    # In 1-D the box is its time span.
    assert alignment(wave(np.ones(100)), [Region(0.2, 0.5, 150.0, 400.0)]).n_inside == 30


def test_per_region_and_all():
    relevance = np.zeros(100)
    relevance[10:20] = 1.0
    relevance[70:80] = 3.0
    regions = [Region(0.1, 0.2, id="first"), Region(0.7, 0.8, id="second")]
    results = alignment_per_region(wave(relevance), regions)
    assert set(results) == {"first", "second", ALL_REGIONS}
    assert results["first"].mass == pytest.approx(0.25) and results["second"].mass == pytest.approx(0.75)
    assert results[ALL_REGIONS].mass == pytest.approx(1.0) and results[ALL_REGIONS].rank_accuracy == 1.0
    assert alignment_per_region(wave(relevance), [])[ALL_REGIONS].n_inside == 0


def test_cropping_drops_padding_after_the_audio():
    cropped = wave(np.ones(100)).cropped(0.5)
    assert cropped.values.shape == (50,)
    assert alignment(cropped, [Region(0.0, 0.25)]).baseline == pytest.approx(0.5)


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: RelevanceMap(np.ones(3), np.arange(4)), "times has shape"),
        (lambda: RelevanceMap(np.array([1.0, np.nan]), np.arange(2)), "NaN"),
        (lambda: RelevanceMap(np.ones((2, 3)), np.arange(3)), "needs freqs"),
        (lambda: RelevanceMap(np.ones((2, 3)), np.arange(3), np.arange(3)), "freqs has shape"),
        (lambda: RelevanceMap(np.ones(3), np.array([0.0, 0.2, 0.1])), "strictly increasing"),
        (lambda: RelevanceMap.per_sample(np.ones(3), 0), "sample_rate must be positive"),
    ],
)
def test_bad_maps_are_rejected(build, message):
    with pytest.raises(MeasureError, match=message):
        build()


def test_a_point_region_covers_nothing_and_says_so():
    from audioxai_gui.annotate.measures import alignment_per_region

    relevance = RelevanceMap(np.linspace(0.1, 1.0, 100), np.arange(100) / 100)
    span, click = Region(0.1, 0.3), Region(0.5, 0.5, label="click")
    assert alignment(relevance, [span, click]) == alignment(relevance, [span])
    alone = alignment_per_region(relevance, [span, click])[click.id]
    assert alone.n_inside == 0 and alone.baseline == 0.0 and np.isnan(alone.rank_accuracy)
    assert "cover no time step" in alone.reason
