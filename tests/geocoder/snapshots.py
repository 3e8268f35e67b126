"""Small in-memory gazetteers for geocoder tests: admin squares, road lines, door plates and POIs."""

from collections.abc import Iterable

import shapely

from geocoder import gazetteer
from geocoder.gazetteer import Gazetteer


def area(code: str, level: str, name: str, bounds: tuple[float, float, float, float]) -> tuple:
    """An area row of an admin unit (level county, street or community): a rectangle, its point in the
    middle."""
    box = shapely.box(*bounds)
    return (code, level, name, shapely.to_wkb(box), box.centroid.x, box.centroid.y)


def county(code: str, name: str, bounds: tuple[float, float, float, float]) -> tuple:
    return area(code, "county", name, bounds)


def road(name: str, *points: tuple[float, float]) -> tuple:
    """A road row: its name and centre line."""
    return (name, shapely.to_wkb(shapely.LineString(points)))


def snapshot(
    areas: Iterable[tuple],
    *,
    roads: Iterable[tuple] = (),
    plates: Iterable[tuple] = (),
    pois: Iterable[tuple] = (),
) -> Gazetteer:
    """A gazetteer of these area, road, plate and POI rows (the row shapes of gazetteer.fetch_rows)."""
    return gazetteer.build(
        {
            "version": [],
            "cells": [],
            "roads": list(roads),
            "ranges": [],
            "areas": list(areas),
            "plates": list(plates),
            "pois": list(pois),
        }
    )
