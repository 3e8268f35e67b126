"""Shared set-up of the feeds tests: a database with the demo fleet and cameras, tokens, private layers and
readers of the event stream."""

import queue
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg

from gis.auth import create_token
from gis.demo import fleet
from tests.conftest import template_clone


@dataclass(frozen=True)
class FleetDb:
    url: str
    feeder: str  # dispatcher: ingest_feeds + read_private
    viewer: str  # read_private only
    admin: str


@contextmanager
def fleet_db(server_url: str, prefix: str) -> Iterator[FleetDb]:
    """A template clone with the demo cameras and vehicles loaded and three tokens."""
    with template_clone(server_url, prefix) as url:
        with psycopg.connect(url) as conn:
            fleet.load(conn)
            tokens = {
                role: create_token(
                    conn, name=f"{role}-{uuid.uuid4().hex[:6]}", role=role, created_by="pytest"
                )
                for role in ("dispatcher", "viewer", "admin")
            }
            conn.commit()
        yield FleetDb(url, tokens["dispatcher"], tokens["viewer"], tokens["admin"])


@contextmanager
def private_layer(url: str, layer: str) -> Iterator[None]:
    """The layer is private for the block."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE onemap.layer SET is_private = true WHERE name = %s", (layer,))
        try:
            yield
        finally:
            conn.execute("UPDATE onemap.layer SET is_private = false WHERE name = %s", (layer,))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def fix(
    vehicle: str = "FT001",
    *,
    lon: float = 114.03,
    lat: float = 22.54,
    t: datetime | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A plausible fix in the demo city, now unless `t` is given."""
    return {
        "vehicle": vehicle,
        "time": (t or datetime.now(UTC)).isoformat(),
        "lon": lon,
        "lat": lat,
        "speed": 20.0,
        "heading": 90.0,
        **extra,
    }


def read_stream(response: httpx.Response, into: "queue.Queue[tuple[str, str]]",
                stop: threading.Event | None = None) -> None:
    """Put (event, data) per event of an open event stream, and ("connected", "") at its first comment, until
    the server ends it or `stop` is set."""
    event = None
    for line in response.iter_lines():
        if stop is not None and stop.is_set():
            return
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: ") and event:
            into.put((event, line[6:]))
        elif line.startswith(": connected"):
            into.put(("connected", ""))


@dataclass(frozen=True)
class Subscription:
    """An event stream read in a thread: the answer's status and headers; in `events`, what read_stream puts,
    then ("closed", "") when the server ends the stream (or ("error", …)). Setting `stop` ends the reading
    at the next line."""

    status: int
    headers: httpx.Headers
    events: "queue.Queue[tuple[str, str]]"
    stop: threading.Event
    reader: threading.Thread


def subscribe(base: str, headers: dict[str, str] | None = None) -> Subscription:
    """A reader of `base`'s /feeds/events in a thread, returned once the stream says it is connected."""
    events: queue.Queue[tuple[str, str]] = queue.Queue()
    opened: queue.Queue[httpx.Response | httpx.HTTPError] = queue.Queue()
    stop = threading.Event()

    def read() -> None:
        try:
            with httpx.stream("GET", f"{base}/feeds/events", headers=headers,
                              timeout=httpx.Timeout(30, read=60)) as response:
                opened.put(response)
                read_stream(response, events, stop)
            events.put(("closed", ""))
        except httpx.HTTPError as error:
            opened.put(error)
            events.put(("error", repr(error)))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    response = opened.get(timeout=20)
    if isinstance(response, httpx.HTTPError):
        raise response
    assert events.get(timeout=20) == ("connected", ""), f"the stream answered {response.status_code}"
    return Subscription(response.status_code, response.headers, events, stop, reader)
