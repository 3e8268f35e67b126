"""Serial numbers of unit-grid cells: the west→east, north→south order and stability.

Order (从西向东、由北至南, DB11; CJ/T 349-2010 从左到右、从上到下): a community is cut into
row bands of `row_height` metres counted southwards from its northernmost point; a cell
belongs to the band that holds its centroid. Bands are numbered north to south; inside a
band cells run west to east by centroid x (ties: the more northerly centroid first).

Stability (相对稳定): a new cell whose geometry equals a previous cell of the same community
(symmetric difference at most `tolerance` of the larger area) keeps that cell's serial;
every other cell gets a fresh serial after the highest ever issued, in the order above.
"""

import numpy as np
import shapely

MAX_SERIAL = 999


def serial_order(centroids: np.ndarray, north: float, row_height: float) -> np.ndarray:
    """Indexes of cells (centroids as an (n, 2) array) in the west→east, north→south order."""
    x, y = centroids[:, 0], centroids[:, 1]
    row = np.floor((north - y) / row_height)
    return np.lexsort((-y, x, row))


def match_previous(new: np.ndarray, old: np.ndarray, tolerance: float) -> np.ndarray:
    """For each new geometry, the index of the equal old geometry, or -1.

    Candidates are pairs with close bounds and areas; identical coordinates (the usual case,
    cells are normalised) match at once, the rest by symmetric difference area.
    """
    matched = np.full(len(new), -1, dtype=np.int64)
    if not len(new) or not len(old):
        return matched
    ni, oi = shapely.STRtree(old).query(new)
    new_area, old_area = shapely.area(new[ni]), shapely.area(old[oi])
    larger = np.maximum(new_area, old_area)
    slack = 0.1 * np.sqrt(larger)
    near = np.abs(shapely.bounds(new[ni]) - shapely.bounds(old[oi])).max(axis=1) <= slack
    close = near & (np.abs(new_area - old_area) <= tolerance * larger)
    ni, oi, larger = ni[close], oi[close], larger[close]
    diff = np.zeros(len(ni))
    exact = shapely.equals_exact(new[ni], old[oi])
    rest = ~exact
    diff[rest] = shapely.area(shapely.symmetric_difference(new[ni[rest]], old[oi[rest]]))
    equal = diff <= tolerance * larger
    ni, oi, diff = ni[equal], oi[equal], diff[equal]
    taken: set[int] = set()
    for k in np.argsort(diff, kind="stable").tolist():
        n, o = int(ni[k]), int(oi[k])
        if matched[n] < 0 and o not in taken:
            matched[n] = o
            taken.add(o)
    return matched


def assign_serials(order: np.ndarray, kept: np.ndarray, highest: int) -> np.ndarray:
    """Serials per cell: `kept` (0 where none) stays, the rest count up from `highest` in order."""
    serials = kept.astype(np.int64).copy()
    fresh = order[serials[order] == 0]
    serials[fresh] = highest + 1 + np.arange(len(fresh))
    return serials
