"""The pygeoapi APIs of the current layer registry, built lazily and rebuilt when it changes.

Nothing is built at startup (the database may be down). The first OGC request reads the
registry and builds two `pygeoapi.api.API` objects (public, and with the private layers);
later requests re-check the registry's signature (count, max(updated_at), data versions)
at most every `ttl_s` seconds, so a survey import that adds per-class component layers
shows up within that time; writes through the API invalidate at once.
"""

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import anyio
import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from pygeoapi.api import API
from starlette.concurrency import run_in_threadpool

from gis.database import server_address
from gis.errors import DatabaseUnavailable
from gis.ogc.config import Registry, build_config, read_registry
from gis.ogc.openapi import build_openapi
from layers.registry import registry_signature

T = TypeVar("T")
MAX_BASE_URLS = 8  # APIs are kept per base URL (Host header); bounded so junk hosts cannot grow it


@dataclass(frozen=True)
class OgcApis:
    """The pygeoapi API of everyone, and the one that also shows private layers."""

    public: API
    private: API
    registry: Registry

    def for_caller(self, sees_private: bool) -> API:
        return self.private if sees_private else self.public


def _build(registry: Registry, base_url: str, pool_key: str, timezone: str) -> OgcApis:
    apis: dict[bool, API] = {}
    for private in (False, True):
        config: dict[str, Any] = build_config(registry, base_url=base_url, pool_key=pool_key,
                                              timezone=timezone, private=private)
        apis[private] = API(config, build_openapi(config))
    return OgcApis(apis[False], apis[True], registry)


class OgcService:
    """Holds the APIs; one per application."""

    def __init__(self, pool: AsyncConnectionPool, pool_key: str, *, ttl_s: float, threads: int,
                 timezone: str) -> None:
        self._pool = pool
        self._pool_key = pool_key
        self._timezone = timezone
        self._ttl_s = ttl_s
        self._thread_count = threads
        self._threads: anyio.CapacityLimiter | None = None  # made in the event loop, on first use
        self._registry: Registry | None = None
        self._checked_at = -float("inf")
        self._apis: OrderedDict[str, OgcApis] = OrderedDict()
        self._lock = asyncio.Lock()

    @property
    def pool_key(self) -> str:
        """Key of the synchronous pool the providers (and the fast path) borrow from."""
        return self._pool_key

    @property
    def zone(self) -> ZoneInfo:
        """The city's local time: dates and times in requests without an offset are read in it."""
        return ZoneInfo(self._timezone)

    async def read_in_thread(self, call: Callable[..., T], *args: Any) -> T:
        """Run a hot-path read (gis.ogc.fast: items pages, single items) in a worker thread, at most
        `threads` at once.

        The work is mostly Python holding the GIL: with a thread per request, sixteen concurrent
        requests took turns on it with the event loop, and the slowest waited longest
        (bench/ogc_threads.py compares the settings).
        pygeoapi's calls (HTML, CQL, metadata) keep the shared thread pool, so a slow one never
        holds up these reads.
        """
        if self._threads is None:
            self._threads = anyio.CapacityLimiter(self._thread_count)
        return await anyio.to_thread.run_sync(call, *args, limiter=self._threads)

    def invalidate(self) -> None:
        """Re-read the registry on the next request (after a write through the API)."""
        self._checked_at = -float("inf")

    async def apis(self, base_url: str) -> OgcApis:
        async with self._lock:
            registry = await self._current_registry()
            built = self._apis.get(base_url)
            if built is None or built.registry is not registry:
                built = await run_in_threadpool(_build, registry, base_url, self._pool_key, self._timezone)
                self._apis[base_url] = built
            self._apis.move_to_end(base_url)
            while len(self._apis) > MAX_BASE_URLS:
                self._apis.popitem(last=False)
            return built

    async def _current_registry(self) -> Registry:
        if self._registry is not None and time.monotonic() - self._checked_at < self._ttl_s:
            return self._registry
        try:
            async with self._pool.connection() as conn:
                if self._registry is None or await registry_signature(conn) != self._registry.signature:
                    self._registry = await read_registry(conn)
        except psycopg.errors.UndefinedTable as error:
            raise DatabaseUnavailable(
                "the database has no layer registry: run `onemap db migrate`") from error
        except (PoolTimeout, psycopg.OperationalError) as error:
            detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise DatabaseUnavailable(
                f"the database is unavailable ({_where(self._pool)}): {detail}") from error
        self._checked_at = time.monotonic()
        return self._registry


def _where(pool: AsyncConnectionPool) -> str:
    try:
        return str(server_address(str(pool.conninfo)))
    except Exception:
        return "PostgreSQL"
