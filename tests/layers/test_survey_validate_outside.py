"""Rows outside the city: the reason says how far from its boundary they lie (layers.survey_validate, no
database needed), which tells a typo in a digit from a file in the wrong coordinate system."""

import re

import shapely

from grid_codes.classes import default_table
from layers.survey_validate import ValidationContext, validate
from tests.layers.test_survey_validate_duplicates import CITY, LAT, LON, _rows

EAST_EDGE = LON + 0.01


def _outside_reasons(points: list[shapely.Geometry]) -> dict[int, str]:
    ctx = ValidationContext(scheme="gb47678", table=default_table(), city=CITY,
                            county_codes=frozenset({"440304"}), zone_epsg=4547)
    checked = validate(_rows([("01001", p) for p in points]), ctx)
    return {r.row: r.reason for r in checked.rejections if r.reason.startswith("outside the city")}


def test_the_distance_from_the_city_is_in_metres_near_it_and_in_kilometres_farther():
    # 0.003° and 0.01° of longitude at 22.54° N on the CGCS2000 ellipsoid: 308.6 m and 1,028.7 m
    reasons = _outside_reasons([shapely.Point(LON, LAT), shapely.Point(EAST_EDGE + 0.003, LAT),
                                shapely.Point(EAST_EDGE + 0.01, LAT)])
    assert reasons == {
        2: f"outside the city (at {EAST_EDGE + 0.003:.6f}, {LAT:.6f}), 309 m from its boundary",
        3: f"outside the city (at {EAST_EDGE + 0.01:.6f}, {LAT:.6f}), 1.0 km from its boundary",
    }


def test_a_line_is_measured_from_the_point_it_is_located_by():
    # located by its vertex nearest its middle, 0.03° east of the city (not by an end, 0.02° or 0.04°)
    line = shapely.LineString([(EAST_EDGE + 0.02, LAT), (EAST_EDGE + 0.03, LAT), (EAST_EDGE + 0.04, LAT)])
    assert _outside_reasons([line])[1].endswith(", 3.1 km from its boundary")


def test_a_survey_in_another_province_reads_hundreds_of_kilometres_away():
    reason = _outside_reasons([shapely.Point(116.39, 39.91)])[1]  # Beijing, surveyed as the city
    kilometres = float(re.fullmatch(r".*, ([0-9.]+) km from its boundary", reason).group(1))
    assert 1_900 < kilometres < 2_000


def test_coordinates_that_are_no_place_on_earth_get_no_distance():
    reason = _outside_reasons([shapely.Point(380_000.0, 2_500_000.0)])[1]  # metres read as degrees
    assert reason == "outside the city (at 380000.000000, 2500000.000000)"
