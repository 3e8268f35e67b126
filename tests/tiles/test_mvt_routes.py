"""XYZ tiles decoded with mapbox_vector_tile, from the demo city in the test database."""

import mapbox_vector_tile
import morecantile
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from gis.app import create_app

CENTRE = (114.02, 22.535)  # 车公庙, inside the demo city


@pytest.fixture(scope="module")
def client(settings, db_url):
    app = create_app(settings.model_copy(update={"database_url": SecretStr(db_url)}))
    with TestClient(app) as test_client:
        yield test_client


def _tile_path(tileset: str, z: int) -> str:
    tile = morecantile.tms.get("WebMercatorQuad").tile(*CENTRE, z)
    return f"/tiles/{tileset}/{tile.z}/{tile.x}/{tile.y}.mvt"


def test_fused_tile_holds_every_public_layer_visible_at_its_zoom(client):
    response = client.get(_tile_path("onemap", 14))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    layers = mapbox_vector_tile.decode(response.content)
    assert {"counties", "streets", "communities", "roads"} <= set(layers)
    community = layers["communities"]["features"][0]
    assert set(community["properties"]) == {"code", "name", "street_code"}
    assert community["properties"]["code"].startswith("440304")


def test_layer_zoom_range_is_respected(client):
    layers = mapbox_vector_tile.decode(client.get(_tile_path("onemap", 9)).content)
    assert "streets" in layers
    assert "communities" not in layers  # communities start at z10
    assert "roads" not in layers  # roads start at z12


def test_feature_ids_are_stable_across_tiles_and_requests(client):
    ids = []
    for z in (13, 14):
        decoded = mapbox_vector_tile.decode(client.get(_tile_path("streets", z)).content)
        ids.append({f["properties"]["code"]: f["id"] for f in decoded["streets"]["features"]})
    shared = set(ids[0]) & set(ids[1])
    assert shared
    assert all(ids[0][code] == ids[1][code] for code in shared)


def test_empty_area_gives_an_empty_tile(client):
    response = client.get("/tiles/onemap/14/0/0.mvt")
    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/tiles/onemap/25/0/0.mvt", 400, "InvalidParameterValue"),
        ("/tiles/onemap/3/8/0.mvt", 400, "InvalidParameterValue"),
        ("/tiles/onemap/3/-1/0.mvt", 400, "InvalidParameterValue"),
        ("/tiles/no_such_layer/3/0/0.mvt", 404, "NotFound"),
        ("/tiles/onemap;drop/3/0/0.mvt", 404, "NotFound"),
    ],
    ids=["zoom-too-deep", "x-out-of-range", "negative-x", "unknown-layer", "hostile-name"],
)
def test_bad_tile_requests_get_ogc_exception_bodies(client, path, status, code):
    response = client.get(path)
    assert response.status_code == status
    assert response.json()["code"] == code
