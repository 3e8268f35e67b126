"""HEAD on every GET resource answers the GET's status and headers without a body (RFC 9110 §9.3.2)."""

import asyncio

import morecantile
import pytest
from starlette.types import Message, Receive, Scope, Send

from gis.head_requests import AnswerHeadAsGet
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


START: Message = {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"10")]}


async def _get_in_two_parts(scope: Scope, receive: Receive, send: Send) -> None:
    assert scope["method"] == "GET"
    await send(START)
    await send({"type": "http.response.body", "body": b"hello", "more_body": True})
    await send({"type": "http.response.body", "body": b"world", "more_body": False})


def test_the_head_middleware_sends_the_get_s_start_and_one_empty_body():
    """What reaches the server (the TestClient drops a HEAD response's body itself): the start, one empty last
    body message, and none of the GET's body messages after it."""
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "HEAD", "path": "/", "headers": [], "query_string": b""}
    asyncio.run(AnswerHeadAsGet(_get_in_two_parts)(scope, receive, send))
    assert sent == [START, {"type": "http.response.body", "body": b"", "more_body": False}]
