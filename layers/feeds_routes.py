"""HTTP of the live feeds, mounted at /feeds: GPS fix ingest, positions, tracks, camera status, events.

Writes need a token with ``ingest_feeds``; tracks and stream URLs need ``read_private``. The feed of a
private layer (``is_private`` on a layer of its kind) is, to callers without ``read_private``, as absent
as the layer is in the tiles and the OGC API (404); the event stream leaves its events out. An event
stream opened with a token ends once it is revoked (the hub checks every ``feeds_stream_token_check_s``). A
batch gets one outcome per row (accepted / flagged / rejected): a bad row never fails the batch.
"""

import asyncio
import contextlib
import math
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

import orjson
import psycopg
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from gis.auth import (
    Principal,
    TokenCache,
    bearer_token,
    optional_principal,
    require,
    sees_private,
    token_hash,
)
from gis.errors import InvalidParameter, NotFound
from gis.local_time import read_timestamp
from gis.request_body import read_body
from gis.settings import Settings
from layers import cameras, vehicles
from layers.feeds_events import EventHub
from layers.registry import LayerCache, private_kinds
from layers.vehicle_fixes import BBox, Fix, FixLimits, check_rows, parse_batch, parse_rows, summary

_EXTENT_TTL_S = 60.0
_EXTENT_SQL = """
SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
FROM (SELECT ST_Extent(geom) AS e FROM onemap.admin_area WHERE level = 'county') AS s
"""
_TRACK_LIMIT = 50_000


@dataclass
class FeedsState:
    """Per server process: the push hub, the day partitions known to exist, the city extent."""

    hub: EventHub
    partitions: set[date] = field(default_factory=set)
    extent: BBox | None = None
    extent_at: float = -float("inf")


def _state(request: Request) -> FeedsState:
    state: FeedsState = request.app.state.feeds
    return state


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    app.state.feeds = state = FeedsState(EventHub(
        app.state.pool.conninfo, token_check_s=settings.feeds_stream_token_check_s, layers=app.state.layers))
    restore = _end_streams_on_signals(state.hub)
    try:
        yield
    finally:
        restore()
        await state.hub.close()


def _end_streams_on_signals(hub: EventHub) -> Any:
    """End the event streams when the server is told to stop, before it waits for open responses.

    uvicorn drains in-flight responses before the lifespan shutdown runs, and an event stream never
    finishes by itself, so the streams are closed from the signal, then uvicorn's own handler runs.
    """
    loop = asyncio.get_running_loop()
    previous: dict[int, Any] = {}

    def handler(signum: int, frame: Any) -> None:
        loop.call_soon_threadsafe(lambda: asyncio.ensure_future(hub.close()))
        original = previous.get(signum)
        if callable(original):
            original(signum, frame)

    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[signum] = signal.getsignal(signum)
            signal.signal(signum, handler)
        except ValueError:  # not the main thread (TestClient): nothing to chain onto
            previous.pop(signum, None)

    def restore() -> None:
        for signum, original in previous.items():
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(signum, original)

    return restore


router = APIRouter(prefix="/feeds", tags=["feeds"], lifespan=_lifespan)
# Gateways post several batches a second with one token: verified tokens are trusted for 5 s
# (a revoked gateway token may push for up to 5 s more; reads of private data are not cached).
INGEST_TOKENS = TokenCache(ttl_s=5.0)
Ingest = Annotated[Principal, Depends(require("ingest_feeds", cache=INGEST_TOKENS))]
Private = Annotated[Principal, Depends(require("read_private"))]
Caller = Annotated[Principal | None, Depends(optional_principal)]



async def _check_visible(conn: psycopg.AsyncConnection, registry: LayerCache, caller: Principal | None,
                         kind: str) -> None:
    """NotFound, worded as for an unknown layer, when the caller may not read a private layer of `kind`."""
    if sees_private(caller):
        return
    layers = await registry.layers(conn)
    if kind in private_kinds(layers):
        hidden = next(layer.name for layer in layers if layer.kind == kind and layer.is_private)
        raise NotFound(f"layer {hidden!r} does not exist")


async def _body(request: Request, settings: Settings) -> bytes:
    """The request body, refused with 413 as soon as it exceeds the limit (declared or streamed)."""
    return await read_body(request, settings.feeds_max_body_bytes, advice="send smaller batches")


async def _extent(state: FeedsState, conn: psycopg.AsyncConnection, margin_m: float) -> BBox | None:
    if time.monotonic() - state.extent_at > _EXTENT_TTL_S:
        row = await (await conn.execute(_EXTENT_SQL)).fetchone()
        if row and row[0] is not None:
            dlat = margin_m / 111_320.0
            dlon = dlat / max(0.1, math.cos(math.radians((row[1] + row[3]) / 2)))
            state.extent = (row[0] - dlon, row[1] - dlat, row[2] + dlon, row[3] + dlat)
        else:
            state.extent = None
        state.extent_at = time.monotonic()
    return state.extent


