"""HEAD on every GET resource answers the GET's status and headers without a body (RFC 9110 §9.3.2)."""

import morecantile
import pytest

from tests.tiles.conftest import CENTRE

IDENTITY = {"Accept-Encoding": "identity"}  # the length of an uncompressed body, the same on every call
TILE = morecantile.tms.get("WebMercatorQuad").tile(*CENTRE, 14)
PATHS = ["/", "/collections", "/collections/components/items?limit=2", "/collections/components/items/{id}",
         f"/tiles/onemap/14/{TILE.x}/{TILE.y}.mvt", "/tiles/onemap/tilejson.json", "/tiles", "/healthz"]


@pytest.fixture(scope="module")
def feature_id(ogc_client) -> str:
    return str(ogc_client.get("/collections/components/items?limit=1").json()["features"][0]["id"])


@pytest.mark.parametrize("path", PATHS, ids=PATHS)
def test_head_answers_the_headers_of_get(ogc_client, feature_id, path):
    path = path.format(id=feature_id)
    got = ogc_client.get(path, headers=IDENTITY)
    head = ogc_client.head(path, headers=IDENTITY)
    assert (head.status_code, got.status_code) == (200, 200), head.text
    assert head.content == b""
    for name in ("content-type", "content-length", "content-language", "vary", "etag"):
        assert head.headers.get(name) == got.headers.get(name), name


def test_head_has_the_length_of_the_compressed_get(ogc_client):
    got, head = ogc_client.get("/collections"), ogc_client.head("/collections")
    assert head.headers["content-encoding"] == got.headers["content-encoding"] == "gzip"
    assert head.headers["content-length"] == got.headers["content-length"]


def test_head_of_a_missing_feature_is_the_get_404(ogc_client):
    head = ogc_client.head("/collections/components/items/no-such-feature")
    assert head.status_code == ogc_client.get("/collections/components/items/no-such-feature").status_code
    assert head.status_code == 404 and head.content == b""


def test_head_of_an_event_stream_answers_at_once(ogc_client):
    head = ogc_client.head("/feeds/events")
    assert head.status_code == 200 and head.headers["content-type"].startswith("text/event-stream")


@pytest.mark.parametrize("method, path", [("POST", f"/tiles/onemap/14/{TILE.x}/{TILE.y}.mvt"),
                                          ("DELETE", "/healthz"), ("PUT", "/collections")])
def test_a_405_on_a_get_resource_allows_head_too(ogc_client, method, path):
    response = ogc_client.request(method, path)
    assert response.status_code == 405
    assert [m.strip() for m in response.headers["allow"].split(",")][:2] == ["GET", "HEAD"]
