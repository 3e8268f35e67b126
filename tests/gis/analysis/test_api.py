"""The /analysis HTTP API: GeoJSON hot spots (empty period included), the density COG, the layer refresh."""

from collections.abc import Iterator

import psycopg
import pytest
import rasterio
from fastapi.testclient import TestClient
from rasterio.io import MemoryFile

from gis.auth import create_token
from tests.gis.conftest import ogc_app_client

QUARTER = {"from": "2026-08-01", "to": "2026-10-31"}


@pytest.fixture(scope="module")
def client(settings, history_db_url) -> Iterator[TestClient]:
    with ogc_app_client(settings, history_db_url) as test_client:
        yield test_client


def _valid_feature_collection(body: dict) -> None:
    assert body["type"] == "FeatureCollection" and isinstance(body["features"], list)
    for feature in body["features"]:
        assert feature["type"] == "Feature" and feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert {"code", "cases", "z", "p", "bin"} <= set(feature["properties"])
        assert feature["properties"]["bin"] in range(-3, 4)


def test_an_empty_period_is_a_valid_empty_feature_collection(client):
    response = client.get("/analysis/hotspots", params={"from": "2019-01-01", "to": "2019-01-31"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    _valid_feature_collection(body)
    assert body["features"] == [] and body["properties"]["cases"] == 0


@pytest.mark.parametrize("level,units", [("grid", 1398), ("community", 33), ("street", 3)])
def test_hotspots_per_level(client, level, units):
    response = client.get("/analysis/hotspots", params={**QUARTER, "level": level, "class": "06,09"})
    assert response.status_code == 200
    body = response.json()
    _valid_feature_collection(body)
    assert len(body["features"]) == units
    assert sum(f["properties"]["cases"] for f in body["features"]) == body["properties"]["cases"] > 0
    if level == "grid":
        assert any(f["properties"]["bin"] == 3 for f in body["features"])


@pytest.mark.parametrize(
    "params",
    [
        {"level": "county"},
        {"from": "2026-13-01"},
        {"class": "06%"},
        {"from": "2026-02-01", "to": "2026-01-01"},
        {"permutations": "-1"},
        {"kind": "incident"},
    ],
    ids=["level", "date", "class", "reversed", "permutations", "kind"],
)
def test_bad_parameters_are_400(client, params):
    response = client.get("/analysis/hotspots", params=params)
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameterValue"


@pytest.mark.parametrize("days", [{"to": "0001-01-01"}, {"from": "0001-01-01", "to": "0001-01-02"},
                                  {"to": "9999-12-31"}], ids=["default-from", "first", "last"])
@pytest.mark.parametrize("path", ["/analysis/hotspots", "/analysis/density"])
def test_days_out_of_any_register_are_400(client, path, days):
    """No datetime arithmetic overflows into a 500: a year like 0001 or 9999 is a typo."""
    response = client.get(path, params=days)
    assert response.status_code == 400, response.text
    assert "outside 1900-01-01" in response.json()["description"]


def test_density_is_a_cog_in_the_gauss_kruger_zone(client):
    response = client.get("/analysis/density", params={**QUARTER, "cell_size": 20})
    assert response.status_code == 200 and response.headers["content-type"] == "image/tiff"
    with MemoryFile(response.content) as memory, memory.open() as dataset:
        assert dataset.crs == rasterio.crs.CRS.from_epsg(4547)  # CGCS2000 GK CM 114E (Shenzhen)
        assert dataset.transform.a == 20 and dataset.profile["tiled"]
        assert float(dataset.tags()["points"]) > 0


def test_density_of_an_empty_period_is_an_empty_raster(client):
    response = client.get(
        "/analysis/density", params={"from": "2019-01-01", "to": "2019-01-02", "cell_size": 50}
    )
    assert response.status_code == 200
    with MemoryFile(response.content) as memory, memory.open() as dataset:
        assert dataset.read(1).max() == 0


def test_refreshing_the_layer_needs_a_case_handler(client, history_db_url):
    assert client.post("/analysis/hotspots", params=QUARTER).status_code == 401
    with psycopg.connect(history_db_url) as conn:
        viewer = create_token(conn, name="viewer-analysis", role="viewer", created_by="tests")
        dispatcher = create_token(conn, name="dispatcher-analysis", role="dispatcher", created_by="tests")
        conn.commit()
        version = conn.execute("SELECT data_version FROM onemap.layer WHERE name = 'hotspots'").fetchone()[0]
    denied = client.post("/analysis/hotspots", params=QUARTER, headers={"Authorization": f"Bearer {viewer}"})
    assert denied.status_code == 403
    done = client.post(
        "/analysis/hotspots",
        params={**QUARTER, "class": "09006"},
        headers={"Authorization": f"Bearer {dispatcher}"},
    )
    assert done.status_code == 200 and done.json()["cells"] == 1398
    with psycopg.connect(history_db_url) as conn:
        rows = conn.execute(
            "SELECT count(*), min(class_codes), max(period_to) FROM onemap.v_hotspot"
        ).fetchone()
        assert rows[0] == 1398 and rows[1] == "09006" and str(rows[2]) == "2026-10-31"
        assert (
            conn.execute("SELECT data_version FROM onemap.layer WHERE name = 'hotspots'").fetchone()[0]
            > version
        )


def test_the_stored_result_is_the_hotspots_layer_of_the_fused_tileset(client, history_db_url):
    import mapbox_vector_tile
    import morecantile

    with psycopg.connect(history_db_url) as conn:
        lon, lat, code, bin_ = conn.execute(
            "SELECT ST_X(p), ST_Y(p), code, bin FROM (SELECT ST_PointOnSurface(geom) AS p, code, bin "
            "FROM onemap.v_hotspot ORDER BY bin DESC, code LIMIT 1) AS s").fetchone()
    tile = morecantile.tms.get("WebMercatorQuad").tile(lon, lat, 15)
    response = client.get(f"/tiles/onemap/{tile.z}/{tile.x}/{tile.y}.mvt")
    assert response.status_code == 200
    layers = mapbox_vector_tile.decode(response.content)
    assert "hotspots" in layers
    found = {f["properties"]["code"]: f["properties"] for f in layers["hotspots"]["features"]}
    assert found[code]["bin"] == bin_ > 0


def test_a_one_day_period_is_stored(client, history_db_url):
    """`to` is inclusive: from = to is one day's analysis, which the layer stores as such."""
    with psycopg.connect(history_db_url) as conn:
        token = create_token(conn, name="dispatcher-one-day", role="dispatcher", created_by="tests")
        conn.commit()
        day = str(conn.execute("SELECT (max(reported_at) AT TIME ZONE 'Asia/Shanghai')::date "
                               "FROM onemap.city_case").fetchone()[0])
    done = client.post("/analysis/hotspots", params={"from": day, "to": day},
                       headers={"Authorization": f"Bearer {token}"})
    assert done.status_code == 200, done.text
    with psycopg.connect(history_db_url) as conn:
        stored = conn.execute(
            "SELECT count(*), min(period_from), max(period_to) FROM onemap.v_hotspot").fetchone()
    assert stored[0] == done.json()["cells"] == 1398 and str(stored[1]) == str(stored[2]) == day
    assert done.json()["cases"] > 0
