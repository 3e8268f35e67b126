"""Geometries as survey tools write them, made what the inventory stores.

RTK receivers and total stations record an elevation (Z) and some tools a measure (M); GIS exports
often write a single point as a one-part MultiPoint (or one point twice), or wrap one geometry in a
GeometryCollection. The inventory holds 2D geometries and point
components as points, so both are turned into that here, once, with a note saying how many.
"""

import numpy as np
import shapely

_MULTIPOINT, _COLLECTION = 4, 7  # shapely.get_type_id


def plain_shapes(geometries: np.ndarray, notes: list[str]) -> np.ndarray:
    """2D geometries, GeometryCollections of one geometry as it, MultiPoints of one position as Points;
    other geometries (and None) unchanged."""
    geometries = np.asarray(geometries, dtype=object)
    measured = shapely.has_z(geometries) | shapely.has_m(geometries)
    if measured.any():
        counted = _elevated_or_measured(geometries[measured])
        geometries = geometries.copy()
        geometries[measured] = shapely.force_2d(geometries[measured])
        if counted:
            notes.append(f"{counted} geometries have Z (elevation) or M values: stored in 2D; "
                         "keep elevations in an attribute column if they are needed")
    wrapped = (shapely.get_type_id(geometries) == _COLLECTION) & (shapely.get_num_geometries(geometries) == 1)
    if wrapped.any():
        geometries = geometries.copy()
        geometries[wrapped] = shapely.get_geometry(geometries[wrapped], 0)
        notes.append(f"{int(wrapped.sum())} GeometryCollections of one geometry read as that geometry")
    single = _at_one_position(geometries)
    if single.any():
        geometries = geometries.copy()
        geometries[single] = shapely.get_geometry(geometries[single], 0)
        notes.append(f"{int(single.sum())} one-point MultiPoints read as Points")
    return geometries


def _at_one_position(geometries: np.ndarray) -> np.ndarray:
    """Per geometry, whether it is a MultiPoint of one point, or of several at the same position (a
    point recorded twice by a field app)."""
    multi = shapely.get_type_id(geometries) == _MULTIPOINT
    parts = shapely.get_num_geometries(geometries)
    single = multi & (parts == 1)
    for i in np.flatnonzero(multi & (parts > 1)):  # rare: each looked at alone
        single[i] = len(np.unique(shapely.get_coordinates(geometries[i]), axis=0)) == 1
    return single


def _elevated_or_measured(geometries: np.ndarray) -> int:
    """How many of the geometries carry a measure or an elevation other than 0: a KML placemark's altitude
    of 0 and a flat CAD drawing's z are no elevation, and dropping them needs no note."""
    coordinates, index = shapely.get_coordinates(geometries, include_z=True, return_index=True)
    elevated = np.zeros(len(geometries), dtype=bool)
    np.logical_or.at(elevated, index, np.nan_to_num(coordinates[:, 2]) != 0)
    return int((elevated | shapely.has_m(geometries)).sum())
