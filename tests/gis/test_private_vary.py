"""Answers that differ per caller keep apart in a shared cache: a private layer is 404 to the anonymous and
200 to a token, and both answers say `Vary: Authorization`; the one built for a token is `private`."""

from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.gis.conftest import ogc_app_client
from tests.gis.feeds_support import FleetDb, bearer, private_layer

CAMERA = "44030400081326000001"
PATHS = ["/collections/cameras", "/collections/cameras/items", f"/collections/cameras/items/{CAMERA}",
         f"/feeds/cameras/{CAMERA}", "/tiles/cameras/tilejson.json"]
IDS = ["collection", "items", "item", "feed", "tilejson"]


@pytest.fixture(scope="module")
def client(settings, feeds: FleetDb) -> Iterator[TestClient]:
    """The app over the demo city and fleet whose `cameras` layer is private."""
    with private_layer(feeds.url, "cameras"), ogc_app_client(settings, feeds.url) as test_client:
        yield test_client


def _vary(response) -> list[str]:
    return [name.strip().lower() for name in response.headers.get("vary", "").split(",")]


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_the_anonymous_404_of_a_private_layer_varies_by_token(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "authorization" in _vary(response)


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_the_authorised_200_of_a_private_layer_varies_by_token_and_is_private(client, feeds, path):
    response = client.get(path, headers=bearer(feeds.viewer))
    assert response.status_code == 200
    assert "authorization" in _vary(response)
    assert "private" in response.headers["cache-control"]


def test_the_collections_list_differs_per_caller_and_says_so(client, feeds):
    anonymous = client.get("/collections", headers={"Accept": "application/json"})
    viewer = client.get("/collections", headers={"Accept": "application/json", **bearer(feeds.viewer)})
    assert "cameras" not in {c["id"] for c in anonymous.json()["collections"]}
    assert "cameras" in {c["id"] for c in viewer.json()["collections"]}
    assert "authorization" in _vary(anonymous) and "authorization" in _vary(viewer)
    assert "private" in viewer.headers["cache-control"]
    assert "private" not in anonymous.headers.get("cache-control", ""), "the anonymous answer stays shareable"


def test_a_route_that_chose_public_caching_keeps_it_for_a_token(client, feeds):
    """A public layer's tile is the same for every caller: the route's `public` is not overridden."""
    response = client.get("/tiles/roads/14/13372/7141.mvt", headers=bearer(feeds.viewer))
    assert response.status_code in (200, 204)
    assert response.headers["cache-control"].startswith("public")
    assert "authorization" in _vary(response)


def test_each_html_page_is_rendered_with_the_configuration_of_its_callers_api(client, feeds):
    """A private layer that no other test's configuration holds, added after pages were rendered: the
    anonymous list leaves it out, a token's page of it renders (it was a 500 while pygeoapi reused the
    first configuration it rendered with), and the anonymous list leaves it out again afterwards."""
    with psycopg.connect(feeds.url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO onemap.layer (name, title, description, kind, relation, id_column, properties, "
            "geometry_type, is_private, min_zoom, max_zoom, sort_order) "
            "SELECT 'cameras_night', '夜间摄像头', description, kind, relation, id_column, properties, "
            "geometry_type, true, min_zoom, max_zoom, sort_order FROM onemap.layer WHERE name = 'cameras'")
    html = {"Accept": "text/html"}
    assert "/collections/cameras_night" not in client.get("/collections", headers=html).text
    page = client.get("/collections/cameras_night", headers={**html, **bearer(feeds.viewer)})
    assert page.status_code == 200 and "夜间摄像头" in page.text
    listed = client.get("/collections", headers={**html, **bearer(feeds.viewer)})
    assert "/collections/cameras_night" in listed.text
    assert "/collections/cameras_night" not in client.get("/collections", headers=html).text
