"""OGC API - Features items: paging, bbox, single items, properties, sortby, CRS (Part 2), onemap filters."""

import asyncio
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
from pyproj import Transformer

from layers.case_rules import CaseOptions
from layers.cases import NewCase, create_case
from tests.gis.conftest import ogc_app_client

JSON = {"Accept": "application/geo+json"}
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
BBOX = (114.02, 22.52, 114.04, 22.54)  # 车公庙 – 福田 CBD, inside the demo city


def _get(client, path: str, **params) -> dict:
    response = client.get(path, params=params, headers=JSON)
    assert response.status_code == 200, response.text
    return response.json()


def _link(body: dict, rel: str) -> str | None:
    found = [link["href"] for link in body["links"] if link["rel"] == rel
             and link.get("type", "application/geo+json") == "application/geo+json"]
    return found[0].removeprefix("http://testserver") if found else None


def _count(conn: psycopg.Connection, sql: str, *params) -> int:
    return conn.execute(sql, params).fetchone()[0]


def test_bbox_paging_walks_every_match_once_with_correct_links(ogc_client, conn):
    expected = _count(conn, "SELECT count(*) FROM onemap.road WHERE ST_Intersects(geom, "
                      "ST_MakeEnvelope(%s, %s, %s, %s, 4490))", *BBOX)
    assert 25 < expected < 1000
    path, seen, pages = "/collections/roads/items?limit=20&bbox=" + ",".join(map(str, BBOX)), [], 0
    while path:
        body = ogc_client.get(path, headers=JSON).json()
        assert body["numberMatched"] == expected
        assert body["numberReturned"] == len(body["features"])
        offset = int(parse_qs(urlsplit(path).query).get("offset", ["0"])[0])
        prev = _link(body, "prev")
        assert (prev is None) == (offset == 0)
        if prev:
            assert parse_qs(urlsplit(prev).query)["offset"] == [str(max(0, offset - 20))]
        seen += [f["id"] for f in body["features"]]
        path, pages = _link(body, "next"), pages + 1
        if path:
            assert parse_qs(urlsplit(path).query)["bbox"] == [",".join(map(str, BBOX))]
    assert len(seen) == len(set(seen)) == expected
    assert pages == -(-expected // 20)


def test_a_full_last_page_has_no_next_link(ogc_client, conn):
    total = _count(conn, "SELECT count(*) FROM onemap.v_street")
    body = _get(ogc_client, "/collections/streets/items", limit=total)
    assert body["numberReturned"] == body["numberMatched"] == total
    assert _link(body, "next") is None


def test_number_matched_is_exact_and_left_out_above_the_cap(ogc_client, conn, monkeypatch):
    """numberMatched, when given, is the exact number (a planner estimate served here once was one short
    of the inventory); above the cap a page leaves it out and still links the next page, unless
    count=exact asks for the count."""
    total = _count(conn, "SELECT count(*) FROM onemap.v_component")
    assert total > 10_000
    inside = {"bbox": "114.02,22.52,114.04,22.54"}
    in_box = _count(conn, "SELECT count(*) FROM onemap.v_component WHERE ST_Intersects(geom, "
                          "ST_MakeEnvelope(114.02, 22.52, 114.04, 22.54, 4490))")
    for headers in ({}, {"Accept-Language": "en-US"}):  # the GeoJSON hot path and pygeoapi's path
        for params, expected in (({}, total), (inside, in_box), ({"skipGeometry": "true"}, total)):
            body = ogc_client.get("/collections/components/items", params={"limit": 2, **params},
                                  headers=headers).json()
            assert body["numberMatched"] == expected, (params, headers)
        monkeypatch.setattr("layers.ogc_query.COUNT_CAP", in_box - 1)

        def page(_headers: dict = headers, **params: object) -> dict:
            return ogc_client.get("/collections/components/items", params={"limit": 2, **inside, **params},
                                  headers=_headers).json()
        capped = page()
        assert "numberMatched" not in capped and _link(capped, "next") is not None
        assert page(count="exact")["numberMatched"] == in_box
        last = page(offset=in_box - 1)
        assert last["numberMatched"] == in_box and _link(last, "next") is None
        monkeypatch.undo()
        past = page(offset=in_box + 500)  # beyond the end: an empty page, still the true count
        assert past["numberReturned"] == 0 and past["numberMatched"] == in_box


@pytest.mark.parametrize("limit", [50_000, 2**63, 10**30], ids=["50000", "above-bigint", "1e30"])
def test_limit_above_the_maximum_is_clamped_to_10000(ogc_client, limit):
    body = _get(ogc_client, "/collections/components/items", limit=limit, skipGeometry="true")
    assert body["numberReturned"] == 10_000


def test_the_largest_offset_is_an_empty_page(ogc_client, conn):
    """PostgreSQL's OFFSET is a bigint: its largest value is a page past the end, one more is a 400
    (tests/gis/test_ogc_hostile.py)."""
    body = _get(ogc_client, "/collections/components/items", offset=2**63 - 1, limit=2)
    assert body["numberReturned"] == 0
    assert body["numberMatched"] == _count(conn, "SELECT count(*) FROM onemap.v_component")


def test_single_item_by_its_standard_code(ogc_client, conn):
    code, name = conn.execute("SELECT code, name FROM onemap.v_street ORDER BY code LIMIT 1").fetchone()
    body = _get(ogc_client, f"/collections/streets/items/{code}")
    assert body["type"] == "Feature"
    assert body["id"] == code
    assert body["properties"]["name"] == name
    assert body["geometry"]["type"] == "MultiPolygon"
    component = conn.execute("SELECT id, grid_code FROM onemap.v_component ORDER BY id LIMIT 1").fetchone()
    item = _get(ogc_client, f"/collections/components/items/{component[0]}")
    assert item["properties"]["grid_code"] == component[1]


@pytest.mark.parametrize("path", [
    "/collections/streets/items/000000000", "/collections/roads/items/abc",
    "/collections/roads/items/99999999999999999999999", "/collections/components_gb47678_01002/items/"
    "44030402017000001"], ids=["unknown-code", "text-for-integer-id", "huge-integer", "other-class"])
def test_unknown_items_are_404(ogc_client, path):
    response = ogc_client.get(path, headers=JSON)
    assert response.status_code == 404
    assert response.json()["code"] == "NotFound"


def test_properties_selects_and_skip_geometry_drops(ogc_client):
    body = _get(ogc_client, "/collections/components/items", limit=3, properties="name,grid_code",
                skipGeometry="true")
    for feature in body["features"]:
        assert set(feature["properties"]) == {"name", "grid_code"}
        assert feature["geometry"] is None


def test_sortby_descending_with_a_stable_tiebreak(ogc_client, conn):
    body = _get(ogc_client, "/collections/unit_grid/items", limit=5, sortby="-area_m2")
    areas = [f["properties"]["area_m2"] for f in body["features"]]
    assert areas == sorted(areas, reverse=True)
    assert areas[0] == pytest.approx(_count(conn, "SELECT max(area_m2) FROM onemap.v_unit_grid"))
    codes = [f["id"] for f in _get(ogc_client, "/collections/streets/items", sortby="+name")["features"]]
    names = [r[0] for r in conn.execute("SELECT code FROM onemap.v_street ORDER BY name, code")]
    assert codes == names


def _first_point(client, crs: str | None = None) -> tuple[str, list[float], str]:
    params = {"limit": 1, "class": "01002"} | ({"crs": crs} if crs else {})
    response = client.get("/collections/components/items", params=params, headers=JSON)
    assert response.status_code == 200, response.text
    feature = response.json()["features"][0]
    return feature["id"], feature["geometry"]["coordinates"], response.headers["content-crs"]


def test_default_output_is_crs84_lon_lat(ogc_client, conn):
    fid, xy, content_crs = _first_point(ogc_client)
    assert content_crs == f"<{CRS84}>"
    lon, lat = conn.execute("SELECT ST_X(geom), ST_Y(geom) FROM onemap.v_component WHERE id = %s",
                            (fid,)).fetchone()
    assert xy == pytest.approx([lon, lat], abs=1e-8)


@pytest.mark.parametrize("epsg", [4490, 4326], ids=["cgcs2000", "wgs84"])
def test_epsg_geographic_crs_answer_in_lat_lon_order(ogc_client, epsg):
    _, lon_lat, _ = _first_point(ogc_client)
    _, xy, content_crs = _first_point(ogc_client, f"{EPSG}{epsg}")
    assert content_crs == f"<{EPSG}{epsg}>"
    assert xy == pytest.approx(lon_lat[::-1], abs=1e-7)


def test_web_mercator_output_is_projected(ogc_client):
    _, (lon, lat), _ = _first_point(ogc_client)
    _, xy, content_crs = _first_point(ogc_client, f"{EPSG}3857")
    assert content_crs == f"<{EPSG}3857>"
    assert xy == pytest.approx(Transformer.from_crs(4326, 3857, always_xy=True).transform(lon, lat), abs=0.01)


def test_gauss_kruger_output_is_northing_easting(ogc_client):
    _, (lon, lat), _ = _first_point(ogc_client)
    _, xy, _ = _first_point(ogc_client, f"{EPSG}4547")  # CGCS2000 / 3-degree GK CM 114E
    easting, northing = Transformer.from_crs(4490, 4547, always_xy=True).transform(lon, lat)
    assert xy == pytest.approx([northing, easting], abs=0.01)


@pytest.mark.parametrize("bbox_crs, transform", [
    (f"{EPSG}4490", lambda x1, y1, x2, y2: (y1, x1, y2, x2)),
    (f"{EPSG}3857", lambda x1, y1, x2, y2: Transformer.from_crs(4326, 3857, always_xy=True)
     .transform_bounds(x1, y1, x2, y2)),
    (CRS84, lambda *box: box)], ids=["cgcs2000-lat-lon", "web-mercator", "crs84"])
def test_bbox_crs_selects_the_same_features(ogc_client, bbox_crs, transform):
    plain = _get(ogc_client, "/collections/roads/items", limit=1000, bbox=",".join(map(str, BBOX)))
    other = _get(ogc_client, "/collections/roads/items", limit=1000, **{"bbox-crs": bbox_crs},
                 bbox=",".join(map(str, transform(*BBOX))))
    ids = {f["id"] for f in plain["features"]}
    assert ids and abs(len({f["id"] for f in other["features"]} ^ ids)) <= 2  # edges of a reprojected box


@pytest.mark.parametrize("bbox_crs, box, first", [
    (f"{EPSG}4490", BBOX, "latitude first (minLat,minLon,maxLat,maxLon)"),
    (f"{EPSG}4547", Transformer.from_crs(4490, 4547, always_xy=True).transform_bounds(*BBOX),
     "northing first (minN,minE,maxN,maxE)")], ids=["cgcs2000", "gauss-kruger"])
def test_a_bbox_in_the_other_axis_order_is_refused_naming_the_order(ogc_client, bbox_crs, box, first):
    """ArcGIS sends longitude/latitude (easting/northing) with a bbox-crs whose axes go the other way: the
    400 says which order the CRS takes."""
    response = ogc_client.get("/collections/roads/items", params={
        "bbox": ",".join(map(str, box)), "bbox-crs": bbox_crs}, headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert first in response.json()["description"]


def test_grid_filter_by_street_and_community_prefix(ogc_client, conn):
    street, community = conn.execute("SELECT left(grid_code, 9), left(grid_code, 12) FROM onemap.v_component "
                                     "ORDER BY id LIMIT 1").fetchone()
    for prefix in (street, community):
        body = _get(ogc_client, "/collections/components/items", grid=prefix, limit=1, count="exact")
        assert body["numberMatched"] == _count(conn, "SELECT count(*) FROM onemap.v_component WHERE "
                                               "grid_code LIKE %s", prefix + "%")
    cells = _get(ogc_client, "/collections/unit_grid/items", grid=community, limit=1000)
    assert cells["features"] and all(f["id"].startswith(community) for f in cells["features"])


def test_class_and_state_filters(ogc_client, conn):
    body = _get(ogc_client, "/collections/components/items", limit=1, count="exact", state="完好",
                **{"class": "0100"})
    assert body["numberMatched"] == _count(conn, "SELECT count(*) FROM onemap.v_component WHERE "
                                           "class_code LIKE '0100%%' AND state = '完好'")
    assert _get(ogc_client, "/collections/components/items", state="丢失")["numberMatched"] == 0


def test_a_case_state_filters_cases_and_a_component_state_is_refused(ogc_client, conn):
    open_cases = _count(conn, "SELECT count(*) FROM onemap.v_open_case WHERE state = 'filed'")
    assert _get(ogc_client, "/collections/cases/items", state="filed", count="exact",
                limit=1)["numberMatched"] == open_cases
    response = ogc_client.get("/collections/cases/items", params={"state": "完好"}, headers=JSON)
    assert response.status_code == 400
    assert "reported/filed" in response.json()["description"]


@pytest.mark.parametrize("kind, types", [("point", ("ST_Point", "ST_MultiPoint")),
                                         ("line", ("ST_LineString", "ST_MultiLineString")),
                                         ("polygon", ("ST_Polygon", "ST_MultiPolygon"))])
def test_geometry_type_picks_one_kind_of_a_mixed_layer(ogc_client, conn, kind, types):
    """For clients that draw one kind of geometry per layer (ArcGIS's OGCFeatureLayer, whose documentation
    says a layer accepts one geometry type)."""
    body = _get(ogc_client, "/collections/components/items", geometry_type=kind, limit=10_000)
    expected = _count(conn, "SELECT count(*) FROM onemap.v_component WHERE ST_GeometryType(geom) = ANY(%s)",
                      list(types))
    assert expected > 0 and body["numberMatched"] == expected
    assert len(body["features"]) == min(expected, 10_000)
    assert {f["geometry"]["type"].removeprefix("Multi") for f in body["features"]} == {types[0][3:]}


def test_geometry_type_is_refused_where_it_picks_nothing(ogc_client):
    for path, value, message in [("/collections/roads/items", "line", "holds one kind of geometry"),
                                 ("/collections/components/items", "curve", "is not one of point")]:
        response = ogc_client.get(path, params={"geometry_type": value}, headers=JSON)
        assert response.status_code == 400 and message in response.json()["description"]
    document = ogc_client.get("/openapi", headers=JSON).json()
    declared = {path: {p.get("$ref", "").rsplit("/", 1)[-1] for p in item["get"]["parameters"]}
                for path, item in document["paths"].items() if path.endswith("/items")}
    assert "geometry_type" in declared["/collections/components/items"]
    assert "geometry_type" not in declared["/collections/roads/items"]


def test_class_collection_shows_only_its_class(ogc_client, conn):
    body = _get(ogc_client, "/collections/components_gb47678_01037/items", limit=1, count="exact")
    assert body["numberMatched"] == _count(conn, "SELECT count(*) FROM onemap.v_component "
                                           "WHERE class_code = '01037'")
    assert body["features"][0]["properties"]["class_code"] == "01037"


def test_datetime_filters_on_valid_from(ogc_client, conn):
    first = conn.execute("SELECT min(valid_from) FROM onemap.v_component").fetchone()[0]
    before = _get(ogc_client, "/collections/components/items", limit=1,
                  datetime=f"../{(first.replace(year=first.year - 1)).isoformat()}")
    assert before["numberMatched"] == 0
    after = _get(ogc_client, "/collections/components/items", limit=1, count="exact",
                 datetime=f"{first.replace(year=first.year - 1).isoformat()}/..")
    assert after["numberMatched"] == _count(conn, "SELECT count(*) FROM onemap.v_component")


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def test_datetime_matches_the_features_whose_time_intersects_it(ogc_client, conn):
    """A component's current version lasts from valid_from to now, so an instant or interval after its
    start matches it; a case is an instant (reported_at), matched only inside the interval."""
    last = conn.execute("SELECT max(valid_from) FROM onemap.v_component").fetchone()[0]
    total = _count(conn, "SELECT count(*) FROM onemap.v_component")
    later = _stamp(last + timedelta(seconds=1))
    lower_case = later.replace("T", "t").replace("Z", "z")  # RFC 3339 allows both
    for value in (later, f"{later}/..", f"{later}/{_stamp(last + timedelta(days=1))}", lower_case):
        body = _get(ogc_client, "/collections/components/items", limit=1, count="exact", datetime=value)
        assert body["numberMatched"] == total, value


def test_datetime_matches_cases_reported_inside_it(settings, module_db_url):
    """A case is an instant (reported_at): matched only inside the interval, or at that instant."""
    with psycopg.connect(module_db_url) as conn:
        point = conn.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p "
                             "FROM onemap.v_unit_grid ORDER BY code LIMIT 1) s").fetchone()
    first = datetime(2026, 3, 1, 10, tzinfo=UTC)  # four on 1 March (in any time zone from -10 to +10 h)
    reported = [first + timedelta(hours=i) for i in range(4)] + [first + timedelta(days=2)]

    async def report() -> None:
        async with await psycopg.AsyncConnection.connect(module_db_url) as conn:
            for moment in reported:
                await create_case(conn, NewCase(kind="event", class_code="06001", source="inspector",
                                                lon=point[0], lat=point[1], reported_at=moment),
                                  actor="pytest", role="inspector", options=CaseOptions())
            await conn.commit()
    asyncio.run(report())
    with ogc_app_client(settings, module_db_url) as client:
        window = _get(client, "/collections/cases/items", limit=100,
                      datetime=f"{_stamp(reported[1])}/{_stamp(reported[3])}")
        assert sorted(f["properties"]["reported_at"] for f in window["features"]) == \
            [moment.isoformat() for moment in reported[1:4]]
        assert _get(client, "/collections/cases/items", datetime=_stamp(reported[0]))["numberMatched"] == 1
        assert _get(client, "/collections/cases/items", datetime="2026-03-01")["numberMatched"] == 4
        queryable = _get(client, "/collections/cases/queryables")["properties"]["reported_at"]
        assert queryable["x-ogc-role"] == "primary-instant"


def test_as_of_reads_the_history(ogc_client, conn):
    assert _get(ogc_client, "/collections/components/items", as_of="2000-01-01")["numberMatched"] == 0
    now = _get(ogc_client, "/collections/components/items", limit=1, count="exact",
               as_of=_stamp(datetime.now(UTC)))
    assert now["numberMatched"] == _count(conn, "SELECT count(*) FROM onemap.v_component")


def test_a_date_or_a_time_without_an_offset_is_the_city_local_time(settings, module_db_url):
    """A version valid from 20:00 UTC on 1 March began at 04:00 on 2 March in Beijing: as of 2 March (the
    city's midnight, 16:00 UTC on 1 March) it did not exist yet; as of 05:00 that morning it did. A time with
    an offset is taken as given, and ONEMAP_TIMEZONE names the city's zone."""
    with psycopg.connect(module_db_url) as conn:
        identifier = conn.execute("SELECT id FROM onemap.component GROUP BY id HAVING count(*) = 1 "
                                  "ORDER BY id LIMIT 1").fetchone()[0]
        conn.execute("UPDATE onemap.component SET valid_from = '2026-03-01 20:00+00' WHERE id = %s",
                     (identifier,))

    def matched(client, **params: str) -> int:
        return _get(client, "/collections/components/items", count="exact", filter=f"id = '{identifier}'",
                    **params)["numberMatched"]

    with ogc_app_client(settings, module_db_url) as client:
        at = ("2026-03-02", "2026-03-02T03:59:59", "2026-03-02T05:00:00", "2026-03-01T20:30:00Z")
        assert [matched(client, as_of=moment) for moment in at] == [0, 0, 1, 1]
        assert [matched(client, datetime=value) for value in ("../2026-03-01", "2026-03-02/..")] == [0, 1]
        assert matched(client, valid_from="2026-03-02T04:00:00") == 1
    with ogc_app_client(settings, module_db_url, timezone="UTC") as client:
        assert [matched(client, as_of="2026-03-02"), matched(client, datetime="../2026-03-01")] == [1, 1]
        assert matched(client, valid_from="2026-03-02T04:00:00") == 0


def _new_version(db_url: str) -> tuple[str, str, str]:
    """Give a point component two versions: its own, from 1 January 2026 (the city's midnight) to 1 June, then
    a renamed and damaged one; return its id, class code and first name."""
    with psycopg.connect(db_url) as conn:
        identifier, class_code, name = conn.execute(
            "SELECT id, class_code, name FROM onemap.v_component c WHERE geometry_type = 'point' "
            "AND NOT EXISTS (SELECT 1 FROM onemap.component h WHERE h.id = c.id AND h.valid_to IS NOT NULL) "
            "ORDER BY id DESC LIMIT 1").fetchone()
        conn.execute("UPDATE onemap.component SET valid_from = '2026-01-01 00:00+08', "
                     "valid_to = '2026-06-01 00:00+08' WHERE id = %s", (identifier,))
        conn.execute("INSERT INTO onemap.component (id, scheme, class_code, name, state, geometry_type, "
                     "geom, valid_from, changed_by, change_source) SELECT id, scheme, class_code, "
                     "name || '（新）', '破损', geometry_type, geom, '2026-06-01 00:00+08', 'pytest', "
                     "'pytest' FROM onemap.component WHERE id = %s", (identifier,))
    return identifier, class_code, name


def test_a_single_item_as_of_is_the_version_valid_then(settings, module_db_url):
    """items/{id}?as_of= answers what items?as_of=…&filter=id='…' lists (the version valid then, a date or
    a time without an offset in the city's time zone), on the components and on its class layer; 404
    before the first version."""
    identifier, class_code, name = _new_version(module_db_url)
    with ogc_app_client(settings, module_db_url) as client:
        for collection in ("components", f"components_gb47678_{class_code}"):
            path = f"/collections/{collection}/items/{identifier}"
            assert _get(client, path)["properties"]["name"] == f"{name}（新）"
            for moment, expected in (("2026-03-01", name), ("2026-05-31T23:59:59", name),
                                     ("2026-05-31T15:59:59Z", name), ("2026-06-01", f"{name}（新）")):
                item = _get(client, path, as_of=moment)
                listed = _get(client, f"/collections/{collection}/items", as_of=moment,
                              filter=f"id = '{identifier}'")["features"]
                assert item["properties"]["name"] == expected, (collection, moment)
                assert [item["properties"]] == [f["properties"] for f in listed]
                assert item["geometry"] == listed[0]["geometry"]
            missing = client.get(path, params={"as_of": "2025-12-31"}, headers=JSON)
            assert missing.status_code == 404 and missing.json()["code"] == "NotFound"


def test_a_single_item_as_of_keeps_format_crs_and_language(settings, module_db_url):
    """f, crs and lang, which pygeoapi reads itself, still apply to a version read with as_of."""
    identifier, _, name = _new_version(module_db_url)
    with ogc_app_client(settings, module_db_url) as client:
        path = f"/collections/components/items/{identifier}"
        html = client.get(path, params={"as_of": "2026-03-01", "f": "html"})
        assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
        assert name in html.text and f"{name}（新）" not in html.text
        projected = _get(client, path, as_of="2026-03-01", crs=f"{EPSG}3857", lang="en")
        assert projected["properties"]["name"] == name
        assert abs(projected["geometry"]["coordinates"][0]) > 1e6  # metres, not degrees


def test_html_items_page(ogc_client):
    response = ogc_client.get("/collections/streets/items?f=html")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


def test_every_collection_serves_its_items_and_their_properties(ogc_client):
    """Each published layer, whatever its property names (the hot-spot layer has a `p`), answers items
    and a single item with the properties its queryables list."""
    collections = _get(ogc_client, "/collections")["collections"]
    assert len(collections) > 10
    for collection in collections:
        name = collection["id"]
        page = _get(ogc_client, f"/collections/{name}/items", limit=3)
        queryables = _get(ogc_client, f"/collections/{name}/queryables")["properties"]
        for feature in page["features"]:
            assert set(feature["properties"]) <= set(queryables), name
            assert _get(ogc_client, f"/collections/{name}/items/{feature['id']}")["id"] == feature["id"]


@pytest.mark.parametrize("headers", [{}, {"Accept": "application/geo+json"}, {"Accept-Language": "en-US"}])
def test_features_and_a_feature_are_served_as_geojson(ogc_client, headers):
    """Items pages and single items carry GeoJSON's media type, as the collection's items link says,
    whether the GeoJSON hot path or pygeoapi (another language) answers; HTML stays HTML."""
    link = next(link for link in _get(ogc_client, "/collections/roads")["links"] if link["rel"] == "items")
    page = ogc_client.get("/collections/roads/items?limit=2", headers=headers)
    first = page.json()["features"][0]["id"]
    feature = ogc_client.get(f"/collections/roads/items/{first}", headers=headers)
    assert link["type"] == page.headers["content-type"] == feature.headers["content-type"] \
        == "application/geo+json"
    html = ogc_client.get("/collections/roads/items?limit=2&f=html", headers=headers)
    assert html.headers["content-type"].startswith("text/html")
    missing = ogc_client.get("/collections/roads/items/no-such-road", headers=headers)
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/json"


_FORMATS = {"application/geo+json": "json", "application/ld+json": "jsonld", "text/html": "html"}


def _links_to_itself(body: dict) -> dict[str, dict[str, list[str]]]:
    """The query of the self and alternate links, by their `f`."""
    found = {}
    for link in body["links"]:
        if link["rel"] in ("self", "alternate"):
            query = parse_qs(urlsplit(link["href"]).query)
            assert query.pop("f") == [_FORMATS[link["type"]]]
            found[_FORMATS[link["type"]]] = query
    return found


@pytest.mark.parametrize("query, headers", [
    ("f=json&limit=5&offset=5", JSON),
    ("limit=5&offset=5&bbox=" + ",".join(map(str, BBOX)), JSON),
    ("limit=5&offset=5", {"Accept-Language": "en-US"}),
    ("limit=5&offset=50&filter=class_code LIKE '01%'&filter-lang=cql2-text", JSON),
], ids=["fast-path", "fast-path-bbox", "pygeoapi", "pygeoapi-filter"])
def test_an_items_page_links_to_this_page(ogc_client, query, headers):
    """self is this document's URL (this page: offset kept), the alternates this page in other formats."""
    response = ogc_client.get(f"/collections/components/items?{query}", headers=headers)
    assert response.status_code == 200, response.text
    asked = {k: v for k, v in parse_qs(query).items() if k != "f"}
    assert _links_to_itself(response.json()) == {"json": asked, "jsonld": asked, "html": asked}
    again = ogc_client.get(_link(response.json(), "self"), headers=headers).json()
    assert [f["id"] for f in again["features"]] == [f["id"] for f in response.json()["features"]]


def test_a_single_item_links_to_itself_with_its_parameters(ogc_client, conn):
    """A lat/lon item in EPSG:4490 as of now: self names the same version in the same CRS."""
    identifier = conn.execute("SELECT id FROM onemap.v_component WHERE geometry_type = 'point' "
                              "ORDER BY id LIMIT 1").fetchone()[0]
    asked = {"crs": f"{EPSG}4490", "as_of": _stamp(datetime.now(UTC))}
    body = _get(ogc_client, f"/collections/components/items/{identifier}", **asked)
    kept = {k: [v] for k, v in asked.items()}
    assert _links_to_itself(body) == {"json": kept, "jsonld": kept, "html": kept}
    again = ogc_client.get(_link(body, "self"), headers=JSON)
    assert again.headers["content-crs"] == f"<{EPSG}4490>"
    assert again.json()["geometry"] == body["geometry"]
