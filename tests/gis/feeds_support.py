"""Shared set-up of the feeds tests: a database with the demo fleet and cameras, and tokens."""

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
