"""The push channel: one LISTEN connection per server process, fanned out to server-sent-event clients.

PostgreSQL notifications on ``onemap_vehicles`` and ``onemap_cases`` become SSE events named
``vehicles`` and ``cases`` whose data is the notification payload unchanged. Each client has a
bounded queue: a client too slow to drain it loses the oldest events (positions are
superseded by newer ones anyway) instead of holding memory or the listener back.

An event is named after the kind of the layers it belongs to (``vehicles``, ``cases``). A public-only
subscriber (a caller without ``read_private``) gets the events of no kind with a private layer: the
latest positions the ``vehicles`` events carry are as public as the layer that shows them (its tiles,
``GET /feeds/vehicles``); the tracks, the history of fixes, stay private (docs/feeds.md). The listener
reads the privacy flags from the app's LayerCache (as the feed routes and tiles do) before it listens,
then every ``ttl_s`` of that cache (at most once a second).

A stream opened with a bearer token re-checks it every ``check_every_s`` (the route passes
``ONEMAP_FEEDS_STREAM_TOKEN_CHECK_S``): once the token is revoked, the stream ends with an ``end`` event
(an OGC exception body saying why) instead of carrying private events for as long as the client stays.

A case turns due soon or overdue with time alone, with no write to announce it; while anyone
listens, one server process (the holder of an advisory lock, so several workers do not repeat
it) announces those crossings on ``onemap_cases`` every ``deadline_poll_s`` seconds.
"""

import asyncio
import contextlib
import json
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import datetime

import psycopg
from psycopg import sql

from gis.database import AdvisoryLock
from gis.errors import OnemapError, mapping_for
from layers.cases import notify_deadline_crossings
from layers.registry import Layer, LayerCache

log = logging.getLogger("onemap.feeds")

CHANNELS = {"onemap_vehicles": "vehicles", "onemap_cases": "cases"}
_REGISTRY_CHECK_MIN_S = 1.0
_QUEUE_SIZE = 1000
_RECONNECT_S = 1.0
# Whether a subscriber may go on receiving: None, or the error that ends its stream.
StreamCheck = Callable[[], Awaitable[OnemapError | None]]


