"""Small in-memory gazetteers for geocoder tests: county squares, door plates and POIs, nothing else."""

from collections.abc import Iterable

import shapely

from geocoder import gazetteer
from geocoder.gazetteer import Gazetteer


def county(code: str, name: str, bounds: tuple[float, float, float, float]) -> tuple:
    """An area row of a county drawn as a square, its point in the middle."""
    box = shapely.box(*bounds)
    return (code, "county", name, shapely.to_wkb(box), box.centroid.x, box.centroid.y)


def snapshot(
    areas: Iterable[tuple], *, plates: Iterable[tuple] = (), pois: Iterable[tuple] = ()
) -> Gazetteer:
    """A gazetteer of these area, plate and POI rows (the row shapes of gazetteer.fetch_rows)."""
    return gazetteer.build(
        {
            "version": [],
            "cells": [],
            "roads": [],
            "ranges": [],
            "areas": list(areas),
            "plates": list(plates),
            "pois": list(pois),
        }
    )
