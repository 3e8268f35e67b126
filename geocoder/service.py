"""The service's gazetteer snapshot (rebuilt when the gazetteer version changes) and the threads that
geocode synchronous batches."""

import asyncio
import gc
import time
from collections.abc import Callable
from typing import TypeVar

import anyio
import psycopg
from fastapi import Request
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from geocoder import gazetteer
from geocoder.gazetteer import Gazetteer
from gis.errors import DatabaseUnavailable

T = TypeVar("T")
# Synchronous batches (the JSON batch, the geocode process) geocoding at once per server process; the
# others wait their turn. The work holds the GIL, so more threads would share one core (reasoned, not
# measured); two let a small batch start while a large one runs.
BATCH_THREADS = 2


class GazetteerCache:
    """One snapshot per process; the version is re-read at most every `ttl_s` seconds.

    Only the first request waits for the snapshot; later ones are answered from the current one
    while a background task checks the version and rebuilds, so no request pays a database round trip.
    """

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._snapshot: Gazetteer | None = None
        self._checked = 0.0
        self._lock = asyncio.Lock()
        self._refresh: asyncio.Task[None] | None = None

    async def get(self, pool: AsyncConnectionPool) -> Gazetteer:
        snapshot = self._snapshot
        if snapshot is None:
            async with self._lock:
                if self._snapshot is None:
                    await self._update(pool)
            assert self._snapshot is not None
            return self._snapshot
        if time.monotonic() - self._checked >= self.ttl_s and (self._refresh is None or self._refresh.done()):
            self._checked = time.monotonic()
            self._refresh = asyncio.create_task(self._update(pool))
        return snapshot

    async def _update(self, pool: AsyncConnectionPool) -> None:
        try:
            async with pool.connection() as conn:
                row = await (await conn.execute(gazetteer.VERSION_SQL)).fetchone()
                version = int(row[0]) if row else 0
                if self._snapshot is None or self._snapshot.version != version:
                    rows = await gazetteer.fetch_rows_async(conn)
                    # building (≈ 1 s the first time: the national tables) must not block the loop
                    self._snapshot = await asyncio.to_thread(_build, rows)
        except (psycopg.Error, PoolTimeout) as error:
            if self._snapshot is None:
                raise DatabaseUnavailable(f"gazetteer unreadable: {type(error).__name__}") from None
            # the database is down: keep answering from the last snapshot
        self._checked = time.monotonic()


def _build(rows: dict[str, list[tuple]]) -> Gazetteer:
    """A new snapshot, moved out of the garbage collector's generations.

    The snapshot and the national tables are ≈ 500k long-lived objects: a full collection walks
    them all (≈ 150 ms on a busy machine), a pause that would land in some request's latency.
    Frozen objects are never scanned again; a replaced snapshot holds no reference cycles and is
    still freed by reference counting."""
    snapshot = gazetteer.build(rows)
    snapshot.warm()
    gc.collect()
    gc.freeze()
    return snapshot


async def snapshot(request: Request) -> Gazetteer:
    """The app's current gazetteer snapshot (the cache lives in app.state, created on first use)."""
    state = request.app.state
    if getattr(state, "gazetteer", None) is None:
        state.gazetteer = GazetteerCache(state.settings.registry_ttl_s)
    cache: GazetteerCache = state.gazetteer
    return await cache.get(state.pool)


async def in_batch_thread(request: Request, call: Callable[[], T]) -> T:
    """Run a synchronous batch in a worker thread (at most BATCH_THREADS at once), so the event loop
    keeps answering the worker's other requests; as gis.ogc.service.OgcService.read_in_thread."""
    state = request.app.state
    if getattr(state, "geocode_batch_threads", None) is None:  # made in the event loop, on first use
        state.geocode_batch_threads = anyio.CapacityLimiter(BATCH_THREADS)
    return await anyio.to_thread.run_sync(call, limiter=state.geocode_batch_threads)
