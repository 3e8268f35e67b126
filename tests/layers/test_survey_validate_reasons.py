"""What the validation tells staff beyond "refused" (layers.survey_validate, no database needed): how far
outside the city a row lies, which tells a typo in a digit from a file in the wrong coordinate system, and
how to read a contractor's own states."""

import re

import shapely

from grid_codes.classes import default_table
from layers.survey_validate import ValidationContext, validate
from tests.layers.test_survey_validate_duplicates import CITY, LAT, LON, _rows

EAST_EDGE = LON + 0.01
CONTEXT = ValidationContext(scheme="gb47678", table=default_table(), city=CITY,
                            county_codes=frozenset({"440304"}), zone_epsg=4547)


def _outside_reasons(points: list[shapely.Geometry]) -> dict[int, str]:
    checked = validate(_rows([("01001", p) for p in points]), CONTEXT)
    return {r.row: r.reason for r in checked.rejections if r.reason.startswith("outside the city")}


def test_the_distance_from_the_city_is_in_metres_near_it_and_in_kilometres_farther():
    # 0.003° and 0.01° of longitude at 22.54° N on the CGCS2000 ellipsoid: 308.6 m and 1,028.7 m
    reasons = _outside_reasons([shapely.Point(LON, LAT), shapely.Point(EAST_EDGE + 0.003, LAT),
                                shapely.Point(EAST_EDGE + 0.01, LAT)])
    assert reasons == {
        2: f"outside the city (at {EAST_EDGE + 0.003:.6f}, {LAT:.6f}), 309 m from its boundary",
        3: f"outside the city (at {EAST_EDGE + 0.01:.6f}, {LAT:.6f}), 1.0 km from its boundary",
    }


def test_a_line_is_named_and_measured_by_the_point_it_is_located_by():
    # an L of 0.01° east then 0.03° north, located by its midpoint along its length, 0.01° up its long leg
    # 0.03° east of the city: not by an end (0.02°), nor by its centroid, which lies off the line
    corner = (EAST_EDGE + 0.03, LAT)
    line = shapely.LineString([(EAST_EDGE + 0.02, LAT), corner, (EAST_EDGE + 0.03, LAT + 0.03)])
    midpoint = (corner[0], LAT + 0.01)
    assert _outside_reasons([line])[1] == (f"outside the city (at {midpoint[0]:.6f}, {midpoint[1]:.6f}), 3.1 "
                                           "km from its boundary")


def test_a_survey_in_another_province_reads_hundreds_of_kilometres_away():
    reason = _outside_reasons([shapely.Point(116.39, 39.91)])[1]  # Beijing, surveyed as the city
    kilometres = float(re.fullmatch(r".*, ([0-9.]+) km from its boundary", reason).group(1))
    assert 1_900 < kilometres < 2_000


def test_coordinates_that_are_no_place_on_earth_get_no_distance():
    reason = _outside_reasons([shapely.Point(380_000.0, 2_500_000.0)])[1]  # metres read as degrees
    assert reason == "outside the city (at 380000.000000, 2500000.000000)"


def test_a_file_whose_every_row_lies_outside_gets_one_note_saying_how_far():
    east = EAST_EDGE + 0.01
    points = [(east, LAT), (east + 0.01, LAT), (LON, LAT), (east, LAT + 0.001), (east, LAT + 0.002)]
    rows = _rows([("01001", shapely.Point(x, y)) for x, y in points])
    rows.files[:] = ["福田/路灯.csv", "福田/路灯.csv", "罗湖/路灯.csv", "罗湖/路灯.csv", "南山/路灯.csv"]
    notes = [n for n in validate(rows, CONTEXT).notes if "every one of its" in n]
    # 罗湖 has a row inside the city, 南山 a single row: their reasons say enough
    assert notes == ["福田/路灯.csv: every one of its 2 rows lies outside the city, 1.0 km to 2.1 km from "
                     "its boundary: a survey of another place, or coordinates in another CRS than the one "
                     "they were read in (--crs)"]


def test_states_outside_the_standard_are_refused_with_a_note_on_the_mapping_that_reads_them():
    rows = _rows([("01001", shapely.Point(LON + i * 1e-4, LAT)) for i in range(5)])
    rows.fields["state"] = ["待修", "完好", "待修", "坏", None]
    checked = validate(rows, CONTEXT)
    assert [(r.row, r.field) for r in checked.rejections] == [(1, "state"), (3, "state"), (4, "state")]
    assert ("3 row(s) refused for a state that is none of 完好/破损/丢失/废弃/移除/占用/其他 "
            "(待修 ×2, 坏 ×1): a states: section in the mapping (--mapping) reads such a value as a standard "
            "state, a line each (待修: 破损)") in checked.notes


def test_the_note_on_states_lists_the_five_most_frequent():
    rows = _rows([("01001", shapely.Point(LON + i * 1e-4, LAT)) for i in range(8)])
    rows.fields["state"] = ["a", "a", "b", "c", "d", "e", "f", "g"]
    note = next(n for n in validate(rows, CONTEXT).notes if "refused for a state" in n)
    assert "(a ×2, b ×1, c ×1, d ×1, e ×1 and 2 other(s))" in note
