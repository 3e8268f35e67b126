"""Double surveys of one object within a survey: rows of one class whose geometries lie within the
duplicate distance (points), or whose every vertex does (lines and polygons: Hausdorff distance,
since neighbours touch). Distances are measured in the city's Gauss-Krüger zone.

Each later row is a duplicate of the earliest row of its class near it. Rows of one class with the
identical geometry form one group before any pair is sought, so a survey that puts thousands of rows
at one placeholder position (a district office's coordinates for every row without a fix) costs
one group, not the square of its size in pairs.
"""

from collections.abc import Callable

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from gis.crs import CrsSpec, transform, xy_from_cgcs2000

# positions (into the rows given) -> pairs (2, n) of indices into those positions within the distance
_Near = Callable[[np.ndarray], np.ndarray]


def earlier_duplicates(geometries: np.ndarray, classes: np.ndarray, points: bool, zone_epsg: int,
                       distance_m: float) -> np.ndarray:
    """Pairs (2, n) of positions (earlier, later): each later row and the earliest row of its class
    within the distance of it. `points`: all geometries are points, else all lines or polygons."""
    if len(geometries) < 2:
        return np.empty((2, 0), dtype=np.int64)
    if points:
        xy = shapely.get_coordinates(geometries)
        x, y = xy_from_cgcs2000(xy[:, 0], xy[:, 1], CrsSpec(epsg=zone_epsg))
        keys = x + 1j * y  # one hashable value per position

        def near(chosen: np.ndarray) -> np.ndarray:
            tree = cKDTree(np.column_stack([x[chosen], y[chosen]]))
            return tree.query_pairs(distance_m, output_type="ndarray").T

        return _per_class(classes, keys, near)
    metric = transform(geometries, 4490, zone_epsg)

    def near_shapes(chosen: np.ndarray) -> np.ndarray:
        shapes = metric[chosen]
        left, right = shapely.STRtree(shapes).query(shapes, predicate="dwithin", distance=distance_m)
        ordered = left < right
        left, right = left[ordered], right[ordered]
        close = shapely.hausdorff_distance(shapes[left], shapes[right]) <= distance_m
        return np.stack([left[close], right[close]])

    return _per_class(classes, shapely.to_wkb(metric), near_shapes)


def _per_class(classes: np.ndarray, keys: np.ndarray, near: _Near) -> np.ndarray:
    """(earlier, later) positions, class by class, over the distinct keys of each class."""
    codes, _ = pd.factorize(classes)
    order = np.argsort(codes, kind="stable")  # each class's positions stay in row order
    found = [np.empty((2, 0), dtype=np.int64)]
    for members in np.split(order, np.cumsum(np.bincount(codes))[:-1]):
        if len(members) < 2:
            continue
        groups, _ = pd.factorize(keys[members])  # numbered in order of first appearance
        first = np.unique(groups, return_index=True)[1]  # each group's earliest member
        earliest = first.copy()  # per group: its earliest member or neighbour
        if len(first) > 1:
            pairs = near(members[first])
            np.minimum.at(earliest, pairs[0], first[pairs[1]])
            np.minimum.at(earliest, pairs[1], first[pairs[0]])
        mine = earliest[groups]
        later = np.flatnonzero(mine < np.arange(len(members)))
        found.append(np.stack([members[mine[later]], members[later]]))
    return np.concatenate(found, axis=1)
