"""XYZ tiles decoded with mapbox_vector_tile and checked against the demo city in the database."""

import gzip

import mapbox_vector_tile
import morecantile
import pytest

from tests.tiles.conftest import CENTRE, tiles_client
from tiles.mvt import TILE_BUDGET_BYTES

WEB_MERCATOR = morecantile.tms.get("WebMercatorQuad")
ENVELOPE = "ST_TileEnvelope(%(z)s, %(x)s, %(y)s)"


def _tile(z: int) -> morecantile.Tile:
    return WEB_MERCATOR.tile(*CENTRE, z)


def _get(client, tileset: str, tile: morecantile.Tile, query: str = "") -> dict:
    response = client.get(f"/tiles/{tileset}/{tile.z}/{tile.x}/{tile.y}.mvt{query}")
    assert response.status_code == 200, response.text
    return mapbox_vector_tile.decode(response.content)


def _params(tile: morecantile.Tile) -> dict[str, int]:
    return {"z": tile.z, "x": tile.x, "y": tile.y}


def test_fused_tile_has_one_layer_per_role(client):
    response = client.get("/tiles/onemap/14/{0.x}/{0.y}.mvt".format(_tile(14)))
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    layers = mapbox_vector_tile.decode(response.content)
    assert {"admin", "grid", "roads", "components"} <= set(layers)
    assert set(layers) <= {"admin", "grid", "roads", "components", "cameras", "vehicles", "cases", "hotspots"}
    admin = layers["admin"]["features"]
    assert {f["properties"]["layer"] for f in admin} == {"counties", "streets", "communities"}
    assert all(f["properties"]["code"].startswith("440304") for f in admin)


def test_grid_codes_match_the_database(client, conn):
    tile = _tile(16)
    decoded = _get(client, "onemap", tile)
    codes = {f["properties"]["code"] for f in decoded["grid"]["features"]
             if f["properties"]["layer"] == "unit_grid"}
    # the tile keeps a 64/4096 buffer beyond its edges
    expected = {r[0] for r in conn.execute(
        f"SELECT code FROM onemap.v_unit_grid WHERE geom_3857 && {ENVELOPE} AND ST_Intersects(geom_3857, "
        f"ST_Expand({ENVELOPE}, (ST_XMax({ENVELOPE}) - ST_XMin({ENVELOPE})) * 64 / 4096))", _params(tile))}
    assert codes == expected
    assert all(len(code) == 15 for code in codes)


def test_components_at_high_zoom_are_raw_features_with_their_attributes(client, conn):
    tile = _tile(17)
    features = _get(client, "components", tile)["components"]["features"]
    rows = conn.execute(
        f"SELECT id, class_code, major_code, state FROM onemap.v_component "
        f"WHERE ST_Intersects(geom_3857, {ENVELOPE})", _params(tile)).fetchall()
    assert len(features) == len(rows) > 0
    by_id = {f["properties"]["id"]: f["properties"] for f in features}
    # only what the map draws and the id a click looks up (migration 0011); no name, no grid code
    for identifier, class_code, major, state in rows:
        assert by_id[identifier] == {"id": identifier, "class_code": class_code, "major_code": major,
                                     "state": state}


@pytest.mark.parametrize("z", [16, 17, 18], ids=["z16", "z17", "z18"])
def test_point_positions_agree_with_morecantile_tile_bounds(client, conn, z):
    tile = _tile(z)
    bounds = WEB_MERCATOR.xy_bounds(tile)
    rows = conn.execute(
        f"SELECT id, ST_X(geom_3857), ST_Y(geom_3857) FROM onemap.v_component "
        f"WHERE geometry_type = 'point' AND geom_3857 && {ENVELOPE}", _params(tile)).fetchall()
    assert rows
    decoded = {f["properties"]["id"]: f["geometry"]["coordinates"]
               for f in _get(client, "components", tile)["components"]["features"]}
    size = (bounds.right - bounds.left) / 4096
    for identifier, x, y in rows:  # mapbox_vector_tile flips y: origin at the bottom left
        px, py = decoded[identifier]
        assert abs(px - (x - bounds.left) / size) <= 1
        assert abs(py - (y - bounds.bottom) / size) <= 1


