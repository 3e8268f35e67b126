"""Geometries as survey tools write them, made what the inventory stores.

RTK receivers and total stations record an elevation (Z) and some tools a measure (M); GIS exports
often write a single point as a one-part MultiPoint. The inventory holds 2D geometries and point
components as points, so both are turned into that here, once, with a note saying how many.
"""

import numpy as np
import shapely

_MULTIPOINT = 4  # shapely.get_type_id


def plain_shapes(geometries: np.ndarray, notes: list[str]) -> np.ndarray:
    """2D geometries, one-part MultiPoints as Points; other geometries (and None) unchanged."""
    geometries = np.asarray(geometries, dtype=object)
    measured = shapely.has_z(geometries) | shapely.has_m(geometries)
    if measured.any():
        geometries = geometries.copy()
        geometries[measured] = shapely.force_2d(geometries[measured])
        notes.append(f"{int(measured.sum())} geometries have Z (elevation) or M values: stored in 2D; "
                     "keep elevations in an attribute column if they are needed")
    single = (shapely.get_type_id(geometries) == _MULTIPOINT) & (shapely.get_num_geometries(geometries) == 1)
    if single.any():
        geometries = geometries.copy()
        geometries[single] = shapely.get_geometry(geometries[single], 0)
        notes.append(f"{int(single.sum())} one-point MultiPoints read as Points")
    return geometries
