"""Forward and reverse geocoding against the demo city (Futian roads, demo door plates and POIs)."""

import dataclasses
import functools
import gc

import numpy as np
import psycopg
import pytest

from geocoder import gazetteer, service
from geocoder.forward import geocode, metres
from geocoder.gazetteer import Gazetteer
from geocoder.reverse import reverse, reverse_many
from gis.crs import CrsSpec, wgs84_to_gcj02
from gis.errors import InvalidParameter
from tests.geocoder.conftest import plate_outside_the_grid
from tests.geocoder.snapshots import county, snapshot


def _plate(conn: psycopg.Connection, road: str, number: int) -> tuple[float, float]:
    row = conn.execute(
        "SELECT ST_X(geom), ST_Y(geom) FROM onemap.door_plate WHERE road_name = %s AND number = %s",
        (road, number),
    ).fetchone()
    assert row is not None
    return row[0], row[1]


def test_door_plate_is_found_exactly(demo_gazetteer: Gazetteer, conn: psycopg.Connection) -> None:
    result = geocode(demo_gazetteer, "福田区香蜜湖街道侨香路7号")
    best = result.candidates[0]
    assert (best.level, best.score) == ("door_plate", 1.0)
    assert (best.lon, best.lat) == pytest.approx(_plate(conn, "侨香路", 7), abs=1e-7)
    assert best.grid_code and best.grid_code.startswith(best.community_code or "x")
    assert best.county_code == "440304" and best.street_code == best.grid_code[:9]


@pytest.mark.parametrize(
    "query",
    ["侨香路7号院3号楼", "农园路与香轩路交叉口侨香路7号", "侨香路7-3号", "侨香路7号之3"],
    ids=["compound", "after-a-crossing", "sub-number", "sub-number-zhi"],
)
def test_door_plate_written_inside_more_is_the_place(
    demo_gazetteer: Gazetteer, conn: psycopg.Connection, query: str
) -> None:
    """A compound named by its door plate (7号院), a door plate written after a crossing, and one with a
    sub-number (附号) the gazetteer does not hold: plate 7, not 73."""
    best = geocode(demo_gazetteer, query).candidates[0]
    assert best.level == "door_plate"
    assert (best.lon, best.lat) == pytest.approx(_plate(conn, "侨香路", 7), abs=1e-7)


def test_missing_number_is_interpolated_on_its_side(
    demo_gazetteer: Gazetteer, conn: psycopg.Connection
) -> None:
    # the demo leaves out every third pair of plates: 5 and 6 are missing, 3/7 and 4/8 exist
    assert conn.execute(
        "SELECT count(*) FROM onemap.door_plate WHERE road_name = '侨香路' AND number IN (5, 6)"
    ).fetchone() == (0,)
    best = geocode(demo_gazetteer, "侨香路5号").candidates[0]
    assert best.level == "interpolated"
    (x3, y3), (x7, y7) = _plate(conn, "侨香路", 3), _plate(conn, "侨香路", 7)
    assert metres(best.lon, best.lat, (x3 + x7) / 2, (y3 + y7) / 2) < 1
    even = geocode(demo_gazetteer, "侨香路6号").candidates[0]
    assert metres(even.lon, even.lat, best.lon, best.lat) > 15  # the other side of the road


def test_intersection(demo_gazetteer: Gazetteer, conn: psycopg.Connection) -> None:
    best = geocode(demo_gazetteer, "农园路与香轩路交叉口").candidates[0]
    assert best.level == "intersection"
    rows = conn.execute(
        "SELECT name, min(ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4490)::geography)) "
        "FROM onemap.road WHERE name IN ('农园路', '香轩路') GROUP BY name",
        (best.lon, best.lat),
    ).fetchall()
    assert len(rows) == 2 and all(d < 30 for _, d in rows)


@pytest.mark.parametrize(
    "query",
    [
        "农园路/香轩路",
        "农园路香轩路口",
        "农园路、香轩路交叉路口",
        "农园路与香轩路交叉口东南侧",  # a side of the crossing
        "农园路与香轩路交叉口西南角加油站",  # a place at the crossing
    ],
)
def test_intersections_as_people_type_them(demo_gazetteer: Gazetteer, query: str) -> None:
    expected = geocode(demo_gazetteer, "农园路与香轩路交叉口").candidates[0]
    best = geocode(demo_gazetteer, query).candidates[0]
    assert (best.level, best.lon, best.lat) == ("intersection", expected.lon, expected.lat)