def test_low_zoom_components_are_aggregates_that_count_every_component(client, conn):
    total = 0
    west, south, east, north = conn.execute(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e "
        "FROM onemap.admin_area WHERE level = 'county') s").fetchone()
    for tile in WEB_MERCATOR.tiles(west, south, east, north, zooms=[12]):
        response = client.get(f"/tiles/components/12/{tile.x}/{tile.y}.mvt")
        if response.status_code == 204:
            continue
        features = mapbox_vector_tile.decode(response.content)["components"]["features"]
        assert len(features) <= 64 * 64
        total += sum(f["properties"]["count"] for f in features)
    assert total == conn.execute("SELECT count(*) FROM onemap.v_component").fetchone()[0]


def test_filtered_aggregates_count_the_filtered_components(client, conn):
    tile = _tile(14)
    features = _get(client, "components", tile, "?state=完好&class=01")["components"]["features"]
    expected = conn.execute(
        "SELECT count(*) FROM onemap.v_component WHERE state = '完好' AND class_code LIKE '01%%' "
        "AND ST_Intersects(geom_3857, ST_TileEnvelope(%(z)s, %(x)s, %(y)s)) "
        "AND (ST_XMin(geom_3857) + ST_XMax(geom_3857)) / 2 < ST_XMax(ST_TileEnvelope(%(z)s, %(x)s, %(y)s))",
        _params(tile)).fetchone()[0]
    assert 0 < sum(f["properties"]["count"] for f in features) <= expected


def test_cql2_filter_and_shortcuts_select_features(client, conn):
    tile = _tile(17)
    by_cql = _get(client, "components", tile, "?filter=class_code LIKE '01%'")["components"]["features"]
    assert by_cql and all(f["properties"]["class_code"].startswith("01") for f in by_cql)
    by_class = _get(client, "components", tile, "?class=01")["components"]["features"]
    assert {f["id"] for f in by_class} == {f["id"] for f in by_cql}
    fused = _get(client, "onemap", tile, "?class=01")
    assert {f["id"] for f in fused["components"]["features"]} == {f["id"] for f in by_cql}
    assert fused["grid"]["features"]  # the base layers are drawn unfiltered
    grid_code = conn.execute("SELECT grid_code FROM onemap.v_component WHERE id = %s",
                             (by_cql[0]["properties"]["id"],)).fetchone()[0]
    in_cell = {r[0] for r in conn.execute("SELECT id FROM onemap.v_component WHERE grid_code = %s",
                                          (grid_code,))}
    by_grid = _get(client, "components", tile, f"?grid={grid_code}")["components"]["features"]
    assert by_grid and {f["properties"]["id"] for f in by_grid} <= in_cell


@pytest.mark.parametrize("query", ["?filter=nosuch = 1", "?filter=class_code LIKE", "?class=x1",
                                   "?grid=12345678901234567", "?filter=name = 1 AND (", "?state=" + "x" * 30,
                                   "?state=完好,破坏", "?state=filed"],
                         ids=["unknown-property", "syntax", "class-not-digits", "grid-too-long",
                              "unbalanced", "state-too-long", "typo-state", "case-state-on-components"])
