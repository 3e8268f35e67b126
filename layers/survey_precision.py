"""Coordinates a spreadsheet rounded: a column formatted to 2, 3 or 4 decimals saves its degrees as shown.

A receiver or field app writes lon/lat with six decimals or more (0.000001° is about 0.1 m). When a
sheet's coordinate column is formatted as 0.00 or 0.000 and saved as CSV, or its cells were typed from
a printed table, every point moves to a 1 km, 100 m or 10 m lattice. Such points load without error
and then stand in the wrong street, so the reader says so.
"""

import numpy as np
import shapely

ROUNDED_DECIMALS = 4  # at most this many decimals on both axes: rounded (0.0001° is about 11 m)
# the share of a table's points that must be rounded before the note: a survey's own six-decimal
# points end in zeros by chance (both axes at four decimals: 1 in 10,000)
_ROUNDED_SHARE = 0.1
_METRES_PER_DEGREE = 111_000  # of latitude, and of longitude at the equator: the order shown in the note


def rounded_degrees_note(geometries: np.ndarray, columns: tuple[str, ...], row_numbers: np.ndarray,
                         unit: str) -> str | None:
    """A note when many of a table's points in degrees have at most ROUNDED_DECIMALS decimals, else None.

    Only points in degrees are looked at: projected coordinates in whole metres are a survey's norm.
    """
    present = ~shapely.is_missing(geometries)
    if not present.any():
        return None
    xy = shapely.get_coordinates(geometries[present])
    if len(xy) != int(present.sum()) or not (np.abs(xy) <= [180, 90]).all():  # not all points, or not degrees
        return None
    decimals = np.full(len(xy), ROUNDED_DECIMALS + 1)
    for places in range(ROUNDED_DECIMALS, -1, -1):
        scaled = xy * 10**places
        whole = (np.abs(scaled - np.round(scaled)) < 1e-6).all(axis=1)
        decimals[whole] = places
    rounded = decimals <= ROUNDED_DECIMALS
    if rounded.sum() < max(1, _ROUNDED_SHARE * len(xy)):
        return None
    most = int(np.bincount(decimals[rounded]).argmax())
    first = int(row_numbers[np.flatnonzero(present)[np.argmax(rounded)]])
    lattice = _METRES_PER_DEGREE // 10**most
    return (f"{int(rounded.sum())} of {len(xy)} points have coordinates in {list(columns)} rounded to "
            f"{most} decimals, a lattice of about {lattice} m (first: {unit} {first}): a sheet whose "
            "coordinate cells were formatted to fewer decimals saves them so; take them from the survey's "
            "own records if they are")
