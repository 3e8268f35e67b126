"""Survey geometries made what the inventory stores: 2D, one-point MultiPoints as Points, one-geometry
collections as that geometry."""

import numpy as np
import shapely

from layers.survey_shapes import plain_shapes


def test_z_and_m_are_dropped_and_counted() -> None:
    notes: list[str] = []
    given = [shapely.Point(114.05, 22.54, 12.5), shapely.from_wkt("POINT M (1 2 3)"),
             shapely.from_wkt("LINESTRING Z (0 0 1, 1 1 2)"), shapely.Point(3, 4), None]
    shapes = plain_shapes(np.array(given, dtype=object), notes)
    assert [None if s is None else s.wkt for s in shapes] == [
        "POINT (114.05 22.54)", "POINT (1 2)", "LINESTRING (0 0, 1 1)", "POINT (3 4)", None]
    assert not shapely.has_z(shapes).any() and not shapely.has_m(shapes).any()
    assert notes == ["3 geometries have Z (elevation) or M values: stored in 2D; keep elevations in an "
                     "attribute column if they are needed"]


def test_only_one_point_multipoints_become_points() -> None:
    notes: list[str] = []
    shapes = plain_shapes(np.array([shapely.from_wkt("MULTIPOINT ((1 2))"),
                                    shapely.from_wkt("MULTIPOINT ((1 2), (3 4))"),
                                    shapely.from_wkt("MULTIPOINT EMPTY"),
                                    shapely.from_wkt("MULTILINESTRING ((0 0, 1 1))")], dtype=object), notes)
    assert [s.wkt for s in shapes] == ["POINT (1 2)", "MULTIPOINT ((1 2), (3 4))", "MULTIPOINT EMPTY",
                                       "MULTILINESTRING ((0 0, 1 1))"]
    assert notes == ["1 one-point MultiPoints read as Points"]


def test_plain_geometries_are_passed_through_without_a_note() -> None:
    notes: list[str] = []
    given = np.array([shapely.Point(1, 2), None], dtype=object)
    assert plain_shapes(given, notes).tolist() == given.tolist() and notes == []


def test_a_z_of_0_is_no_elevation_and_is_dropped_without_a_note() -> None:
    """A KML placemark's altitude of 0 and a flat CAD drawing's z."""
    notes: list[str] = []
    given = [shapely.Point(114.05, 22.54, 0), shapely.from_wkt("LINESTRING Z (0 0 0, 1 1 0)"),
             shapely.from_wkt("POINT Z (1 2 NaN)")]
    shapes = plain_shapes(np.array(given, dtype=object), notes)
    assert [s.wkt for s in shapes] == ["POINT (114.05 22.54)", "LINESTRING (0 0, 1 1)", "POINT (1 2)"]
    assert notes == []
    plain_shapes(np.array([shapely.Point(1, 2, 0), shapely.Point(1, 2, 0.5)], dtype=object), notes)
    assert notes == ["1 geometries have Z (elevation) or M values: stored in 2D; keep elevations in an "
                     "attribute column if they are needed"]


def test_a_point_recorded_twice_and_a_collection_of_one_geometry_are_read_as_that_geometry() -> None:
    notes: list[str] = []
    written = ["MULTIPOINT ((1 2), (1 2))", "GEOMETRYCOLLECTION (POINT (1 2))",
               "GEOMETRYCOLLECTION (MULTIPOINT ((5 6)))", "GEOMETRYCOLLECTION (LINESTRING (0 0, 1 1))",
               "GEOMETRYCOLLECTION (POINT (1 2), POINT (3 4))", "MULTIPOINT ((1 2), (1 2.000001))"]
    shapes = plain_shapes(np.array(shapely.from_wkt(written), dtype=object), notes)
    assert [s.wkt for s in shapes] == ["POINT (1 2)", "POINT (1 2)", "POINT (5 6)", "LINESTRING (0 0, 1 1)",
                                       "GEOMETRYCOLLECTION (POINT (1 2), POINT (3 4))",
                                       "MULTIPOINT ((1 2), (1 2.000001))"]
    assert notes == ["3 GeometryCollections of one geometry read as that geometry",
                     "2 one-point MultiPoints read as Points"]
