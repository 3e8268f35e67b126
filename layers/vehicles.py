"""Vehicles: the registry, the GPS fix ingest (append-only, partitioned by day), latest positions, tracks.

The ingest runs in the caller's transaction, in three statements whatever the batch size (plus
one to create missing day partitions, rarely): look up the vehicles and their latest positions,
store the fixes and move the latest positions in one statement (a replayed fix conflicts on
(vehicle_id, t) and is reported as a duplicate), and notify ``onemap_vehicles`` (delivered on
commit). In pipeline mode that is three round trips to the server per batch.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson
import psycopg

from layers.feeds_partitions import day_of, ensure_partitions
from layers.vehicle_fixes import Fix, implied_speed_kmh

VEHICLE_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")  # the registry's CHECK (migration 0005)
VEHICLE_TYPES = ("执法车", "环卫车", "渣土车", "巡查车", "抢修车", "洒水车", "其他")
CHANNEL = "onemap_vehicles"
NOTIFY_LIMIT = 7900  # PostgreSQL refuses NOTIFY payloads of 8000 bytes or more


@dataclass(frozen=True)
class Vehicle:
    id: str
    plate: str
    type: str
    department: str = ""


@dataclass
class _Known:
    id: str
    plate: str
    t: datetime | None
    lon: float | None
    lat: float | None


_LOOKUP_SQL = """
SELECT v.id, v.plate, p.t, ST_X(p.geom), ST_Y(p.geom)
FROM onemap.vehicle v LEFT JOIN onemap.vehicle_position p ON p.vehicle_id = v.id
WHERE v.id = ANY(%(names)s) OR v.plate = ANY(%(names)s)
"""
# One statement stores the batch and moves the latest positions: the rows come as one JSON
# parameter (parsed by PostgreSQL, far cheaper than adapting seven Python lists element by
# element), replays conflict on (vehicle_id, t) and are not returned, and only the newest
# unflagged inserted fix of each vehicle can move it (and only forwards in time).
_STORE_SQL = """
WITH u AS (
    SELECT r->>0 AS v, (r->>1)::timestamptz AS t, (r->>2)::float8 AS x, (r->>3)::float8 AS y,
           (r->>4)::real AS s, (r->>5)::real AS h,
           coalesce(string_to_array(nullif(r->>6, ''), ','), '{}') AS f
    FROM json_array_elements(%s::json) AS r
), ins AS (
    INSERT INTO onemap.vehicle_fix (vehicle_id, t, geom, speed_kmh, heading_deg, flags)
    SELECT v, t, ST_SetSRID(ST_MakePoint(x, y), 4490), s, h, f FROM u
    ON CONFLICT (vehicle_id, t) DO NOTHING
    RETURNING vehicle_id, t, geom, speed_kmh, heading_deg, flags
), latest AS (
    SELECT DISTINCT ON (vehicle_id) vehicle_id, t, geom, speed_kmh, heading_deg
    FROM ins WHERE flags = '{}' ORDER BY vehicle_id, t DESC
), moved AS (
    INSERT INTO onemap.vehicle_position AS p (vehicle_id, t, speed_kmh, heading_deg, geom, updated_at)
    SELECT vehicle_id, t, speed_kmh, heading_deg, geom, now() FROM latest
    ON CONFLICT (vehicle_id) DO UPDATE
        SET t = excluded.t, speed_kmh = excluded.speed_kmh, heading_deg = excluded.heading_deg,
            geom = excluded.geom, updated_at = excluded.updated_at
        WHERE p.t < excluded.t
    RETURNING vehicle_id, t
)
SELECT i.vehicle_id, i.t, m.vehicle_id IS NOT NULL
FROM ins i LEFT JOIN moved m ON m.vehicle_id = i.vehicle_id AND m.t = i.t
"""


async def ingest(
    conn: psycopg.AsyncConnection, fixes: list[Fix], *, max_speed_kmh: float, partitions: set[date]
) -> list[dict[str, Any]]:
    """Store checked fixes, flag or reject the rest on their outcomes; return the notified positions.

    Run it in a transaction, ideally in pipeline mode (the route does): the statements whose
    results are not needed (the SET, the notifications) then cost no round trip of their own.
    """
    # A crash may lose the last few hundred milliseconds of acknowledged fixes; gateways resend
    # unacknowledged batches and a replay is idempotent, so the commit need not wait for the WAL flush.
    await conn.execute("SET LOCAL synchronous_commit = off")
    known = await _lookup(conn, {fix.vehicle for fix in fixes})
    stored = _order_and_flag(fixes, known, max_speed_kmh)
    if not stored:
        return []
    await ensure_partitions(conn, {day_of(fix.t) for fix in stored}, partitions)
    rows = orjson.dumps(
        [(f.vehicle, f.t, f.lon, f.lat, f.speed_kmh, f.heading_deg, ",".join(f.flags)) for f in stored]
    )
    result = await (await conn.execute(_STORE_SQL, (rows.decode(),))).fetchall()
    inserted = {(v, t) for v, t, _ in result}
    moved = {(v, t) for v, t, has_moved in result if has_moved}
    plates = {k.id: k.plate for k in known.values()}
    positions: list[dict[str, Any]] = []
    for fix in stored:
        if (fix.vehicle, fix.t) not in inserted:  # a replay: being late or far is no longer news
            fix.outcome.reasons.clear()
            fix.outcome.flag("duplicate: already stored")
        elif (fix.vehicle, fix.t) in moved:
            positions.append(
                {
                    "id": fix.vehicle,
                    "plate": plates[fix.vehicle],
                    "lon": round(fix.lon, 7),
                    "lat": round(fix.lat, 7),
                    "heading": fix.heading_deg,
                    "speed": fix.speed_kmh,
                    "t": fix.t.isoformat(),
                }
            )
    for payload in notify_payloads(positions):
        await conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
    return positions


async def _lookup(conn: psycopg.AsyncConnection, names: set[str]) -> dict[str, _Known]:
    """Registered vehicles by id and by plate (fixes may name either)."""
    rows = await (await conn.execute(_LOOKUP_SQL, {"names": sorted(names)})).fetchall()
    found: dict[str, _Known] = {}
    for row in rows:
        known = _Known(*row)
        found[known.id] = found[known.plate] = known
    return found


def _order_and_flag(fixes: list[Fix], known: dict[str, _Known], max_speed_kmh: float) -> list[Fix]:
    """The fixes to store (vehicle names resolved to ids), flagged where out of order or impossible."""
    seen: set[tuple[str, datetime]] = set()
    stored: list[Fix] = []
    for fix in sorted(fixes, key=lambda f: (f.vehicle, f.t)):
        vehicle = known.get(fix.vehicle)
        if vehicle is None:
            fix.outcome.reject(f"vehicle: {fix.vehicle!r} is not registered")
            continue
        fix.vehicle = vehicle.id
        if (fix.vehicle, fix.t) in seen:
            fix.outcome.flag("duplicate: the same vehicle and time earlier in the batch")
            continue
        seen.add((fix.vehicle, fix.t))
        if vehicle.t is not None and fix.t < vehicle.t:
            fix.flags.append("out_of_order")
            fix.outcome.flag(f"out_of_order: older than the latest position ({vehicle.t.isoformat()})")
        elif (
            vehicle.t is not None
            and vehicle.lon is not None
            and vehicle.lat is not None
            and (speed := implied_speed_kmh(vehicle.lon, vehicle.lat, vehicle.t, fix.lon, fix.lat, fix.t))
            > max_speed_kmh
        ):
            fix.flags.append("speed_jump")
            fix.outcome.flag(
                f"speed_jump: {speed:.0f} km/h from the previous fix (limit {max_speed_kmh:.0f})"
            )
        else:
            vehicle.t, vehicle.lon, vehicle.lat = fix.t, fix.lon, fix.lat
        stored.append(fix)
    return stored


def notify_payloads(positions: list[dict[str, Any]]) -> list[str]:
    """JSON arrays of positions, one per NOTIFY: a single one unless the 8000-byte limit splits it."""
    payloads: list[str] = []
    chunk: list[str] = []
    size = 2
    for position in positions:
        encoded = orjson.dumps(position)
        item, length = encoded.decode(), len(encoded) + 1
        if chunk and size + length > NOTIFY_LIMIT:
            payloads.append("[" + ",".join(chunk) + "]")
            chunk, size = [], 2
        chunk.append(item)
        size += length
    if chunk:
        payloads.append("[" + ",".join(chunk) + "]")
    return payloads


# --- registry (CLI and demo: synchronous) ---

_UPSERT_VEHICLE_SQL = """
INSERT INTO onemap.vehicle (id, plate, type, department) VALUES (%s, %s, %s, %s)
ON CONFLICT (id) DO UPDATE SET plate = excluded.plate, type = excluded.type,
    department = excluded.department
