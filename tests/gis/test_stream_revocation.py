"""An event stream opened with a token lasts only as long as the token: once it is revoked, the stream ends
with an `end` event within ONEMAP_FEEDS_STREAM_TOKEN_CHECK_S, instead of carrying private events for days."""

import asyncio
import json
import queue
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import psycopg
import pytest

from gis.auth import create_token, revoke_token
from gis.errors import Unauthorized
from layers.feeds_events import EventHub
from tests.gis.conftest import onemap_serve
from tests.gis.feeds_support import FleetDb, bearer, fix, read_stream

CHECK_S = 0.5
Events = "queue.Queue[tuple[str, str]]"


@pytest.fixture(scope="module")
def base(feeds: FleetDb) -> Iterator[str]:
    """`onemap serve` re-checking stream tokens every CHECK_S, over a city whose vehicles layer is private
    (so the `vehicles` events a token's stream carries are private ones)."""
    with psycopg.connect(feeds.url, autocommit=True) as conn:
        conn.execute("UPDATE onemap.layer SET is_private = true WHERE name = 'vehicles'")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ONEMAP_FEEDS_STREAM_TOKEN_CHECK_S", str(CHECK_S))
        with onemap_serve(feeds.url) as url:
            yield url


def _read(base: str, token: str, into: Events) -> None:
    """Puts ("headers", json), then (event, data) per event, then ("closed", "") when the server ends it."""
    try:
        with httpx.stream("GET", f"{base}/feeds/events", headers=bearer(token),
                          timeout=httpx.Timeout(30, read=60)) as response:
            into.put(("headers", json.dumps({"status": response.status_code, **response.headers})))
            read_stream(response, into)
        into.put(("closed", ""))
    except httpx.HTTPError as error:
        into.put(("error", repr(error)))


def _subscribe(base: str, token: str) -> tuple[Events, dict[str, str]]:
    """A reader of the token's event stream in a thread, once connected, and the stream's headers."""
    events: Events = queue.Queue()
    threading.Thread(target=_read, args=(base, token, events), daemon=True).start()
    kind, headers = events.get(timeout=20)
    assert kind == "headers"
    assert events.get(timeout=20) == ("connected", "")
    return events, json.loads(headers)


def _next(events: Events, timeout: float) -> tuple[str, str]:
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


def test_the_stream_of_a_revoked_token_ends_within_the_check_interval(feeds, base):
    name, token = _viewer_token(feeds)
    events, _ = _subscribe(base, token)
    _post_fix(base, feeds, "FT020")
    assert events.get(timeout=20)[0] == "vehicles", "the token's stream carries the private layer's events"
    with psycopg.connect(feeds.url) as conn:
        revoke_token(conn, name)
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
    events, headers = _subscribe(base, feeds.viewer)
    assert headers["status"] == 200
    assert "Authorization" in [name.strip() for name in headers["vary"].split(",")]
    assert headers["cache-control"] == "no-store"
    time.sleep(4 * CHECK_S)
    _post_fix(base, feeds, "FT021")
    assert events.get(timeout=20)[0] == "vehicles"
    assert events.empty(), "nothing but events (no `end`) on the stream of a valid token"


def test_an_idle_stream_keeps_its_heartbeats_between_checks_and_ends_at_the_first_refusal(db_url):
    """The hub runs the check every check_every_s when no event comes, without holding heartbeats back."""
    async def scenario() -> tuple[list[str], int]:
        hub = EventHub(db_url, heartbeat_s=0.3)
        checks = 0

        async def check() -> Unauthorized | None:
            nonlocal checks
            checks += 1
            return Unauthorized("the bearer token was revoked") if checks == 8 else None

        try:
            chunks = [chunk async for chunk in hub.stream(check=check, check_every_s=0.1)]
        finally:
            await hub.close()
        return chunks, checks

    chunks, checks = asyncio.run(asyncio.wait_for(scenario(), timeout=20))
    assert checks == 8
    assert chunks[0].startswith("retry:") and ": heartbeat\n\n" in chunks
    assert chunks[-1] == ('event: end\ndata: {"code": "Unauthorized", '
                          '"description": "the bearer token was revoked"}\n\n')
