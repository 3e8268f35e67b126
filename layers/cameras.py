"""CCTV cameras: GB/T 28181 device ids, view sectors, status reports and the private stream URL.

The sector polygon is computed by the database (``onemap.camera_sector`` in migration 0005, a
generated column), so every writer gets the same geometry; the unit grid cell is assigned by a
trigger. Stream URLs never leave through a layer: only `camera_detail` with ``private=True``.
"""

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast

import psycopg

from gis.local_time import read_timestamp
from grid_codes.camera_id import DeviceId
from grid_codes.errors import InvalidDeviceId
from layers.components import bump_data_version

CameraStatus = Literal["online", "offline", "fault"]
STATUSES: tuple[CameraStatus, ...] = ("online", "offline", "fault")
MAX_RANGE_M = 5000.0


@dataclass(frozen=True)
class Camera:
    """One camera as imported; lon/lat are CGCS2000 (EPSG:4490)."""

    device_id: str
    lon: float
    lat: float
    name: str = ""
    heading_deg: float | None = None
    fov_deg: float = 60.0
    range_m: float = 80.0
    owner: str = ""
    status: CameraStatus = "offline"
    stream_url: str | None = None


def check_device_id(text: object) -> str:
    """A valid GB/T 28181 id of a camera (type 131 or 132), or InvalidDeviceId saying why."""
    device = DeviceId.parse(text)
    if not device.is_camera:
        raise InvalidDeviceId(
            f"device id {device.code} has type code {device.type_code} "
            f"({device.type_name or 'not a camera'}); a camera is 131 or 132"
        )
    return device.code


def check_geometry_fields(*, heading: float | None, fov: float, range_m: float) -> list[tuple[str, str]]:
    """(field, problem) for out-of-range view parameters."""
    problems = []
    if heading is not None and not (math.isfinite(heading) and 0 <= heading <= 360):
        problems.append(("heading", f"{heading} is not a bearing in 0–360°"))
    if not (math.isfinite(fov) and 0 < fov <= 360):
        problems.append(("fov", f"{fov} is not a field of view in (0, 360]°"))
    if not (math.isfinite(range_m) and 0 < range_m <= MAX_RANGE_M):
        problems.append(("range", f"{range_m} is not a range in (0, {MAX_RANGE_M:.0f}] m"))
    return problems


_UPSERT_SQL = """
INSERT INTO onemap.camera (device_id, name, heading_deg, fov_deg, range_m, owner, status, status_at,
                           stream_url, source, geom)
VALUES (%s, %s, %s, %s, %s, %s, %s, now(), %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4490))
ON CONFLICT (device_id) DO UPDATE SET name = excluded.name, heading_deg = excluded.heading_deg,
    fov_deg = excluded.fov_deg, range_m = excluded.range_m, owner = excluded.owner,
    status = excluded.status, status_at = excluded.status_at,
    stream_url = coalesce(excluded.stream_url, onemap.camera.stream_url), source = excluded.source,
    geom = excluded.geom, updated_at = now()
"""


def upsert_cameras(conn: psycopg.Connection, cameras: Iterable[Camera], *, source: str) -> int:
    """Add or replace cameras by device id in one transaction; return how many."""
    rows = [
        (
            c.device_id,
            c.name,
            None if c.heading_deg is None else c.heading_deg % 360,
            c.fov_deg,
            c.range_m,
            c.owner,
            c.status,
            c.stream_url,
            source,
            c.lon,
            c.lat,
        )
        for c in cameras
    ]
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(_UPSERT_SQL, rows)
        bump_data_version(conn, "cameras")
    return len(rows)


# --- the service side ---

_LOG_SQL = """
INSERT INTO onemap.camera_status_log (device_id, status, reported_at, reported_by)
SELECT r.device_id, r.status, r.at, %s
FROM unnest(%s::text[], %s::text[], %s::timestamptz[]) AS r(device_id, status, at)
JOIN onemap.camera c USING (device_id)
RETURNING device_id
"""
_STATUS_SQL = """
UPDATE onemap.camera c SET status = r.status, status_at = r.at
FROM unnest(%s::text[], %s::text[], %s::timestamptz[]) AS r(device_id, status, at)
WHERE c.device_id = r.device_id AND (c.status_at IS NULL OR c.status_at <= r.at)
RETURNING c.device_id
"""


