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

A subscriber that opened its stream with a bearer token carries the token's digest. Every
``token_check_s`` (``ONEMAP_FEEDS_STREAM_TOKEN_CHECK_S``) the listener looks up the digests of all such
subscribers in one query on its own connection; a subscriber whose token is revoked gets an ``end``
event (an OGC exception body saying why) and its stream ends, instead of carrying private events for as
long as the client stays. When the listener loses the database, the streams opened with a token end
too (DatabaseUnavailable): nobody can vouch for their tokens until it is back.

A case turns due soon or overdue with time alone, with no write to announce it; while anyone
listens, one server process (the holder of an advisory lock, so several workers do not repeat
it) announces those crossings on ``onemap_cases`` every ``deadline_poll_s`` seconds.
"""

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Container, Iterable
from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg import sql

from gis.database import AdvisoryLock
from gis.errors import DatabaseUnavailable, OnemapError, Unauthorized, mapping_for
from layers.cases import notify_deadline_crossings
from layers.registry import Layer, LayerCache, private_kinds

log = logging.getLogger("onemap.feeds")

CHANNELS = {"onemap_vehicles": "vehicles", "onemap_cases": "cases"}
_REGISTRY_CHECK_MIN_S = 1.0
_QUEUE_SIZE = 1000
_RECONNECT_S = 1.0
_LIVE_TOKENS_SQL = """
SELECT token_hash FROM onemap.api_token WHERE token_hash = ANY(%s) AND revoked_at IS NULL
"""
Queue = asyncio.Queue[tuple[str, str]]


@dataclass(frozen=True)
class _Subscriber:
    public_only: bool  # a caller without read_private
    token_digest: str | None  # the SHA-256 of the bearer token the stream was opened with


class EventHub:
    """Relays database notifications to subscribers; the listener runs while anyone subscribes."""

    def __init__(self, conninfo: str, *, heartbeat_s: float = 15.0, deadline_poll_s: float = 30.0,
                 token_check_s: float = 5.0, layers: LayerCache | None = None) -> None:
        self._conninfo = conninfo
        self.heartbeat_s = heartbeat_s
        self.deadline_poll_s = deadline_poll_s
        self.token_check_s = token_check_s
        self._layers = layers or LayerCache(2.0)
        self._subscribers: dict[Queue, _Subscriber] = {}
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
                    await self._relay(conn)
            except asyncio.CancelledError:
                raise
            except psycopg.Error as error:  # the database went away: keep serving, reconnect
                log.warning("feeds listener lost its connection (%s); reconnecting", error)
                self._listening.clear()
                # fail closed: nobody vouches for the streams' tokens until the listener is back
                self._end_tokens(DatabaseUnavailable(
                    "the bearer token could not be checked again; reconnect"))
                await asyncio.sleep(_RECONNECT_S)

    async def _relay(self, conn: psycopg.AsyncConnection) -> None:
        """Publish the notifications; between them, re-read the privacy flags and check the stream
        tokens, each when due (notifications arriving meanwhile wait in psycopg's backlog)."""
        loop = asyncio.get_running_loop()
        registry_every = max(self._layers.ttl_s, _REGISTRY_CHECK_MIN_S)
        registry_at = tokens_at = loop.time()
        while not self._closed.is_set():
            wake = min(registry_at + registry_every, tokens_at + self.token_check_s)
            async for note in conn.notifies(timeout=max(0.0, wake - loop.time())):
                self._publish(CHANNELS.get(note.channel, note.channel), note.payload)
            now = loop.time()
            if now >= registry_at + registry_every:
                self._public = public_events(await self._layers.layers(conn))
                registry_at = now
            if now >= tokens_at + self.token_check_s:
                await self._check_tokens(conn)
                tokens_at = now

    async def _check_tokens(self, conn: psycopg.AsyncConnection) -> None:
        """End the streams whose token was revoked: one query for every subscriber with a token."""
        asked = {s.token_digest for s in self._subscribers.values() if s.token_digest is not None}
        if not asked:
            return
        live = {row[0] for row in await (await conn.execute(_LIVE_TOKENS_SQL, (list(asked),))).fetchall()}
        # a stream opened during the query was not asked about: it is kept until the next round
        self._end_tokens(Unauthorized("the bearer token was revoked: reconnect without it or with a valid "
                                      "token"), gone=asked - live)

    def _end_tokens(self, error: OnemapError, *, gone: Container[str] | None = None) -> None:
        """Give the streams opened with a token in `gone` (None: any token) their last message, `end` with
        the error's OGC exception body, and no event after it."""
        for queue, subscriber in list(self._subscribers.items()):
            digest = subscriber.token_digest
            if digest is not None and (gone is None or digest in gone):
                del self._subscribers[queue]
                if queue.full():
                    queue.get_nowait()
                queue.put_nowait(("end", exception_body(error)))

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
        for queue, subscriber in self._subscribers.items():
            if subscriber.public_only and event not in self._public:
                continue
            if queue.full():
                queue.get_nowait()  # drop the oldest for a client that does not keep up
            queue.put_nowait((event, data))

    @contextlib.asynccontextmanager
    async def subscribe(self, *, public_only: bool = False,
                        token_digest: str | None = None) -> AsyncIterator[Queue]:
        """A queue of (event, data) for one client; waits until the listener is listening.

        With a `token_digest`, the queue's last message is ("end", exception body) once the token is
        revoked.
        """
        queue: Queue = asyncio.Queue(_QUEUE_SIZE)
        self._subscribers[queue] = _Subscriber(public_only, token_digest)
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

    async def stream(self, *, public_only: bool = False,
                     token_digest: str | None = None) -> AsyncIterator[str]:
        """Server-sent events for one client: a retry hint, then events and heartbeat comments; for a
        stream opened with a token, until an `end` event says that the token was revoked or could not be
        checked."""
        async with self.subscribe(public_only=public_only, token_digest=token_digest) as queue:
            yield "retry: 2000\n: connected\n\n"
            while not self._closed.is_set():
                get = asyncio.ensure_future(queue.get())
                closed = asyncio.ensure_future(self._closed.wait())
                done, _ = await asyncio.wait(
                    {get, closed}, timeout=self.heartbeat_s, return_when=asyncio.FIRST_COMPLETED
                )
                closed.cancel()
                if get not in done:
                    get.cancel()
                    if not self._closed.is_set():
                        yield ": heartbeat\n\n"
                    continue
                event, data = get.result()
                yield format_event(event, data)
                if event == "end":
                    return

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
    return frozenset(CHANNELS.values()) - private_kinds(layers)


def exception_body(error: OnemapError) -> str:
    """The data of the `end` event that ends a stream: the error's OGC exception body."""
    return json.dumps({"code": mapping_for(error).ogc_code, "description": str(error)}, ensure_ascii=False)


def format_event(event: str, data: str) -> str:
    """One SSE message; every line of the data gets its own `data:` field."""
    lines = "".join(f"data: {line}\n" for line in data.split("\n"))
    return f"event: {event}\n{lines}\n"
