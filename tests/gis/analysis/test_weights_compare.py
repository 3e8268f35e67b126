"""Weights (queen vs libpysal, distance band, islands) and the two-period comparison."""

import numpy as np
import shapely
from libpysal.weights import lat2SW

from gis.analysis.compare import compare_periods, trend_counts
from gis.analysis.weights import cardinalities, distance_band, queen


def _boxes(rows: int, cols: int, size: float = 100.0) -> np.ndarray:
    return np.array(
        [
            shapely.box(c * size, -r * size - size, c * size + size, -r * size)
            for r in range(rows)
            for c in range(cols)
        ],
        dtype=object,
    )


def test_queen_of_a_lattice_equals_libpysal():
    assert abs(queen(_boxes(6, 7)) - lat2SW(6, 7, criterion="queen")).sum() == 0


def test_islands_are_joined_to_their_nearest_unit():
    cells = np.append(_boxes(3, 3), shapely.box(1000, 0, 1100, 100))
    assert cardinalities(queen(cells, islands="keep"), 10)[9] == 0
    joined = queen(cells)
    assert cardinalities(joined, 10)[9] == 1
    assert joined[9, 2] == 1 and joined[2, 9] == 1  # box 2 (top right) is the nearest


def test_distance_band_leaves_no_island_by_default():
    cells = np.append(_boxes(3, 3), shapely.box(1000, 0, 1100, 100))
    assert cardinalities(distance_band(cells), 10).min() >= 1
    rook_like = distance_band(_boxes(3, 3), 100.0)
    assert cardinalities(rook_like, 9).tolist() == [2, 3, 2, 3, 4, 3, 2, 3, 2]


def test_two_periods():
    trends = compare_periods([0, 1, 3, -2, 2], [2, 3, 0, 1, -1])
    assert trends.tolist() == ["emerging", "persistent", "diminishing", "emerging", "diminishing"]
    assert trend_counts(trends) == {"emerging": 2, "persistent": 1, "diminishing": 2, "none": 0}
