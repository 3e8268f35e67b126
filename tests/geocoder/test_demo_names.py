"""Names as callers write them, on the demo city: numerals in house numbers and road names, crossings of
every two demo roads that meet, and areas named alone."""

import psycopg
import pytest

from geocoder.forward import geocode, metres
from geocoder.gazetteer import Gazetteer
from geocoder.normalize import digits_spelling


def _crossing_roads(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """Every two demo roads whose centre lines meet (PostGIS, not the geocoder, says so)."""
    return conn.execute(
        "SELECT DISTINCT a.name, b.name FROM onemap.road a JOIN onemap.road b "
        "ON a.name < b.name AND ST_Intersects(a.geom, b.geom) ORDER BY 1, 2"
    ).fetchall()


def _distance_m(conn: psycopg.Connection, road: str, lon: float, lat: float) -> float:
    row = conn.execute(
        "SELECT min(ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4490)::geography)) "
        "FROM onemap.road WHERE name = %s",
        (lon, lat, road),
    ).fetchone()
    assert row is not None and row[0] is not None
    return float(row[0])


def test_every_crossing_of_demo_roads_is_found(demo_gazetteer: Gazetteer, conn: psycopg.Connection) -> None:
    """Whatever the roads' names end with or hold (福田立交, 东海坊, 上沙东村九巷, 四号路,
    深南广深立交三号通道), in either order and with their numerals written in digits: the crossing, on both
    roads."""
    pairs = _crossing_roads(conn)
    assert len(pairs) > 250
    for a, b in pairs:
        for query in (f"{a}与{b}交叉口", f"{b}和{a}路口", f"{digits_spelling(a)}与{digits_spelling(b)}"):
            first = geocode(demo_gazetteer, query).candidates[0]
            assert first.level == "intersection", (query, first)
            assert {first.elements["road"], first.elements["sub_road"]} == {a, b}, query
            assert max(_distance_m(conn, road, first.lon, first.lat) for road in (a, b)) < 31, query


def test_a_numbered_passage_of_a_crossing_is_no_door_plate(demo_gazetteer: Gazetteer) -> None:
    """深南广深立交三号通道 is a road: not door plate 3 of 深南大道辅路, 272 m away."""
    first = geocode(demo_gazetteer, "深南大道辅路与深南广深立交三号通道交叉口").candidates[0]
    assert first.level == "intersection"
    assert first.elements["sub_road"] == "深南广深立交三号通道"
    assert "深南广深立交三号通道" in first.label


def test_house_number_in_tens_written_with_nian(demo_gazetteer: Gazetteer, conn: psycopg.Connection) -> None:
    """廿一号 is 21号: the plate 泰然九路21号, not 泰然九路1号."""
    row = conn.execute(
        "SELECT ST_X(geom), ST_Y(geom) FROM onemap.door_plate WHERE road_name = '泰然九路' AND number = 21"
    ).fetchone()
    assert row is not None
    first = geocode(demo_gazetteer, "泰然九路廿一号").candidates[0]
    assert (first.level, first.elements["house_number"]) == ("door_plate", "21号")
    assert metres(first.lon, first.lat, row[0], row[1]) < 1


def test_road_names_with_numerals_answer_as_the_gazetteer_writes_them(
    demo_gazetteer: Gazetteer, conn: psycopg.Connection
) -> None:
    """四号路 is answered as 四号路 (not 4号路), written either way."""
    rows = conn.execute("SELECT DISTINCT name FROM onemap.road WHERE name IS NOT NULL ORDER BY 1").fetchall()
    names = [name for (name,) in rows if digits_spelling(name) != name]
    assert {"四号路", "十七号街", "上沙东村九巷", "深南广深立交三号通道"} <= set(names)
    for name in names:
        for query in (name, digits_spelling(name)):
            first = geocode(demo_gazetteer, query).candidates[0]
            assert (first.level, first.elements["road"]) == ("road", name), query
            assert first.label.endswith(name), query


@pytest.mark.parametrize(
    ("query", "level", "code"),
    [
        ("香蜜湖", "street", "440304006"),  # 香蜜湖街道
        ("下沙村", "community", "440304005036"),  # the urban village, now 下沙社区
        ("上沙村", "community", "440304005026"),  # 上沙社区
    ],
    ids=["street-short-name", "urban-village", "urban-village-of-two-cities"],
)
def test_an_area_named_alone_is_found(demo_gazetteer: Gazetteer, query: str, level: str, code: str) -> None:
    first = geocode(demo_gazetteer, query).candidates[0]
    assert first.level == level
    assert (first.community_code if level == "community" else first.street_code) == code