def test_bad_filters_are_400(client, query):
    tile = _tile(15)
    response = client.get(f"/tiles/components/{tile.z}/{tile.x}/{tile.y}.mvt{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameterValue"


@pytest.mark.parametrize(("tileset", "cql"), [("roads", "source = 'osm:futian'"),
                                            ("onemap", "vintage = 2024"),
                                            ("cameras", "fov_deg > 10"),
                                            ("components", "geometry_type = 'point'")],
                         ids=["road-source", "fused-admin-vintage", "camera-fov", "component-geometry-type"])
def test_a_filter_on_a_column_that_is_no_queryable_is_400(client, tileset, cql):
    """Tiles filter on what the items API filters on (/collections/{id}/queryables), no other column."""
    tile = _tile(15)
    response = client.get(f"/tiles/{tileset}/{tile.z}/{tile.x}/{tile.y}.mvt?filter={cql}")
    assert response.status_code == 400
    assert "queryables" in response.json()["description"]


def test_a_filter_on_queryables_and_the_geometry_is_taken(client):
    tile = _tile(15)
    box = ",".join(str(v) for v in WEB_MERCATOR.bounds(tile))
    roads = _get(client, "roads", tile, f"?filter=kind = 'primary' AND S_INTERSECTS(geometry, BBOX({box}))")
    assert roads["roads"]["features"]
    assert {f["properties"]["kind"] for f in roads["roads"]["features"]} == {"primary"}


def test_a_state_of_any_filtered_layer_is_taken(client):
    """The fused tileset filters components and cases on `state`: a state of either is a filter, one of
    neither is a 400 that names both lists."""
    tile = _tile(15)
    for state in ("完好", "filed"):
        response = client.get(f"/tiles/onemap/{tile.z}/{tile.x}/{tile.y}.mvt?state={state}")
        assert response.status_code == 200, state
    response = client.get(f"/tiles/onemap/{tile.z}/{tile.x}/{tile.y}.mvt?state=破坏")
    assert response.status_code == 400
    description = response.json()["description"]
    assert "完好/破损" in description and "reported/filed" in description


def test_layer_zoom_range_is_respected(client):
    layers = _get(client, "onemap", _tile(9))
    assert {f["properties"]["layer"] for f in layers["admin"]["features"]} == {"counties", "streets"}
    assert "roads" not in layers  # roads start at z12
    assert "components" not in layers  # point aggregates start at z10


def test_feature_ids_are_stable_across_tiles_and_requests(client):
    ids = []
    for z in (13, 14):
        decoded = _get(client, "streets", _tile(z))
        ids.append({f["properties"]["code"]: f["id"] for f in decoded["streets"]["features"]})
    shared = set(ids[0]) & set(ids[1])
    assert shared
    assert all(ids[0][code] == ids[1][code] for code in shared)
    assert all(0 < i < 2**53 for i in ids[0].values())


def test_every_city_tile_stays_within_the_size_budget(client, conn):
    west, south, east, north = conn.execute(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e "
        "FROM onemap.admin_area WHERE level = 'county') s").fetchone()
    for tile in WEB_MERCATOR.tiles(west, south, east, north, zooms=[10, 11, 12, 13, 14]):
        response = client.get(f"/tiles/onemap/{tile.z}/{tile.x}/{tile.y}.mvt",
                              headers={"Accept-Encoding": "identity"})
        assert len(response.content) <= TILE_BUDGET_BYTES, tile


def test_empty_area_gives_204(client):
    response = client.get("/tiles/onemap/14/0/0.mvt")
    assert response.status_code == 204
    assert response.content == b""


@pytest.mark.parametrize("zoom", [12, 15, 17])  # clustered points, raw roads and hotspots, raw everything
def test_a_tile_is_the_same_bytes_on_every_render(settings, db_url, zoom):
    """Rendered a dozen times uncached, past the point where each pooled connection switches to a
    prepared (generic) plan, the tile is byte for byte the same: its ETag names its data."""
    path = "/tiles/onemap/{0.z}/{0.x}/{0.y}.mvt".format(_tile(zoom))
    with tiles_client(settings, db_url, tiles_cache_mb=0.0) as uncached:
        bodies = {uncached.get(path, headers={"Accept-Encoding": "identity"}).content for _ in range(12)}
    assert len(bodies) == 1 and all(bodies)


def test_etag_round_trip_and_gzip(client):
    path = "/tiles/onemap/15/{0.x}/{0.y}.mvt".format(_tile(15))
    plain = client.get(path, headers={"Accept-Encoding": "identity"})
    etag = plain.headers["etag"]
    assert "content-encoding" not in plain.headers
    again = client.get(path, headers={"Accept-Encoding": "identity", "If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["etag"] == etag and again.content == b""
    zipped = client.get(path, headers={"Accept-Encoding": "gzip"})  # httpx decodes the body itself
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == plain.content
    assert zipped.headers["etag"] != etag
    assert client.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["etag"]}
                      ).status_code == 304
    assert gzip.compress(plain.content)  # the body is a valid MVT either way
    stale = client.get(path, headers={"If-None-Match": '"stale"', "Accept-Encoding": "identity"})
    assert stale.status_code == 200


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/tiles/onemap/25/0/0.mvt", 400, "InvalidParameterValue"),
        ("/tiles/onemap/3/8/0.mvt", 400, "InvalidParameterValue"),
        ("/tiles/onemap/3/-1/0.mvt", 400, "InvalidParameterValue"),
        ("/tiles/onemap/x/0/0.mvt", 400, "InvalidParameterValue"),
        ("/tiles/no_such_layer/3/0/0.mvt", 404, "NotFound"),
        ("/tiles/onemap;drop/3/0/0.mvt", 404, "NotFound"),
        ("/tiles/NoSuchTMS/3/0/0", 404, "NotFound"),
        ("/tiles/WorldCRS84Quad/1/0/4", 400, "InvalidParameterValue"),
    ],
    ids=["zoom-too-deep", "x-out-of-range", "negative-x", "zoom-not-a-number", "unknown-layer",
         "hostile-name", "unknown-tms", "crs84-col-out-of-range"],
)
def test_bad_tile_requests_get_ogc_exception_bodies(client, path, status, code):
    response = client.get(path)
    assert response.status_code == status
    assert response.json()["code"] == code


