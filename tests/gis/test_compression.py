"""Responses are gzip-encoded for clients that accept it: large JSON bodies, not small ones; tiles once."""

import gzip
import json

import httpx
import morecantile

from tests.tiles.conftest import CENTRE

GZIP = {"Accept-Encoding": "gzip"}
PLAIN = {"Accept-Encoding": "identity"}


def _raw(client, path: str, headers: dict[str, str]) -> tuple[httpx.Headers, bytes]:
    """The response's headers and its body as sent (not decoded by the client)."""
    with client.stream("GET", path, headers=headers) as response:
        assert response.status_code == 200
        return response.headers, b"".join(response.iter_raw())


def test_a_large_items_page_is_gzipped_and_decodes_to_the_same_features(ogc_client):
    path = "/collections/components/items?limit=500"
    zipped_headers, zipped = _raw(ogc_client, path, GZIP)
    plain_headers, plain = _raw(ogc_client, path, PLAIN)
    assert zipped_headers["content-encoding"] == "gzip" and "content-encoding" not in plain_headers
    assert "accept-encoding" in zipped_headers["vary"].lower()
    assert len(zipped) * 5 < len(plain)
    unzipped, original = json.loads(gzip.decompress(zipped)), json.loads(plain)
    unzipped.pop("timeStamp")
    original.pop("timeStamp")
    assert unzipped == original


def test_small_answers_and_tiles_are_not_compressed_again(ogc_client):
    assert "content-encoding" not in _raw(ogc_client, "/healthz", GZIP)[0]
    tile = morecantile.tms.get("WebMercatorQuad").tile(*CENTRE, 15)
    path = f"/tiles/onemap/{tile.z}/{tile.x}/{tile.y}.mvt"
    (zipped_headers, zipped), (_, plain) = _raw(ogc_client, path, GZIP), _raw(ogc_client, path, PLAIN)
    assert zipped_headers["content-encoding"] == "gzip"
    assert gzip.decompress(zipped) == plain  # one gzip layer, the tile's own