def test_crossing_with_an_unknown_road_is_the_known_road(demo_gazetteer: Gazetteer) -> None:
    road = geocode(demo_gazetteer, "农园路").candidates[0]
    best = geocode(demo_gazetteer, "农园路与鹭岛虚构路交叉口").candidates
    assert [(c.level, c.elements, c.lon, c.lat) for c in best] == [
        ("road", {"road": "农园路"}, road.lon, road.lat)
    ]
    assert best[0].score < road.score


def test_poi_and_admin_levels(demo_gazetteer: Gazetteer) -> None:
    poi = geocode(demo_gazetteer, "景田社区党群服务中心").candidates[0]
    assert poi.level == "poi" and poi.community_code == "440304008014"
    community = geocode(demo_gazetteer, "莲花街道景田社区").candidates
    assert "community" in [c.level for c in community]
    street = geocode(demo_gazetteer, "福田区香蜜湖街道").candidates[0]
    assert street.level == "street" and street.street_code == "440304006"


def _demo_without(db_url: str, levels: set[str], *, pois: bool = True) -> Gazetteer:
    """The demo city as a gazetteer without the areas of `levels` (boundaries not surveyed)."""
    with psycopg.connect(db_url) as conn:
        rows = gazetteer.fetch_rows(conn)
    rows["areas"] = [row for row in rows["areas"] if row[1] not in levels]
    if not pois:
        rows["pois"] = []
    return gazetteer.build(rows)


@pytest.fixture(scope="module")
def counties_only(db_url: str) -> Gazetteer:
    """The demo city as a gazetteer holding county areas only: no street or community boundaries."""
    return _demo_without(db_url, {"street", "community"})


@pytest.mark.parametrize("query", ["园岭街道", "莲花街道景田社区"])
def test_town_without_an_area_falls_back_to_its_district(counties_only: Gazetteer, query: str) -> None:
    county = geocode(counties_only, "福田区").candidates[0]
    best = geocode(counties_only, query).candidates
    assert [(c.level, c.county_code, c.lon, c.lat) for c in best] == [
        ("district", "440304", county.lon, county.lat)
    ]
    deepest = "community" if query.endswith("社区") else "town"
    assert best[0].elements == {deepest: query.removeprefix("莲花街道")}


def test_community_without_an_area_falls_back_to_its_street(db_url: str, demo_gazetteer: Gazetteer) -> None:
    # the demo has a service centre POI named after each community: left out, or it would answer
    best = geocode(_demo_without(db_url, {"community"}, pois=False), "景田社区").candidates
    street = geocode(demo_gazetteer, "莲花街道").candidates[0]
    assert [(c.level, c.street_code, c.lon, c.lat) for c in best] == [
        ("street", street.street_code, street.lon, street.lat)
    ]


def test_town_of_another_city_has_no_answer(counties_only: Gazetteer) -> None:
    result = geocode(counties_only, "东孚镇洪塘村")
    assert result.candidates == [] and result.reason


def _xiamen_estates(*names: str) -> Gazetteer:
    """A gazetteer of one Xiamen county (a square around 思明区) and a few estates in it."""
    return snapshot(
        [county("350203", "思明区", (118.0, 24.4, 118.2, 24.6))],
        pois=[(name, "住宅区", None, 118.12 + i / 1000, 24.49) for i, name in enumerate(names)],
    )


def test_short_county_name_of_elsewhere_is_part_of_a_name_at_home() -> None:
    """In Xiamen, 莲花香秀花园 is an estate, not 莲花县 in Jiangxi, whose county would veto every place
    found in Xiamen."""
    result = geocode(_xiamen_estates("香秀花园"), "莲花香秀花园5号")
    assert "district" not in result.parsed.elements
    assert [(c.level, c.elements, c.county_code) for c in result.candidates][:1] == [
        ("poi", {"estate": "香秀花园"}, "350203")
    ]


def test_estate_named_without_its_xiaoqu_is_the_estate() -> None:
    gaz = _xiamen_estates("香秀里小区", "湖滨一里住宅小区")
    for query, name in (("香秀里12号", "香秀里小区"), ("湖滨一里3号", "湖滨一里住宅小区")):
        best, by_full_name = geocode(gaz, query).candidates[0], geocode(gaz, name).candidates[0]
        assert (best.level, best.elements, best.score) == ("poi", {"poi": name}, by_full_name.score)
    # an estate named after its road leaves the road name to the road: 文屏路12号 is a door plate
    assert "文屏路" not in _xiamen_estates("文屏路小区").pois.names


def test_road_level_when_the_number_is_unknown(demo_gazetteer: Gazetteer, conn: psycopg.Connection) -> None:
    best = geocode(demo_gazetteer, "侨香路9999号").candidates[0]
    assert best.level == "road" and best.score < 0.7
    # numbers run along the road: a number beyond the known ones is placed at the nearest in number
    last = conn.execute("SELECT max(number) FROM onemap.door_plate WHERE road_name = '侨香路'").fetchone()
    assert last is not None and last[0] < 9999 - 20
    assert (best.lon, best.lat) == pytest.approx(_plate(conn, "侨香路", last[0]), abs=1e-7)