_PYRAMID_VS_COMPONENTS = """
SELECT k.level, k.gx, k.gy, left(c.class_code, 2), count(*)::bigint
FROM onemap.v_component c, onemap.tile_component_cells(
    (ST_XMin(c.geom_3857) + ST_XMax(c.geom_3857)) / 2, (ST_YMin(c.geom_3857) + ST_YMax(c.geom_3857)) / 2) k
GROUP BY 1, 2, 3, 4
EXCEPT ALL
SELECT level, gx, gy, major_code, n FROM onemap.tile_component_cell
"""


_SUMMARY_VS_COMPONENTS = """
SELECT coalesce(grid_code, floor(ST_XMin(geom_3857) / 1000) || ',' || floor(ST_YMin(geom_3857) / 1000)),
       scheme, class_code, count(*)::bigint
FROM onemap.v_component GROUP BY 1, 2, 3
EXCEPT ALL
SELECT cell, scheme, class_code, n FROM onemap.tile_component_count
"""


# two copies of every current component, nudged east; the second without a cell (counted per 1 km square)
_TWO_MORE_OF_EACH = """
INSERT INTO onemap.component (id, scheme, class_code, name, grid_code, street_code, community_code, state,
                              attributes, geometry_type, geom, changed_by, change_source)
SELECT left(id, 11) || lpad((500000 + row_number() OVER (PARTITION BY left(id, 11)))::text, 6, '0'),
       scheme, class_code, name, CASE WHEN s = 2 THEN NULL ELSE grid_code END, street_code, community_code,
       state, attributes, geometry_type, ST_Translate(geom, s * 0.0001, 0), 't', 't'
FROM onemap.v_component, generate_series(1, 2) AS s
"""


def _move_retire_and_delete(conn) -> None:
    """Move 300 current components, retire 5 (close their version) and delete 3: 8 fewer current."""
    current = "SELECT version_id FROM onemap.component WHERE valid_to IS NULL ORDER BY version_id"
    conn.execute(f"UPDATE onemap.component SET geom = ST_Translate(geom, 0.02, 0.01) "
                 f"WHERE version_id IN ({current} LIMIT 300)")
    conn.execute(f"UPDATE onemap.component SET valid_to = now() WHERE version_id IN ({current} DESC LIMIT 5)")
    conn.execute(f"DELETE FROM onemap.component WHERE version_id IN ({current} DESC LIMIT 3)")


def test_the_summary_counts_follow_a_bulk_insert_a_move_and_a_delete(conn):
    """The per-cell summary of low zooms (the count trigger, grouping by hashing since migration 0016)
    counts exactly the current components per cell and class after a bulk insert, a move, a
    retirement and a delete."""
    conn.execute(_TWO_MORE_OF_EACH)
    assert conn.execute(_SUMMARY_VS_COMPONENTS).fetchall() == []
    _move_retire_and_delete(conn)
    assert conn.execute(_SUMMARY_VS_COMPONENTS).fetchall() == []
    assert conn.execute("SELECT count(*) FROM onemap.tile_component_count WHERE n <= 0").fetchone()[0] == 0
    assert conn.execute("SELECT sum(n) FROM onemap.tile_component_count").fetchone()[0] == \
        conn.execute("SELECT count(*) FROM onemap.v_component").fetchone()[0]


def test_the_aggregate_pyramid_follows_every_write(conn):
    """The per-zoom cells of z10-z14 tiles count exactly the current components after an insert,
    a move, a retirement and a delete (migration 0008's statement triggers)."""
    levels = {r[0]: r[1] for r in conn.execute(
        "SELECT level, sum(n) FROM onemap.tile_component_cell GROUP BY level")}
    current = conn.execute("SELECT count(*) FROM onemap.v_component").fetchone()[0]
    assert levels == {level: current for level in range(16, 21)}
    _move_retire_and_delete(conn)
    assert conn.execute(_PYRAMID_VS_COMPONENTS).fetchall() == []
    assert conn.execute("SELECT count(*) FROM onemap.tile_component_cell WHERE n <= 0").fetchone()[0] == 0
    assert conn.execute("SELECT sum(n) FROM onemap.tile_component_cell WHERE level = 18").fetchone()[0] == \
        current - 8
