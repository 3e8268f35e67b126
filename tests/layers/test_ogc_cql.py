"""CQL2 → SQL: values are bound, never formatted into SQL; properties and types are checked."""

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from psycopg import sql

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


@pytest.mark.parametrize("text, lang, expected", [
    ("NOT ((note IS NULL))", None, '(NOT (t."note" IS NULL))'),
    ("NOT ((code = 'a') OR (code = 'b'))", None, '(NOT ((t."code" = %(cql0)s) OR (t."code" = %(cql1)s)))'),
    ("p < 0.05 AND z > 0", None, '((t."p" < %(cql0)s) AND (t."z" > %(cql1)s))'),
    ("name = 'O''Brien'", None, '(t."name" = %(cql0)s)'),
    ('{"op": "between", "args": [{"property": "area_m2"}, 5000, 10000]}', "cql2-json",
     '(t."area_m2" BETWEEN %(cql0)s AND %(cql1)s)'),
    ('{"op": "and", "args": [true, {"op": "=", "args": [{"property": "code"}, "a"]}]}', "cql2-json",
     '(TRUE AND (t."code" = %(cql0)s))'),
    ("initial_date = '2023-06-01T' AND valid_from >= '2026-03-02T'", None,
     '((t."initial_date" = %(cql0)s) AND (t."valid_from" >= %(cql1)s))'),
], ids=["not-of-parentheses", "not-of-or", "one-letter-properties", "doubled-quote", "json-between",
        "json-true", "gdal-dates"])
def test_what_clients_send_is_read(text, lang, expected):
    """GDAL's OAPIF driver writes IS NOT NULL and every negation as NOT ((…)), a date as '2023-06-01T', a
    quote inside a string doubled; hotspots have properties p and z; CQL2 JSON's between has three args."""
    fields = {**FIELDS, "note": "string", "p": "number", "z": "number"}
    condition, params = compile_filter(parse_filter(text, lang), fields, crs=CRS84, zone=CITY)
    assert condition.as_string(None) == expected
    if "Brien" in text:
        assert params == {"cql0": "O'Brien"}
    if "2023-06-01T" in text:
        assert params["cql0"] == date(2023, 6, 1)
        assert params["cql1"] == datetime(2026, 3, 2, tzinfo=CITY)


TEMPORAL_FIELDS = {"da": "date", "db": "date", "ts": "date-time"}
# One row: da = 5 January, db = 9 January 2020, ts = 5 January 23:30 in the city (15:30 UTC).
TEMPORAL_ROW = ("(VALUES (DATE '2020-01-05', DATE '2020-01-09', TIMESTAMPTZ '2020-01-05T15:30:00Z')) "
                "t(da, db, ts)")