def test_misspelt_road_is_a_fuzzy_lower_score(demo_gazetteer: Gazetteer) -> None:
    best = geocode(demo_gazetteer, "侨香大路7号").candidates[0]
    assert best.elements["road"] == "侨香路" and best.score < 1.0


def test_other_county_named_in_the_text_is_not_answered_silently(demo_gazetteer: Gazetteer) -> None:
    result = geocode(demo_gazetteer, "杭州市西湖区侨香路7号")
    assert all(c.county_code != "440304" for c in result.candidates)


@pytest.mark.parametrize("query", ["", "   ", "深" * 10_000], ids=["empty", "whitespace", "10000-chars"])
def test_unusable_queries_raise_invalid_parameter(demo_gazetteer: Gazetteer, query: str) -> None:
    with pytest.raises(InvalidParameter):
        geocode(demo_gazetteer, query)


@pytest.mark.parametrize("query", ["#N/A", " #VALUE! "])
def test_a_spreadsheet_error_value_is_refused_not_looked_up(demo_gazetteer: Gazetteer, query: str) -> None:
    with pytest.raises(InvalidParameter, match=f"address holds {query.strip()}, Excel's mark of a formula"):
        geocode(demo_gazetteer, query)


@pytest.mark.parametrize(
    "query",
    ["hello world", "😀😀😀", "'; DROP TABLE onemap.road; --", "12345"],
    ids=["latin", "emoji", "sql", "digits"],
)
def test_non_addresses_are_empty_with_a_reason(demo_gazetteer: Gazetteer, query: str) -> None:
    result = geocode(demo_gazetteer, query)
    assert result.candidates == [] and result.reason


def test_reverse_point_in_cell_and_nearest_plate(demo_gazetteer: Gazetteer, conn: psycopg.Connection) -> None:
    x, y = _plate(conn, "侨香路", 7)
    place = reverse(demo_gazetteer, x, y)
    cell = conn.execute(
        "SELECT code FROM onemap.v_unit_grid WHERE ST_Intersects(geom, "
        "ST_SetSRID(ST_MakePoint(%s, %s), 4490)) ORDER BY code LIMIT 1",
        (x, y),
    ).fetchone()
    assert cell is not None and place.grid_code == cell[0]
    assert place.door_plate == "侨香路7号" and place.door_plate_distance_m == 0
    assert place.road == "侨香路" and place.road_distance_m is not None and place.road_distance_m < 15
    assert place.county == "福田区"


def test_reverse_from_gcj02_matches_cgcs2000(demo_gazetteer: Gazetteer, conn: psycopg.Connection) -> None:
    x, y = _plate(conn, "侨香路", 8)
    gx, gy = wgs84_to_gcj02(np.array([x]), np.array([y]))
    place = reverse(demo_gazetteer, float(gx[0]), float(gy[0]), crs=CrsSpec(offset="gcj02"))
    assert place.door_plate == "侨香路8号" and metres(place.lon, place.lat, x, y) < 0.5


def test_reverse_outside_the_city_has_no_codes(demo_gazetteer: Gazetteer) -> None:
    [place] = reverse_many(demo_gazetteer, np.array([116.4]), np.array([39.9]))
    assert place.grid_code is None and place.door_plate is None and place.road is None


def test_gazetteer_reloads_after_an_import(fresh_db_url: str) -> None:
    with psycopg.connect(fresh_db_url, autocommit=True) as conn:
        before = gazetteer.load(conn)
        assert not geocode(before, "测试大厦").candidates
        conn.execute(
            "INSERT INTO onemap.poi (source, source_id, name, geom) VALUES ('test', '1', '测试大厦', "
            "ST_SetSRID(ST_MakePoint(114.03, 22.54), 4490))"
        )
        version = conn.execute(gazetteer.VERSION_SQL).fetchone()
        assert version is not None and version[0] > before.version
        after = gazetteer.load(conn)
    assert geocode(after, "测试大厦").candidates[0].level == "poi"


def test_answers_are_memoised_per_snapshot(demo_gazetteer: Gazetteer) -> None:
    first = geocode(demo_gazetteer, "侨香路7号")
    again = geocode(demo_gazetteer, "侨香路7号")
    assert again.candidates == first.candidates and again.candidates is not first.candidates
    assert first.candidates[0].level == "door_plate"
    # another snapshot (here: one without door plates) never sees the first one's answers
    without_plates = dataclasses.replace(demo_gazetteer, plates={})
    assert all(c.level != "door_plate" for c in geocode(without_plates, "侨香路7号").candidates)