def parse_status_reports(
    rows: list[Any], now: datetime
) -> tuple[list[dict[str, Any]], list[tuple[int, str, str, datetime]]]:
    """Per-row outcomes, and (row, device_id, status, time) of the well-formed reports."""
    outcomes: list[dict[str, Any]] = []
    valid: list[tuple[int, str, str, datetime]] = []
    for index, row in enumerate(rows):
        outcome: dict[str, Any] = {"row": index, "status": "rejected"}
        outcomes.append(outcome)
        if not isinstance(row, dict):
            outcome["reasons"] = ["not a JSON object"]
            continue
        try:
            device_id = check_device_id(row.get("device_id"))
        except InvalidDeviceId as error:
            outcome["reasons"] = [f"device_id: {error}"]
            continue
        outcome["device_id"] = device_id
        status = row.get("status")
        if status not in STATUSES:
            outcome["reasons"] = [f"status: {str(status)[:40]!r} is not one of {', '.join(STATUSES)}"]
            continue
        at = _report_time(row.get("time"), now)
        if at is None:
            outcome["reasons"] = ["time: not an ISO 8601 time with a UTC offset"]
            continue
        valid.append((index, device_id, cast(str, status), at))
    return outcomes, valid


def _report_time(value: object, now: datetime) -> datetime | None:
    if value is None:
        return now
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = read_timestamp(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


async def report_status(
    conn: psycopg.AsyncConnection, rows: list[Any], *, reporter: str
) -> list[dict[str, Any]]:
    """Apply status reports (the newest per camera wins, every report is logged); per-row outcomes."""
    outcomes, valid = parse_status_reports(rows, datetime.now(UTC))
    if not valid:
        return outcomes
    columns = [[v[1] for v in valid], [v[2] for v in valid], [v[3] for v in valid]]
    known = {d for (d,) in await (await conn.execute(_LOG_SQL, [reporter, *columns])).fetchall()}
    newest: dict[str, tuple[int, str, str, datetime]] = {}
    for report in valid:
        if report[1] not in newest or newest[report[1]][3] <= report[3]:
            newest[report[1]] = report
    latest = list(newest.values())
    applied = {
        d
        for (d,) in await (
            await conn.execute(
                _STATUS_SQL, [[v[1] for v in latest], [v[2] for v in latest], [v[3] for v in latest]]
            )
        ).fetchall()
    }
    for index, device_id, _, _ in valid:
        outcome = outcomes[index]
        if device_id not in known:
            outcome["reasons"] = [f"device_id: camera {device_id} is not registered"]
        elif device_id in applied and newest[device_id][0] == index:
            outcome["status"] = "accepted"
        else:
            outcome.update(status="flagged", reasons=["older than the camera's current status: logged only"])
    return outcomes


_DETAIL_SQL = """
SELECT device_id, name, heading_deg, fov_deg, range_m, owner, status, status_at, grid_code, stream_url,
       ST_X(geom), ST_Y(geom), ST_AsGeoJSON(sector, 7)
FROM onemap.camera WHERE device_id = %s
"""


async def camera_detail(
    conn: psycopg.AsyncConnection, device_id: str, *, private: bool
) -> dict[str, Any] | None:
    """A camera as GeoJSON; its stream URL only when `private` (the caller may read private data)."""
    row = await (await conn.execute(_DETAIL_SQL, (device_id,))).fetchone()
    if row is None:
        return None
    properties = {
        "device_id": row[0],
        "name": row[1],
        "heading_deg": row[2],
        "fov_deg": row[3],
        "range_m": row[4],
        "owner": row[5],
        "status": row[6],
        "status_at": row[7].isoformat() if row[7] else None,
        "grid_code": row[8],
    }
    if private:
        properties["stream_url"] = row[9]
    return {
        "type": "Feature",
        "id": row[0],
        "geometry": {"type": "Point", "coordinates": [row[10], row[11]]},
        "properties": properties,
        "sector": None if row[12] is None else json.loads(row[12]),
    }
