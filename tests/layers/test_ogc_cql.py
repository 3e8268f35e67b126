"""CQL2 → SQL: values are bound, never formatted into SQL; properties and types are checked."""

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from gis.crs import CRS84, crs_from_uri
from gis.errors import InvalidParameter
from layers.ogc_cql import compile_filter, parse_filter

FIELDS = {"name": "string", "area_m2": "number", "code": "string", "valid_from": "date-time",
          "initial_date": "date", "attributes": "object"}
CITY = ZoneInfo("Asia/Shanghai")


def _compile(text: str, lang: str | None = None, crs=CRS84):
    condition, params = compile_filter(parse_filter(text, lang), FIELDS, crs=crs, zone=CITY)
    return condition.as_string(None), params


@given(st.text(max_size=60))
def test_string_values_are_bound_not_formatted(value):
    document = json.dumps({"op": "and", "args": [
        {"op": "=", "args": [{"property": "name"}, value]},
        {"op": "like", "args": [{"property": "code"}, value + "%"]}]})
    sql_text, params = _compile(document, "cql2-json")
    assert sql_text == '((t."name" = %(cql0)s) AND (t."code" LIKE %(cql1)s ESCAPE \'\\\'))'
    assert params == {"cql0": value, "cql1": value + "%"}


@given(st.floats(allow_nan=False, allow_infinity=False), st.floats(allow_nan=False, allow_infinity=False))
def test_numbers_are_bound(low, high):
    sql_text, params = _compile(json.dumps({"op": "between", "args": [{"property": "area_m2"}, [low, high]]}),
                                "cql2-json")
    assert sql_text == '(t."area_m2" BETWEEN %(cql0)s AND %(cql1)s)'
    assert list(params.values()) == [low, high]


def test_s_dwithin_binds_metres_and_a_degree_prefilter():
    sql_text, params = _compile("S_DWITHIN(geometry, POINT(114.03 22.53), 1.5, km)")
    assert "ST_DWithin(t.geom::geography" in sql_text
    assert params["cql2"] == 1500.0 and params["cql1"] == pytest.approx(1500 / 60_000)
    assert shapely.from_wkb(params["cql0"]).coords[0] == (114.03, 22.53)


def test_literals_in_a_lat_lon_filter_crs_are_swapped_to_lon_lat():
    _, params = _compile("S_INTERSECTS(geometry, POINT(22.53 114.03))",
                         crs=crs_from_uri("http://www.opengis.net/def/crs/EPSG/0/4490"))
    assert shapely.from_wkb(params["cql0"]).coords[0] == (114.03, 22.53)


def test_projected_literals_are_transformed_to_cgcs2000():
    _, params = _compile("S_INTERSECTS(geometry, SRID=3857;POINT(12693000 2575000))")
    x, y = shapely.from_wkb(params["cql0"]).coords[0]
    assert 114.0 < x < 114.1 and 22.5 < y < 22.6


def test_casei_and_dates():
    sql_text, params = _compile("CASEI(name) = casei('AbC') AND initial_date < DATE('2024-01-01')")
    assert sql_text == '((lower(t."name") = lower(%(cql0)s)) AND (t."initial_date" < %(cql1)s))'
    assert str(params["cql1"]) == "2024-01-01"


def test_a_date_or_a_time_without_an_offset_met_by_a_date_time_is_the_city_local_time():
    """As the `datetime` and `as_of` parameters read them: DATE('2026-03-02') against a timestamp is the
    city's midnight, 16:00 UTC the day before; a TIMESTAMP with Z stays UTC."""
    _, params = _compile("valid_from >= DATE('2026-03-02') AND valid_from < '2026-03-02T04:00:00' "
                         "AND valid_from T_AFTER TIMESTAMP('2026-03-01T15:00:00Z')")
    assert [params[f"cql{i}"].astimezone(UTC) for i in range(3)] == [
        datetime(2026, 3, 1, 16, tzinfo=UTC), datetime(2026, 3, 1, 20, tzinfo=UTC),
        datetime(2026, 3, 1, 15, tzinfo=UTC)]
    assert params["cql0"].utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize("text, message", [
    ("nosuch = 'x'", "unknown property 'nosuch'"),
    ("name = 3", "does not fit property 'name' (string)"),
    ("area_m2 = 'big'", "does not fit property 'area_m2' (number)"),
    ("attributes = 'x'", "is not comparable"),
    ("area_m2 LIKE '1%'", "LIKE needs a string property"),
    ("geometry = 'x'", "spatial functions"),
    ("S_INTERSECTS(name, POINT(1 2))", "is not a geometry"),
    ("S_DWITHIN(geometry, POINT(114 22), 5, furlongs)", "filter is not valid CQL2 text"),
    ("S_DWITHIN(geometry, POINT(114 22), 200000)", "distance must be between"),
    ("name T_AFTER TIMESTAMP('2020-01-01T00:00:00Z')", "is not a date or timestamp"),
    ("'a' = 'b'", "is not a property"),
    ("S_INTERSECTS(geometry, SRID=3857;POINT(1e300 1e300))", "outside the area"),
    ("name = 'x' AND", "filter is not valid CQL2 text"),
    ("name = 'x' OR " * 250 + "name = 'y'", "more than 200 terms"),
], ids=["unknown-property", "string-vs-number", "number-vs-string", "object", "like-number", "geometry-eq",
        "spatial-on-string", "bad-unit", "too-far", "temporal-on-string", "no-property", "crazy-mercator",
        "dangling-and", "too-many-terms"])
def test_bad_filters_are_invalid_parameters(text, message):
    with pytest.raises(InvalidParameter, match=message.replace("(", r"\(").replace(")", r"\)")):
        _compile(text)


@pytest.mark.parametrize("document", [
    "{", "[]", '{"op": "=", "args": [{"property": "name"}]}', '{"op": "teleport", "args": []}',
    '{"op": "s_intersects", "args": [{"property": "geometry"}, {"type": "Point", "coordinates": ["x", 1]}]}',
    "[" * 5000 + "]" * 5000,
], ids=["truncated", "array", "missing-arg", "unknown-op", "bad-coordinates", "deep-nesting"])
def test_bad_cql2_json_is_an_invalid_parameter(document):
    with pytest.raises(InvalidParameter):
        _compile(document, "cql2-json")


def test_unknown_filter_lang_and_oversized_filters_are_refused():
    with pytest.raises(InvalidParameter, match="filter-lang"):
        parse_filter("name = 'x'", "sql")
    with pytest.raises(InvalidParameter, match="longer than"):
        parse_filter("name = '" + "x" * 9000 + "'")