def test_the_service_snapshot_is_built_with_its_derived_tables(db_url: str) -> None:
    """No request pays for the tables a snapshot derives on first use (home names, road stems …)."""
    with psycopg.connect(db_url) as conn:
        built = service._build(gazetteer.fetch_rows(conn))
    gc.unfreeze()  # _build froze the test process's objects along with the snapshot
    derived = [name for name, a in vars(Gazetteer).items() if isinstance(a, functools.cached_property)]
    assert derived and all(name in vars(built) for name in derived)


def _cells_at(conn: psycopg.Connection, points: list[tuple[float, float]]) -> list[list[str]]:
    """The codes of the current unit grid cells PostGIS finds at each point (ST_Intersects: two on an
    edge)."""
    rows = conn.execute(
        "SELECT array_remove(array_agg(g.code ORDER BY g.code), NULL) "
        "FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS p(x, y, i) "
        "LEFT JOIN onemap.unit_grid g ON g.valid_to IS NULL "
        "AND ST_Intersects(g.geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4490)) GROUP BY p.i ORDER BY p.i",
        ([x for x, _ in points], [y for _, y in points]),
    ).fetchall()
    return [row[0] for row in rows]


def test_the_codes_of_an_answer_are_those_of_the_point_it_returns(
    demo_gazetteer: Gazetteer, conn: psycopg.Connection
) -> None:
    """Every road, by itself, with door numbers and inside each street and community: the cell of each
    point answer is one PostGIS puts the returned lon/lat in (codes were once those of the point before
    it was rounded to 7 decimals, a few millimetres off, so in another cell for a road on a boundary)."""
    roads = [r[0] for r in conn.execute("SELECT DISTINCT name FROM onemap.road WHERE name <> '' ORDER BY 1")]
    units = [r[0] for r in conn.execute(
        "SELECT name FROM onemap.admin_area WHERE level IN ('town', 'community') ORDER BY code")]
    queries = [*roads, *(f"{road}{n}号" for road in roads for n in (1, 5, 38)),
               *(f"{unit}{road}" for unit in units for road in roads[::4])]
    answers = [c for q in queries for c in geocode(demo_gazetteer, q).candidates if c.grid_code]
    assert len(roads) > 100 and len(answers) > 1000
    cells = _cells_at(conn, [(c.lon, c.lat) for c in answers])
    wrong = [(c.label, c.grid_code, found) for c, found in zip(answers, cells, strict=True)
             if c.grid_code not in found]
    assert wrong == []
    assert all(c.community_code == str(c.grid_code)[:12] and c.street_code == str(c.grid_code)[:9]
               for c in answers)


@pytest.mark.parametrize(
    ("query", "level", "codes", "label"),
    [
        ("深圳市福田区", "district", (None, None, None, "440304"), "福田区"),
        ("福田区香蜜湖街道", "street", (None, None, "440304006", "440304"), "福田区香蜜湖街道"),
        ("莲花街道景田社区", "community", (None, "440304008014", "440304008", "440304"),
         "福田区莲花街道景田社区"),
    ],
    ids=["district", "street", "community"],
)
def test_an_admin_answer_carries_the_codes_of_its_unit_only(
    demo_gazetteer: Gazetteer, query: str, level: str, codes: tuple[str | None, ...], label: str
) -> None:
    """A district answer is the whole district, not the grid cell its representative point lies in."""
    best = next(c for c in geocode(demo_gazetteer, query).candidates if c.level == level)
    assert (best.grid_code, best.community_code, best.street_code, best.county_code) == codes
    assert best.label == label


def test_an_answer_outside_the_unit_grid_says_so(demo_gazetteer: Gazetteer, conn: psycopg.Connection) -> None:
    result = geocode(demo_gazetteer, plate_outside_the_grid(conn))
    best = result.candidates[0]
    assert (best.level, best.grid_code, best.county_code) == ("door_plate", None, None)
    assert result.reason is not None
    assert result.reason.startswith("outside the unit grid: no loaded grid cell or district holds the place")
    assert geocode(demo_gazetteer, "侨香路7号").reason is None


def test_a_reverse_point_outside_the_city_says_why_it_has_no_codes(demo_gazetteer: Gazetteer) -> None:
    outside, inside = reverse_many(demo_gazetteer, np.array([116.4, 114.03]), np.array([39.9, 22.54]))
    assert outside.grid_code is None and outside.reason is not None
    assert outside.reason.startswith("outside the unit grid: no loaded grid cell or district holds the point")
    assert inside.grid_code and inside.reason is None
