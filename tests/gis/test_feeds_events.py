"""The push channel of a real `onemap serve`: a posted fix reaches SSE clients, anonymous ones too while
the vehicles layer is public; SIGTERM ends the streams."""

import json
import signal
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import psycopg
import pytest

from tests.gis.conftest import onemap_serve, start_onemap_serve
from tests.gis.feeds_support import FleetDb, bearer, fix, subscribe


@pytest.fixture(scope="module")
def base(feeds: FleetDb) -> Iterator[str]:
    with onemap_serve(feeds.url) as url:
        yield url


def test_a_posted_fix_reaches_an_sse_subscriber_with_read_private(feeds, base):
    viewer = subscribe(base, bearer(feeds.viewer))
    assert (viewer.status, viewer.headers["content-type"]) == (200, "text/event-stream; charset=utf-8")
    now = datetime.now(UTC)
    response = httpx.post(
        f"{base}/feeds/vehicles/fixes",
        headers=bearer(feeds.feeder),
        json={"fixes": [fix("FT010", lon=114.0321, lat=22.5432, t=now)]},
    )
    assert response.json()["accepted"] == 1
    event, data = viewer.events.get(timeout=20)
    viewer.stop.set()
    assert event == "vehicles"
    [position] = json.loads(data)
    assert (position["id"], position["plate"], position["lon"], position["lat"]) == (
        "FT010",
        "粤B1010C",
        114.0321,
        22.5432,
    )
    assert datetime.fromisoformat(position["t"]) == now


def test_an_anonymous_subscriber_gets_the_positions_and_case_changes_of_public_layers(feeds, base):
    """The latest positions are as public as the vehicles layer (its tiles, GET /feeds/vehicles)."""
    anonymous, viewer = subscribe(base), subscribe(base, bearer(feeds.viewer))
    assert anonymous.status == viewer.status == 200
    response = httpx.post(f"{base}/feeds/vehicles/fixes", headers=bearer(feeds.feeder),
                          json={"fixes": [fix("FT012", lon=114.0322, lat=22.5433)]})
    assert response.json()["accepted"] == 1
    with psycopg.connect(feeds.url, autocommit=True) as conn:  # a later event both may receive
        conn.execute("""SELECT pg_notify('onemap_cases', '{"id": 1, "state": "filed"}')""")
    got_viewer = [viewer.events.get(timeout=20)[0], viewer.events.get(timeout=20)[0]]
    got_anonymous = [anonymous.events.get(timeout=20)[0], anonymous.events.get(timeout=20)[0]]
    anonymous.stop.set()
    viewer.stop.set()
    assert got_viewer == got_anonymous == ["vehicles", "cases"]


def test_sigterm_ends_open_event_streams_and_the_server_exits(feeds):
    process, base = start_onemap_serve(feeds.url)
    try:
        stream = subscribe(base)
        process.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal it captured: -SIGTERM, within seconds
        assert process.wait(timeout=10) in (0, -signal.SIGTERM)
        stream.reader.join(timeout=5)
        assert not stream.reader.is_alive(), "the client's stream did not end"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