class EventHub:
    """Relays database notifications to subscribers; the listener runs while anyone subscribes."""

    def __init__(self, conninfo: str, *, heartbeat_s: float = 15.0, deadline_poll_s: float = 30.0,
                 layers: LayerCache | None = None) -> None:
        self._conninfo = conninfo
        self.heartbeat_s = heartbeat_s
        self.deadline_poll_s = deadline_poll_s
        self._layers = layers or LayerCache(2.0)
        self._subscribers: dict[asyncio.Queue[tuple[str, str]], bool] = {}  # queue -> public only
        self._public: frozenset[str] = frozenset()  # events public-only subscribers get
        self._task: asyncio.Task[None] | None = None
        self._deadline_task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self._closed = asyncio.Event()

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    async def _listen(self) -> None:
        while not self._closed.is_set():
            try:
                async with await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True) as conn:
                    self._public = public_events(await self._layers.layers(conn))
                    for channel in CHANNELS:
                        await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                    self._listening.set()
                    every = max(self._layers.ttl_s, _REGISTRY_CHECK_MIN_S)
                    while not self._closed.is_set():
                        async for note in conn.notifies(timeout=every):
                            self._publish(CHANNELS.get(note.channel, note.channel), note.payload)
                        # notifications arriving during the re-read wait in psycopg's backlog
                        self._public = public_events(await self._layers.layers(conn))
            except asyncio.CancelledError:
                raise
            except psycopg.Error as error:  # the database went away: keep serving, reconnect
                log.warning("feeds listener lost its connection (%s); reconnecting", error)
                self._listening.clear()
                await asyncio.sleep(_RECONNECT_S)

    async def _announce_deadlines(self) -> None:
        """While this process holds the leader lock, notify the cases whose deadline state changed
        since the previous round (the listener relays them like any other case change)."""
        while not self._closed.is_set():
            try:
                async with await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True) as conn:
                    since: datetime | None = None
                    while not self._closed.is_set():
                        leader = await (await conn.execute("SELECT pg_try_advisory_lock(%s), now()", (
                            AdvisoryLock.CASE_DEADLINE_ANNOUNCER,))).fetchone()
                        if leader and leader[0]:
                            if since is not None:
                                await notify_deadline_crossings(conn, since, leader[1])
                            since = leader[1]
                        await asyncio.sleep(self.deadline_poll_s)
            except asyncio.CancelledError:
                raise
            except psycopg.Error as error:
                log.warning("deadline announcer lost its connection (%s); reconnecting", error)
                await asyncio.sleep(_RECONNECT_S)

    def _publish(self, event: str, data: str) -> None:
        for queue, public_only in self._subscribers.items():
            if public_only and event not in self._public:
                continue
            if queue.full():
                queue.get_nowait()  # drop the oldest for a client that does not keep up
            queue.put_nowait((event, data))

    @contextlib.asynccontextmanager
    async def subscribe(self, *, public_only: bool = False) -> AsyncIterator[asyncio.Queue[tuple[str, str]]]:
        """A queue of (event, data) for one client; waits until the listener is listening."""
        queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue(_QUEUE_SIZE)
        self._subscribers[queue] = public_only
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._listen(), name="onemap-feeds-listener")
        if self._deadline_task is None or self._deadline_task.done():
            self._deadline_task = asyncio.create_task(self._announce_deadlines(),
                                                      name="onemap-case-deadlines")
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._listening.wait(), timeout=5)
            yield queue
        finally:
            self._subscribers.pop(queue, None)

    async def stream(self, *, public_only: bool = False, check: StreamCheck | None = None,
                     check_every_s: float = 5.0) -> AsyncIterator[str]:
        """Server-sent events for one client: a retry hint, then events and heartbeat comments.

        With a `check`, it runs every `check_every_s` seconds; the first error it returns ends the
        stream with an `end` event whose data is the error's OGC exception body.
        """
        loop = asyncio.get_running_loop()
        async with self.subscribe(public_only=public_only) as queue:
            yield "retry: 2000\n: connected\n\n"
            sent_at = loop.time()
            check_at = sent_at + check_every_s if check is not None else math.inf
            while not self._closed.is_set():
                if check is not None and loop.time() >= check_at:
                    error = await check()
                    if error is not None:
                        yield end_event(error)
                        return
                    check_at = loop.time() + check_every_s
                if loop.time() - sent_at >= self.heartbeat_s:
                    yield ": heartbeat\n\n"
                    sent_at = loop.time()
                get = asyncio.ensure_future(queue.get())
                closed = asyncio.ensure_future(self._closed.wait())
                done, _ = await asyncio.wait({get, closed}, timeout=max(0.0, min(
                    sent_at + self.heartbeat_s, check_at) - loop.time()), return_when=asyncio.FIRST_COMPLETED)
                closed.cancel()
                if get not in done:
                    get.cancel()
                    continue
                event, data = get.result()
                yield format_event(event, data)
                sent_at = loop.time()

    async def close(self) -> None:
        """End every stream and stop the listener (server shutdown)."""
        self._closed.set()
        for task in (self._task, self._deadline_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task


def public_events(layers: Iterable[Layer]) -> frozenset[str]:
    """The events for callers without read_private: those of no kind with a private layer."""
    private_kinds = {layer.kind for layer in layers if layer.is_private}
    return frozenset(CHANNELS.values()) - private_kinds


def end_event(error: OnemapError) -> str:
    """The last message of a stream that the server ends: `end`, with the error's OGC exception body."""
    return format_event("end", json.dumps({"code": mapping_for(error).ogc_code, "description": str(error)},
                                          ensure_ascii=False))


def format_event(event: str, data: str) -> str:
    """One SSE message; every line of the data gets its own `data:` field."""
    lines = "".join(f"data: {line}\n" for line in data.split("\n"))
    return f"event: {event}\n{lines}\n"