async def _ingest(
    conn: psycopg.AsyncConnection, fixes: list[Fix], settings: Settings, state: FeedsState
) -> list[dict[str, Any]]:
    """One transaction in pipeline mode: BEGIN, the SET, the notifications and COMMIT ride along
    with the statements whose results are needed, so a batch costs three round trips."""
    async with conn.pipeline(), conn.transaction():
        return await vehicles.ingest(
            conn, fixes, max_speed_kmh=settings.feeds_max_speed_kmh, partitions=state.partitions
        )


@router.post("/vehicles/fixes", summary="Ingest a batch of GPS fixes (per-row outcomes)")
async def post_fixes(request: Request, principal: Ingest) -> Response:
    settings: Settings = request.app.state.settings
    rows, crs = parse_batch(await _body(request, settings), max_rows=settings.feeds_max_batch)
    state = _state(request)
    now = datetime.now(UTC)
    async with request.app.state.pool.connection() as conn:
        limits = FixLimits(
            extent=await _extent(state, conn, settings.feeds_extent_margin_m),
            now=now,
            future_tolerance_s=settings.feeds_future_tolerance_s,
            oldest=now - timedelta(days=settings.feeds_retention_days),
            max_speed_kmh=settings.feeds_max_speed_kmh,
        )
        outcomes, fixes = check_rows(rows, crs, limits)
        try:
            moved = await _ingest(conn, fixes, settings, state)
        except psycopg.errors.CheckViolation:
            state.partitions.clear()  # a partition was pruned under us: forget what we knew, retry
            moved = await _ingest(conn, fixes, settings, state)
    body: dict[str, Any] = {"received": len(rows), **summary(outcomes), "moved": len(moved)}
    body["rows"] = [o.as_json() for o in outcomes]
    return Response(orjson.dumps(body), media_type="application/json")


@router.get("/vehicles", summary="Latest position of every vehicle (GeoJSON, EPSG:4490)")
async def get_positions(request: Request, caller: Caller) -> JSONResponse:
    async with request.app.state.pool.connection() as conn:
        await _check_visible(conn, request.app.state.layers, caller, "vehicles")
        return JSONResponse(await vehicles.latest_positions(conn),
                            headers={"Cache-Control": "no-store"})


def _instant(text: str | None, name: str, default: datetime) -> datetime:
    if text is None:
        return default
    try:
        value = read_timestamp(text)
    except ValueError:
        raise InvalidParameter(f"{name}: {text[:40]!r} is not an ISO 8601 time") from None
    if value.tzinfo is None:
        raise InvalidParameter(f"{name}: give a UTC offset, e.g. 2026-11-23T08:00:00+08:00")
    return value


@router.get("/vehicles/{vehicle}/track", summary="A vehicle's fixes in a time range (private)")
async def get_track(
    request: Request,
    vehicle: str,
    _: Private,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=_TRACK_LIMIT)] = 10_000,
) -> JSONResponse:
    now = datetime.now(UTC)
    t_end = _instant(end, "to", now)
    t_start = _instant(start, "from", t_end - timedelta(hours=24))
    if t_start >= t_end:
        raise InvalidParameter("from must be before to")
    async with request.app.state.pool.connection() as conn:
        if not await vehicles.vehicle_exists(conn, vehicle):
            raise NotFound(f"vehicle {vehicle[:64]!r} is not registered")
        return JSONResponse(await vehicles.track(conn, vehicle, start=t_start, end=t_end, limit=limit))


@router.post("/cameras/status", summary="Report camera status (online/offline/fault), per-row outcomes")
async def post_camera_status(request: Request, principal: Ingest) -> JSONResponse:
    settings: Settings = request.app.state.settings
    rows, _ = parse_rows(await _body(request, settings), key="reports", max_rows=settings.feeds_max_batch)
    async with request.app.state.pool.connection() as conn, conn.transaction():
        outcomes = await cameras.report_status(conn, rows, reporter=principal.name)
    counts = {s: sum(1 for o in outcomes if o["status"] == s) for s in ("accepted", "flagged", "rejected")}
    return JSONResponse({"received": len(rows), **counts, "rows": outcomes})


@router.get("/cameras/{device_id}", summary="One camera; the stream URL only with read_private")
async def get_camera(request: Request, device_id: str, caller: Caller) -> JSONResponse:
    async with request.app.state.pool.connection() as conn:
        await _check_visible(conn, request.app.state.layers, caller, "cameras")
        feature = await cameras.camera_detail(conn, device_id, private=sees_private(caller))
    if feature is None:
        raise NotFound(f"camera {device_id[:40]!r} is not registered")
    return JSONResponse(feature)


def _token_digest(request: Request, caller: Principal | None) -> str | None:
    """The digest of the bearer token that authenticated the caller (None: anonymous)."""
    token = bearer_token(request.headers.get("authorization"))
    return token_hash(token) if caller is not None and token is not None else None


@router.get("/events", summary="Server-sent events: vehicle positions and case changes (private layers' "
            "only with read_private); a stream opened with a token ends once the token is revoked")
async def get_events(request: Request, caller: Caller) -> StreamingResponse:
    stream = _state(request).hub.stream(public_only=not sees_private(caller),
                                        token_digest=_token_digest(request, caller))
    return StreamingResponse(stream, media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
