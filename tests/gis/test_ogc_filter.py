"""OGC API - Features Part 3: CQL2 text and JSON filters against the demo city, checked against SQL."""

import json
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
from pyproj import Transformer

JSON = {"Accept": "application/geo+json"}
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
POINT = (114.03, 22.535)  # near 车公庙


def _matched(client, collection: str, **params) -> int:
    response = client.get(f"/collections/{collection}/items", params={"limit": 1, "count": "exact", **params},
                          headers=JSON)
    assert response.status_code == 200, response.text
    return int(response.json()["numberMatched"])


def _count(conn: psycopg.Connection, where: str, *params) -> int:
    return conn.execute(f"SELECT count(*) FROM onemap.v_component t WHERE {where}", params).fetchone()[0]


CASES = [
    ("class_code = '01002'", "class_code = '01002'", ()),
    ("class_code LIKE '010%' AND state = '完好'", "class_code LIKE '010%%' AND state = '完好'", ()),
    ("class_code IN ('01002', '01003') OR major_code = '04'",
     "class_code IN ('01002', '01003') OR major_code = '04'", ()),
    ("NOT (major_code = '04')", "NOT major_code = '04'", ()),
    ("CASEI(name) LIKE casei('%井盖%')", "lower(name) LIKE '%%井盖%%'", ()),
    ("initial_date >= DATE('2023-01-01')", "initial_date >= '2023-01-01'", ()),
    ("valid_from T_AFTER TIMESTAMP('2020-01-01T00:00:00Z')", "valid_from > '2020-01-01Z'", ()),
    ("T_AFTER(valid_from, TIMESTAMP('2020-01-01T00:00:00Z'))", "valid_from > '2020-01-01Z'", ()),
    ("T_INTERSECTS(initial_date, INTERVAL('2023-01-01', '..')) "
     "AND T_DISJOINT(valid_from, DATE('2020-01-01'))",
     "initial_date >= '2023-01-01' "
     "AND valid_from NOT BETWEEN '2020-01-01T00:00+08' AND '2020-01-02T00:00+08'", ()),
    ("note IS NULL", "note IS NULL", ()),
    ("NOT ((initial_date IS NULL))", "initial_date IS NOT NULL", ()),
    ("initial_date = '2023-06-01T'", "initial_date = '2023-06-01'", ()),
    (f"S_INTERSECTS(geometry, POLYGON(({POINT[0] - .01} {POINT[1] - .01}, {POINT[0] + .01} {POINT[1] - .01}, "
     f"{POINT[0] + .01} {POINT[1] + .01}, {POINT[0] - .01} {POINT[1] - .01})))",
     "ST_Intersects(geom, ST_GeomFromText(%s, 4490))",
     (f"POLYGON(({POINT[0] - .01} {POINT[1] - .01}, {POINT[0] + .01} {POINT[1] - .01}, "
      f"{POINT[0] + .01} {POINT[1] + .01}, {POINT[0] - .01} {POINT[1] - .01}))",)),
    (f"S_WITHIN(geometry, BBOX({POINT[0] - .01}, {POINT[1] - .01}, {POINT[0] + .01}, {POINT[1] + .01}))",
     "ST_Within(geom, ST_MakeEnvelope(%s, %s, %s, %s, 4490))",
     (POINT[0] - .01, POINT[1] - .01, POINT[0] + .01, POINT[1] + .01)),
    (f"S_DWITHIN(geometry, POINT({POINT[0]} {POINT[1]}), 150)",
     "ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4490)::geography, 150)", POINT),
    (f"S_DWITHIN(geometry, POINT({POINT[0]} {POINT[1]}), 0.5, km) AND class_code = '04002'",
     "ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4490)::geography, 500) "
     "AND class_code = '04002'", POINT),
]


@pytest.mark.parametrize("cql, where, params", CASES, ids=[
    "equals", "like-and", "in-or", "not", "casei-like", "date", "t-after", "t-after-function",
    "t-intersects-interval-and-disjoint", "is-null", "gdal-is-not-null", "gdal-date", "s-intersects",
    "s-within-bbox", "s-dwithin-m", "s-dwithin-km-and"])
def test_cql2_text_matches_sql(ogc_client, conn, cql, where, params):
    expected = _count(conn, where, *params)
    assert expected > 0
    assert _matched(ogc_client, "components", filter=cql) == expected
    assert _matched(ogc_client, "components", filter=cql, **{"filter-lang": "cql2-text"}) == expected