TEMPORAL_FACTS = [
    ("T_AFTER(da, INTERVAL('2020-01-01', '2020-01-04'))", True),
    ("T_AFTER(da, INTERVAL('2020-01-01', '2020-01-05'))", False),
    ("T_BEFORE(da, INTERVAL('2020-01-06', '..'))", True),
    ("T_BEFORE(da, DATE('2020-01-05'))", False),
    ("T_DURING(da, INTERVAL('2020-01-01', '2020-01-09'))", True),
    ("T_DURING(da, INTERVAL('2020-01-05', '2020-01-09'))", False),
    ("T_STARTS(da, INTERVAL('2020-01-05', '2020-01-09'))", True),
    ("T_FINISHES(da, INTERVAL('2020-01-01', '2020-01-05'))", True),
    ("T_FINISHES(da, INTERVAL('2020-01-01', '2020-01-06'))", False),
    ("T_INTERSECTS(da, INTERVAL('2020-01-05', '..'))", True),
    ("T_DISJOINT(da, INTERVAL('2020-01-05', '..'))", False),
    ("T_DISJOINT(da, INTERVAL('..', '2020-01-04'))", True),
    ("T_EQUALS(da, DATE('2020-01-05'))", True),
    ("T_CONTAINS(INTERVAL('2020-01-01', '2020-01-09'), da)", True),
    ("T_OVERLAPS(INTERVAL(da, db), INTERVAL('2020-01-07', '2020-01-12'))", True),
    ("T_OVERLAPS(INTERVAL(da, db), INTERVAL('2020-01-05', '2020-01-12'))", False),
    ("T_OVERLAPPEDBY(INTERVAL(da, db), INTERVAL('2020-01-01', '2020-01-07'))", True),
    ("T_MEETS(INTERVAL(da, db), INTERVAL('2020-01-09', '2020-01-12'))", True),
    ("T_METBY(INTERVAL(da, db), INTERVAL('2020-01-01', '2020-01-05'))", True),
    ("T_METBY(INTERVAL(da, db), INTERVAL('2020-01-01', '2020-01-04'))", False),
    ("T_STARTEDBY(INTERVAL(da, db), INTERVAL('2020-01-05', '2020-01-07'))", True),
    ("T_FINISHEDBY(INTERVAL(da, db), INTERVAL('2020-01-07', '2020-01-09'))", True),
    ("T_EQUALS(INTERVAL(da, db), INTERVAL('2020-01-05', '2020-01-09'))", True),
    ("T_DURING(INTERVAL(da, db), INTERVAL('..', '..'))", True),
    ("T_DURING(ts, DATE('2020-01-05'))", True),
    ("T_AFTER(ts, DATE('2020-01-05'))", False),
    ("T_AFTER(ts, TIMESTAMP('2020-01-05T15:00:00Z'))", True),
    ("T_EQUALS(ts, TIMESTAMP('2020-01-05T15:30:00Z'))", True),
    ("t_intersects(ts, INTERVAL('2020-01-05T16:00:00Z', '..'))", False),
    ("da T_BEGINS INTERVAL('2020-01-05T00:00:00Z', '2020-01-09T00:00:00Z')", True),
    ('{"op": "t_during", "args": [{"property": "da"}, {"interval": ["2020-01-01", "2020-01-09"]}]}', True),
    ('{"op": "t_intersects", "args": [{"interval": [{"property": "da"}, {"property": "db"}]}, '
     '{"interval": ["..", "2020-01-05"]}]}', True),
    ('{"op": "t_disjoint", "args": [{"interval": [{"property": "da"}, {"property": "db"}]}, '
     '{"interval": ["..", "2020-01-05"]}]}', False),
    ('{"op": "t_after", "args": [{"property": "ts"}, {"timestamp": "2020-01-05T15:29:59Z"}]}', True),
]


@pytest.mark.parametrize("text, holds", TEMPORAL_FACTS)
def test_temporal_functions_hold_as_cql2_defines_them(conn, text, holds):
    """CQL2's function form (and the JSON and infix forms) evaluated by PostgreSQL on one row; each fact
    follows from the standard's begin/end definitions (an instant is an interval of one moment, '..' is
    open, a DATE met by a timestamp is its whole day in the city)."""
    condition, params = compile_filter(parse_filter(text), TEMPORAL_FIELDS, crs=CRS84, zone=CITY)
    query = sql.SQL("SELECT count(*) FROM " + TEMPORAL_ROW + " WHERE {}").format(condition)
    assert conn.execute(query, params).fetchone()[0] == int(holds)


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
    ("T_AFTER(name, TIMESTAMP('2020-01-01T00:00:00Z'))", "is not a date or timestamp"),
    ("T_DURING(initial_date, INTERVAL('2020-01-05', '2020-01-01'))", "ends before it begins"),
    ("T_EQUALS(valid_from, initial_date)", "compares property 'initial_date' (a date) with property"),
    ("T_AFTER(DATE('2020-01-02'), DATE('2020-01-01'))", "T_AFTER needs a date or timestamp property"),
    ("'a' = 'b'", "is not a property"),
    ("S_INTERSECTS(geometry, SRID=3857;POINT(1e300 1e300))", "outside the area"),
    ("name = 'x' AND", "filter is not valid CQL2 text"),
    ("name = 'x' OR " * 250 + "name = 'y'", "more than 200 terms"),
], ids=["unknown-property", "string-vs-number", "number-vs-string", "object", "like-number", "geometry-eq",
        "spatial-on-string", "bad-unit", "too-far", "temporal-on-string", "temporal-function-on-string",
        "interval-backwards", "date-with-timestamp", "temporal-literals-only", "no-property",
        "crazy-mercator", "dangling-and", "too-many-terms"])
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
