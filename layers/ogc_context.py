"""The one seam between onemap's OGC router and the providers pygeoapi instantiates.

pygeoapi builds a provider object for every request from its configuration dict, so a
provider can neither be handed a connection nor see the HTTP request. Two things cross
that boundary, and only here:

* a module-level registry of synchronous connection pools, keyed by (a digest of) the
  database URL: the app factory registers its database once (`register_pool`), the
  configuration names the key, and every provider borrows from that pool instead of
  opening a connection per request. The digest keeps the password out of pygeoapi's
  configuration, which its HTML templates can render.
* the `OgcRequest` the router parsed (the caller, the CQL2 filter, the HTTP method of a
  write), carried by a context variable that the router sets around each pygeoapi call.
"""

import hashlib
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool
from pygeofilter import ast

from gis.crs import CRS84, CrsRef

_POOLS: dict[str, tuple[ConnectionPool, int]] = {}  # key -> (pool, number of registrations)
_LOCK = threading.Lock()
STATEMENT_TIMEOUT_MS = 15_000  # no OGC request may hold a connection longer
CHECK_AFTER_IDLE_S = 2.0
_IDLE_SINCE: "weakref.WeakKeyDictionary[psycopg.Connection, float]" = weakref.WeakKeyDictionary()


def _configure(conn: psycopg.Connection) -> None:
    # No parallel workers: an OGC request is a short query among many concurrent ones, and on
    # a small server starting workers for a bbox page (PostgreSQL picks a parallel bitmap scan
    # over unclustered rows) costs more than it saves: 40-70 ms instead of 5-12 ms per page.
    conn.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}; SET max_parallel_workers_per_gather = 0")


def _mark_idle(conn: psycopg.Connection) -> None:
    _IDLE_SINCE[conn] = time.monotonic()


def _check(conn: psycopg.Connection) -> None:
    """Ping a connection before lending it only when it sat idle (a server restart breaks idle
    connections); under load connections come straight back and skip that extra round trip."""
    if time.monotonic() - _IDLE_SINCE.get(conn, 0.0) > CHECK_AFTER_IDLE_S:
        ConnectionPool.check_connection(conn)


def pool_key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def register_pool(url: str, *, min_size: int, max_size: int, timeout_s: float) -> str:
    """Create (or share) the pool of this database and open it in the background; return its key."""
    key = pool_key(url)
    with _LOCK:
        pool, users = _POOLS.get(key, (None, 0))
        if pool is None or pool.closed:
            # autocommit: a read is one round trip per statement, no BEGIN/COMMIT; writes open
            # their transactions explicitly (conn.transaction())
            pool = ConnectionPool(
                url, min_size=min_size, max_size=max_size, timeout=timeout_s, open=False,
                kwargs={"connect_timeout": max(1, round(timeout_s)), "autocommit": True,
                        "application_name": "onemap-ogc"},
                configure=_configure, reset=_mark_idle, check=_check, max_idle=60.0,
                name=f"onemap-ogc-{key[:6]}")
            # wait=False: a database that is down must not stop the service from starting.
            pool.open(wait=False)
            users = 0
        _POOLS[key] = (pool, users + 1)
    return key


def release_pool(key: str) -> None:
    """Drop one registration; the pool closes when the last app that registered it stops."""
    with _LOCK:
        pool, users = _POOLS.get(key, (None, 0))
        if pool is None:
            return
        if users > 1:
            _POOLS[key] = (pool, users - 1)
            return
        del _POOLS[key]
    pool.close()


def pool(key: str) -> ConnectionPool:
    with _LOCK:
        entry = _POOLS.get(key)
    if entry is None:
        raise LookupError(f"no database pool is registered under {key!r}")
    return entry[0]


@dataclass(frozen=True)
class OgcRequest:
    """What the router parsed from one request, for the provider pygeoapi creates for it."""

    actor: str | None = None  # name of the caller's token (writes record it as their actor)
    filter: ast.Node | None = None  # the CQL2 `filter`, parsed (text or JSON)
    filter_crs: CrsRef = CRS84  # CRS of the filter's geometry literals (`filter-crs`)
    bbox: tuple[float, float, float, float] | None = None  # `bbox` (in `bbox-crs`) as lon/lat, EPSG:4490
    content_crs: CrsRef = CRS84  # CRS of a written feature's geometry (`Content-Crs`)
    method: str = "GET"  # PUT replaces a feature, PATCH merges properties into it
    if_match: str | None = None  # a write's If-Match header: the versions it may replace (RFC 9110)
    params: tuple[tuple[str, str], ...] = ()  # a single item's query parameters (pygeoapi hands get() none)
    outcome: dict[str, Any] = field(default_factory=dict)  # what the provider reports back


_CURRENT: ContextVar[OgcRequest | None] = ContextVar("onemap_ogc_request", default=None)


def current_request() -> OgcRequest:
    """The request the router is serving in this thread (an empty one outside a request)."""
    return _CURRENT.get() or OgcRequest()


@contextmanager
def serving(request: OgcRequest) -> Iterator[None]:
    """Make `request` the current one in this thread for the duration of a pygeoapi call."""
    token = _CURRENT.set(request)
    try:
        yield
    finally:
        _CURRENT.reset(token)
