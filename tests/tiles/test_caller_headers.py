"""Tile documents whose content depends on the caller's token say so to caches (Vary, Cache-Control)."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.gis.feeds_support import bearer, fleet_db, private_layer
from tests.tiles.conftest import tiles_client

DOCUMENTS = ["/tiles/onemap/tilejson.json", "/tiles/onemap/style.json", "/tiles/vehicles/tilejson.json",
             "/collections/vehicles/tiles/WebMercatorQuad"]


@pytest.fixture(scope="module")
def private_vehicles(settings, server_url: str, db_url: str) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The app over a database whose `vehicles` layer is private, and a viewer's Authorization header."""
    with (fleet_db(server_url, "onemap_test_tile_headers") as fleet, private_layer(fleet.url, "vehicles"),
          tiles_client(settings, fleet.url) as client):
        yield client, bearer(fleet.viewer)


@pytest.mark.parametrize("path", DOCUMENTS, ids=["tilejson", "style", "layer-tilejson", "ogc-tileset"])
def test_a_document_built_for_a_token_is_kept_out_of_shared_caches(private_vehicles, path):
    client, viewer = private_vehicles
    response = client.get(path, headers=viewer)
    assert response.status_code == 200
    assert "Authorization" in response.headers["vary"].split(", ")
    assert response.headers["cache-control"] == "private"


@pytest.mark.parametrize("path", DOCUMENTS[:2], ids=["tilejson", "style"])
def test_the_public_fused_documents_vary_by_token_and_leave_the_private_layer_out(private_vehicles, path):
    client, viewer = private_vehicles
    anonymous = client.get(path)
    assert anonymous.status_code == 200
    assert "Authorization" in anonymous.headers["vary"].split(", ")
    assert "vehicles" not in anonymous.text
    assert "vehicles" in client.get(path, headers=viewer).text
