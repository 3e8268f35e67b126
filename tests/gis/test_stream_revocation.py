"""An event stream opened with a token lasts only as long as the token: once it is revoked, the stream ends
with an `end` event within ONEMAP_FEEDS_STREAM_TOKEN_CHECK_S, instead of carrying private events for days."""

import asyncio
import json
import queue
import time
import uuid
from collections.abc import Iterator

import httpx
import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from gis.auth import create_token, revoke_token, token_hash
from layers.feeds_events import EventHub
from tests.gis.conftest import onemap_serve
from tests.gis.feeds_support import FleetDb, bearer, fix, private_layer, subscribe

CHECK_S = 0.5
HEARTBEAT = ": heartbeat\n\n"


@pytest.fixture(scope="module")
def base(feeds: FleetDb) -> Iterator[str]:
    """`onemap serve` re-checking stream tokens every CHECK_S, over a city whose vehicles layer is private
    (so the `vehicles` events a token's stream carries are private ones)."""
    with private_layer(feeds.url, "vehicles"), pytest.MonkeyPatch.context() as patch:
        patch.setenv("ONEMAP_FEEDS_STREAM_TOKEN_CHECK_S", str(CHECK_S))
        with onemap_serve(feeds.url) as url:
            yield url


def _next(events: "queue.Queue[tuple[str, str]]", timeout: float) -> tuple[str, str]:
    """The next event that is not a vehicle position."""
    deadline = time.monotonic() + timeout
    while True:
        kind, data = events.get(timeout=max(0.01, deadline - time.monotonic()))
        if kind != "vehicles":
            return kind, data


def _post_fix(base: str, feeds: FleetDb, vehicle: str) -> None:
    response = httpx.post(f"{base}/feeds/vehicles/fixes", headers=bearer(feeds.feeder),
                          json={"fixes": [fix(vehicle, lon=114.0323, lat=22.5434)]})
    assert response.json()["accepted"] == 1


def _viewer_token(feeds: FleetDb) -> tuple[str, str]:
    name = f"screen-{uuid.uuid4().hex[:6]}"
    with psycopg.connect(feeds.url) as conn:
        token = create_token(conn, name=name, role="viewer", created_by="pytest")
        conn.commit()
    return name, token


def _revoke(feeds: FleetDb, name: str) -> None:
    with psycopg.connect(feeds.url) as conn:
        revoke_token(conn, name)


def test_the_stream_of_a_revoked_token_ends_within_the_check_interval(feeds, base):
    name, token = _viewer_token(feeds)
    events = subscribe(base, bearer(token)).events
    _post_fix(base, feeds, "FT020")
    assert events.get(timeout=20)[0] == "vehicles", "the token's stream carries the private layer's events"
    _revoke(feeds, name)
    revoked_at = time.monotonic()
    kind, data = _next(events, timeout=10)
    ended_after = time.monotonic() - revoked_at
    assert kind == "end", (kind, data)
    assert json.loads(data)["code"] == "Unauthorized"
    assert "revoked" in json.loads(data)["description"]
    assert ended_after < CHECK_S + 2.0
    assert _next(events, timeout=10) == ("closed", ""), "the server closes the response after `end`"
    again = httpx.get(f"{base}/feeds/events", headers=bearer(token), timeout=10)
    assert again.status_code == 401


def test_the_stream_of_a_valid_token_outlives_its_checks_and_varies_by_token(feeds, base):
    stream = subscribe(base, bearer(feeds.viewer))
    assert stream.status == 200
    assert "Authorization" in [name.strip() for name in stream.headers["vary"].split(",")]
    assert stream.headers["cache-control"] == "no-store"
    time.sleep(4 * CHECK_S)
    _post_fix(base, feeds, "FT021")
    assert stream.events.get(timeout=20)[0] == "vehicles"
    assert stream.events.empty(), "nothing but events (no `end`) on the stream of a valid token"


def test_the_hub_ends_the_stream_of_a_revoked_token_and_no_other(feeds):
    """The listener checks every stream's token in one query every token_check_s; idle streams keep their
    heartbeats between checks, and only the revoked token's stream gets `end`."""
    name, token = _viewer_token(feeds)

    async def scenario() -> tuple[list[str], list[str], list[str]]:
        hub = EventHub(feeds.url, heartbeat_s=0.2, token_check_s=0.1)
        streams = revoked, valid, anonymous = (hub.stream(token_digest=token_hash(token)),
                                               hub.stream(token_digest=token_hash(feeds.viewer)),
                                               hub.stream(public_only=True))
        try:
            for stream in streams:
                assert (await anext(stream)).startswith("retry:")
            before = [await anext(revoked) for _ in range(3)]  # several checks pass meanwhile
            await asyncio.to_thread(_revoke, feeds, name)
            after = [chunk async for chunk in revoked]
            await asyncio.sleep(0.5)
            others = [await anext(valid), await anext(anonymous)]
        finally:
            await hub.close()
            for stream in streams:
                await stream.aclose()
        return before, after, others

    before, after, others = asyncio.run(asyncio.wait_for(scenario(), timeout=20))
    assert before == [HEARTBEAT] * 3
    assert after[-1] == ('event: end\ndata: {"code": "Unauthorized", "description": "the bearer token was '
                         'revoked: reconnect without it or with a valid token"}\n\n')
    assert set(after[:-1]) <= {HEARTBEAT}
    assert others == [HEARTBEAT, HEARTBEAT], "a valid token's or an anonymous stream ended"


def test_the_streams_opened_with_a_token_end_when_the_hub_loses_the_database(feeds):
    """Fail closed: while the listener is cut off nobody vouches for a token, so its stream ends (the client
    reconnects and is authenticated afresh); an anonymous stream stays."""
    conninfo = make_conninfo(feeds.url, application_name="onemap-test-hub")

    async def scenario() -> tuple[list[str], str]:
        hub = EventHub(conninfo, heartbeat_s=0.2, token_check_s=60)
        streams = with_token, anonymous = hub.stream(token_digest=token_hash(feeds.viewer)), hub.stream()
        try:
            for stream in streams:
                assert (await anext(stream)).startswith("retry:")
            async with await psycopg.AsyncConnection.connect(feeds.url, autocommit=True) as conn:
                await conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                   "WHERE application_name = 'onemap-test-hub'")
            ended = [chunk async for chunk in with_token]
            return ended, await anext(anonymous)
        finally:
            await hub.close()
            for stream in streams:
                await stream.aclose()

    ended, anonymous = asyncio.run(asyncio.wait_for(scenario(), timeout=20))
    assert json.loads(ended[-1].split("data: ", 1)[1])["code"] == "ServiceUnavailable"
    assert ended[-1].startswith("event: end\n")
    assert anonymous == HEARTBEAT
