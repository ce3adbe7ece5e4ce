"""The relevance colour maps are built from anchors (no matplotlib at start-up) yet look like the originals."""

import matplotlib
import numpy as np
import pytest

from audioxai_gui.ui import colormaps

MATPLOTLIB_TWINS = [name for name in colormaps.COLORMAPS if name in matplotlib.colormaps]


@pytest.mark.parametrize("name", MATPLOTLIB_TWINS)
def test_anchor_maps_match_matplotlib_within_a_few_levels(name):
    ours = colormaps.colormap(name).getLookupTable(0.0, 1.0, 256, alpha=False).astype(float)
    reference = np.round(255 * matplotlib.colormaps[name](np.linspace(0, 1, 256))[:, :3])
    assert np.abs(ours - reference).max() <= 5


def test_every_listed_map_is_diverging_blue_to_red():
    for name in colormaps.COLORMAPS:
        table = colormaps.colour_table(name, "all").astype(int)
        low, high = table[0], table[-1]
        assert low[2] > low[0] and high[0] > high[2], name


def test_unknown_map_names_the_known_ones():
    with pytest.raises(KeyError, match="bwr"):
        colormaps.colormap("jet")