"""


def register_vehicles(conn: psycopg.Connection, vehicles: Iterable[Vehicle]) -> int:
    """Add or update vehicles (by id) in one transaction; return how many."""
    rows = [(v.id, v.plate, v.type, v.department) for v in vehicles]
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(_UPSERT_VEHICLE_SQL, rows)
    return len(rows)


# --- reads (service) ---

_LATEST_SQL = """
SELECT id, plate, type, department, t, speed_kmh, heading_deg, ST_X(geom), ST_Y(geom)
FROM onemap.v_vehicle ORDER BY id
"""
_TRACK_SQL = """
SELECT f.t, ST_X(f.geom), ST_Y(f.geom), f.speed_kmh, f.heading_deg, f.flags
FROM onemap.vehicle_fix f JOIN onemap.vehicle v ON v.id = f.vehicle_id
WHERE (v.id = %(vehicle)s OR v.plate = %(vehicle)s) AND f.t >= %(start)s AND f.t < %(end)s
ORDER BY f.t LIMIT %(limit)s
"""


def _point_feature(fid: str | None, lon: float, lat: float, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": fid,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": properties,
    }


async def latest_positions(conn: psycopg.AsyncConnection) -> dict[str, Any]:
    """Every vehicle's latest position as a GeoJSON FeatureCollection (EPSG:4490 lon/lat)."""
    rows = await (await conn.execute(_LATEST_SQL)).fetchall()
    return {
        "type": "FeatureCollection",
        "features": [
            _point_feature(
                r[0],
                r[7],
                r[8],
                {
                    "id": r[0],
                    "plate": r[1],
                    "type": r[2],
                    "department": r[3],
                    "t": r[4].isoformat(),
                    "speed": r[5],
                    "heading": r[6],
                },
            )
            for r in rows
        ],
    }


async def vehicle_exists(conn: psycopg.AsyncConnection, name: str) -> bool:
    row = await (
        await conn.execute("SELECT 1 FROM onemap.vehicle WHERE id = %(n)s OR plate = %(n)s", {"n": name})
    ).fetchone()
    return row is not None


async def track(
    conn: psycopg.AsyncConnection, vehicle: str, *, start: datetime, end: datetime, limit: int
) -> dict[str, Any]:
    """A vehicle's fixes in [start, end) as GeoJSON points (flagged fixes included, with their flags)."""
    rows = await (
        await conn.execute(_TRACK_SQL, {"vehicle": vehicle, "start": start, "end": end, "limit": limit})
    ).fetchall()
    features = [
        _point_feature(
            None, r[1], r[2], {"t": r[0].isoformat(), "speed": r[3], "heading": r[4], "flags": list(r[5])}
        )
        for r in rows
    ]
    return {
        "type": "FeatureCollection",
        "vehicle": vehicle,
        "numberReturned": len(features),
        "features": features,
    }