JSON_CASES = [
    ({"op": "=", "args": [{"property": "class_code"}, "01037"]}, "class_code = '01037'", ()),
    ({"op": "and", "args": [{"op": "like", "args": [{"property": "class_code"}, "01%"]},
                            {"op": "s_intersects", "args": [{"property": "geometry"},
                                                            {"bbox": [114.02, 22.52, 114.04, 22.54]}]}]},
     "class_code LIKE '01%%' AND ST_Intersects(geom, ST_MakeEnvelope(114.02, 22.52, 114.04, 22.54, 4490))",
     ()),
    ({"op": "s_dwithin",
      "args": [{"property": "geometry"}, {"type": "Point", "coordinates": list(POINT)}, 80]},
     "ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4490)::geography, 80)", POINT),
    ({"op": "not", "args": [{"op": "isNull", "args": [{"property": "grid_code"}]}]},
     "grid_code IS NOT NULL", ()),
    ({"op": "t_during", "args": [{"property": "initial_date"}, {"interval": ["2000-01-01", ".."]}]},
     "initial_date > '2000-01-01'", ()),
]


@pytest.mark.parametrize("cql, where, params", JSON_CASES,
                         ids=["equals", "and-bbox", "s-dwithin", "not-null", "t-during-open-interval"])
def test_cql2_json_matches_sql(ogc_client, conn, cql, where, params):
    assert _matched(ogc_client, "components", filter=json.dumps(cql),
                    **{"filter-lang": "cql2-json"}) == _count(conn, where, *params)


def test_filter_crs_reads_geometry_literals_in_that_crs(ogc_client, conn):
    x, y = Transformer.from_crs(4326, 3857, always_xy=True).transform(*POINT)
    in_mercator = _matched(ogc_client, "components", filter=f"S_DWITHIN(geometry, POINT({x} {y}), 150)",
                           **{"filter-crs": f"{EPSG}3857"})
    lat_lon = _matched(ogc_client, "components", **{"filter-crs": f"{EPSG}4490"},
                       filter=f"S_DWITHIN(geometry, POINT({POINT[1]} {POINT[0]}), 150)")
    expected = _count(conn, "ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4490)::geography, "
                      "150)", *POINT)
    assert expected > 0
    assert in_mercator == lat_lon == expected


def test_filter_on_unit_grid_numbers_and_collection_filters(ogc_client, conn):
    big = conn.execute("SELECT count(*) FROM onemap.v_unit_grid "
                       "WHERE area_m2 BETWEEN 5000 AND 15000").fetchone()[0]
    assert _matched(ogc_client, "unit_grid", filter="area_m2 BETWEEN 5000 AND 15000") == big
    minor = _count(conn, "class_code = '01002' AND ST_DWithin(geom::geography, "
                   "ST_SetSRID(ST_MakePoint(%s, %s), 4490)::geography, 500)", *POINT)
    assert _matched(ogc_client, "components_gb47678_01002",
                    filter=f"S_DWITHIN(geometry, POINT({POINT[0]} {POINT[1]}), 500)") == minor


def test_filter_combines_with_bbox_and_paging_links_keep_both(ogc_client):
    response = ogc_client.get("/collections/components/items", headers=JSON, params={
        "limit": 5, "bbox": "114.0,22.5,114.05,22.55", "filter": "class_code = '04002'",
        "filter-lang": "cql2-text"})
    body = response.json()
    assert body["numberReturned"] == 5
    assert all(f["properties"]["class_code"] == "04002" for f in body["features"])
    for rel in ("self", "next"):
        href = next(link["href"] for link in body["links"] if link["rel"] == rel)
        query = parse_qs(urlsplit(href).query)
        assert query["filter"] == ["class_code = '04002'"]
        assert query["filter-lang"] == ["cql2-text"]
        assert query["bbox"] == ["114.0,22.5,114.05,22.55"]
    following = ogc_client.get(href.removeprefix("http://testserver"), headers=JSON).json()
    assert all(f["properties"]["class_code"] == "04002" for f in following["features"])
    assert {f["id"] for f in following["features"]}.isdisjoint({f["id"] for f in body["features"]})


def test_html_pages_keep_the_filter_in_their_links(ogc_client):
    page = ogc_client.get("/collections/components/items", params={
        "f": "html", "limit": 2, "filter": "class_code = '04002'"}).text
    assert "filter=class_code%20%3D%20%2704002%27" in page


def test_gdal_pre_standard_filter_lang_is_accepted(ogc_client, conn):
    assert _matched(ogc_client, "components", filter="(state = '完好') AND (class_code LIKE '0100%')",
                    **{"filter-lang": "cql-text"}) == _count(conn, "class_code LIKE '0100%%'")
