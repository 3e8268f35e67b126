"""Cases (案件): creation from any source, the workflow with its history, and reading a case back.

onemap places a case: the point (given in any CRS, taken from a component, or geocoded from an
address) decides the unit grid cell, community, street, county and responsibility grid; the
department rule table decides the department; the deadline rules and the working-day calendar
decide the deadline. Every change notifies `onemap_cases` (a trigger in 0006_cases.sql).
"""

import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import psycopg
import shapely
from psycopg.rows import dict_row

from gis.crs import parse_crs, to_cgcs2000
from gis.errors import InvalidParameter, NotFound, PermissionDenied
from grid_codes.classes import ClassCode, default_table
from grid_codes.errors import InvalidCode
from layers.case_deadline import deadline_state
from layers.case_rules import CaseOptions, fetch_policy
from layers.case_workflow import Report, actions_from, next_state, self_handle_refusal, transition

KINDS = ("event", "component")
URGENCIES = ("A", "B", "C")
# 采集员 (grid inspector), the two hotlines, the public app, video auto-detection; history = old system.
SOURCES = ("inspector", "hotline_12319", "hotline_12345", "app", "video", "history")
MAX_PHOTOS = 20
_URL = re.compile(r"^https?://[^\s\x00-\x1f\x7f]{1,500}$", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_COMPONENT_ID = re.compile(r"^[0-9]{16,17}$", re.ASCII)
_FUTURE_TOLERANCE = timedelta(minutes=5)
# Address → (lon, lat) in EPSG:4490; given by the service when a geocoder is available.
Geocode = Callable[[str], Awaitable[tuple[float, float]]]


@dataclass(frozen=True)
class NewCase:
    """A case as reported: a class, a source and one way to locate it (point, component, address)."""

    kind: str
    class_code: str | None
    source: str
    urgency: str = "B"
    lon: float | None = None
    lat: float | None = None
    crs: str = "EPSG:4490"
    address: str = ""
    component_id: str | None = None
    description: str = ""
    photo_urls: tuple[str, ...] = ()
    reporter: str = ""
    reported_at: datetime | None = None


def check_class(kind: str, class_code: str) -> str:
    """The class code if the shipped class table of its scheme lists it for this kind."""
    if kind not in KINDS:
        raise InvalidParameter(f"kind {str(kind)[:20]!r} is not one of {', '.join(KINDS)}")
    code = ClassCode.parse(class_code, kind="event" if kind == "event" else "component")
    default_table().lookup(code.scheme, code.kind, code.code)
    return code.code


def check_text(name: str, value: str, longest: int) -> str:
    """Free text without control characters, at most `longest` characters."""
    if not isinstance(value, str) or len(value) > longest:
        raise InvalidParameter(f"{name} must be text of at most {longest} characters")
    if _CONTROL.search(value):
        raise InvalidParameter(f"{name} contains control characters")
    return value.strip()


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise InvalidParameter(f"{name} {str(value)[:40]!r} is not one of {', '.join(choices)}")
    return value


def check_photos(urls: tuple[str, ...]) -> list[str]:
    if len(urls) > MAX_PHOTOS:
        raise InvalidParameter(f"at most {MAX_PHOTOS} photo URLs per case")
    for url in urls:
        if not isinstance(url, str) or not _URL.match(url):
            raise InvalidParameter(
                f"photo URL {str(url)[:60]!r} is not an http(s) URL of at most 500 characters"
            )
    return list(urls)


def to_cgcs2000_point(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """A point in any CRS onemap reads (EPSG codes, wgs84, cgcs2000, gcj02, bd09) as EPSG:4490 lon/lat."""
    if not all(isinstance(v, int | float) and math.isfinite(v) for v in (lon, lat)):
        raise InvalidParameter("lon and lat must be finite numbers")
    spec = parse_crs(crs)
    point = to_cgcs2000(np.array([shapely.Point(lon, lat)], dtype=object), spec)[0]
    x, y = float(point.x), float(point.y)
    if not (math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
        raise InvalidParameter(f"the point ({lon}, {lat}) in {spec} does not map to a lon/lat in EPSG:4490")
    return x, y


_COMPONENT_SQL = """
SELECT class_code, ST_X(p), ST_Y(p) FROM (
    SELECT class_code, ST_PointOnSurface(geom) AS p FROM onemap.v_component WHERE id = %s) c
"""
_LOCATE_SQL = """
SELECT g.code, rc.resp_grid_code, onemap.case_department(%(kind)s, %(class)s, g.code)
FROM onemap.v_unit_grid g LEFT JOIN onemap.resp_grid_cell rc ON rc.grid_code = g.code
WHERE ST_Intersects(g.geom, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4490))
ORDER BY g.code LIMIT 1
"""
_INSERT_SQL = """
INSERT INTO onemap.city_case (kind, class_code, source, urgency, reported_at, deadline_at, due_soon_at,
    geom, grid_code, community_code, street_code, county_code, resp_grid_code, department, component_id,
    address, description, photo_urls, reporter)
VALUES (%(kind)s, %(class)s, %(source)s, %(urgency)s, %(reported_at)s, %(deadline_at)s, %(due_soon_at)s,
    ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4490), %(grid)s, left(%(grid)s, 12), left(%(grid)s, 9),
    left(%(grid)s, 6), %(resp)s, %(department)s, %(component)s, %(address)s, %(description)s, %(photos)s,
    %(reporter)s)
RETURNING id
"""
_EVENT_SQL = """
INSERT INTO onemap.case_event (case_id, actor, role, action, from_state, to_state, note)
VALUES (%s, %s, %s, %s, %s, %s, %s)
"""


async def _locate(
    conn: psycopg.AsyncConnection, case: NewCase, kind: str, class_code: str | None, geocode: Geocode | None
) -> tuple[float, float, str | None, str]:
    """(lon, lat) in EPSG:4490, the component id and the class code of a new case."""
    component_id, component_point = None, None
    if case.component_id is not None:
        if not isinstance(case.component_id, str) or not _COMPONENT_ID.match(case.component_id):
            raise InvalidParameter("component_id must be a component identifier of 16 or 17 digits")
        row = await (await conn.execute(_COMPONENT_SQL, (case.component_id,))).fetchone()
        if row is None:
            raise NotFound(f"no current component {case.component_id}")
        component_id, component_point = case.component_id, (float(row[1]), float(row[2]))
        if kind == "component":
            if class_code not in (None, row[0]):
                raise InvalidParameter(
                    f"class_code {class_code} disagrees with component {component_id}, "
                    f"which is of class {row[0]}"
                )
            class_code = row[0]
    if class_code is None:
        raise InvalidParameter("class_code is required (except for a component case with a component_id)")
    if case.lon is not None or case.lat is not None:
        if case.lon is None or case.lat is None:
            raise InvalidParameter("give both lon and lat")
        lon, lat = to_cgcs2000_point(case.lon, case.lat, case.crs)
    elif component_point is not None:
        lon, lat = component_point
    elif case.address and geocode is None:
        raise InvalidParameter(
            "no geocoder is available to locate a case by its address alone: give lon/lat or a component_id"
        )
    elif case.address and geocode is not None:
        lon, lat = await geocode(case.address)
    else:
        raise InvalidParameter("locate the case with lon/lat, a component_id or an address")
    return lon, lat, component_id, class_code


async def create_case(
    conn: psycopg.AsyncConnection,
    case: NewCase,
    *,
    actor: str,
    role: str,
    options: CaseOptions,
    geocode: Geocode | None = None,
) -> int:
    """Validate, place and store a new case (state reported); return its id. The caller commits."""
    kind = check_choice("kind", case.kind, KINDS)
    class_code = check_class(kind, case.class_code) if case.class_code is not None else None
    source = check_choice("source", case.source, SOURCES[:-1])
    urgency = check_choice("urgency", case.urgency, URGENCIES)
    texts = {
        "address": check_text("address", case.address, 200),
        "description": check_text("description", case.description, 2000),
        "reporter": check_text("reporter", case.reporter, 100),
    }
    photos = check_photos(case.photo_urls)
    now = datetime.now(UTC)
    reported_at = case.reported_at or now
    if reported_at.tzinfo is None or reported_at > now + _FUTURE_TOLERANCE:
        raise InvalidParameter("reported_at must be a time with a time zone, not in the future")
    lon, lat, component_id, class_code = await _locate(conn, case, kind, class_code, geocode)
    found = await (
        await conn.execute(_LOCATE_SQL, {"kind": kind, "class": class_code, "lon": lon, "lat": lat})
    ).fetchone()
    if found is None:
        raise InvalidParameter(
            f"the point ({lon:.6f}, {lat:.6f}) (EPSG:4490) lies outside every unit grid cell of the city"
        )
    policy = await fetch_policy(conn, options)
    due = policy.deadline_for(kind=kind, class_code=class_code, urgency=urgency, reported_at=reported_at)
    row = await (
        await conn.execute(
            _INSERT_SQL,
            {
                "kind": kind,
                "class": class_code,
                "source": source,
                "urgency": urgency,
                "reported_at": reported_at,
                "deadline_at": due.deadline_at,
                "due_soon_at": due.due_soon_at,
                "lon": lon,
                "lat": lat,
                "grid": found[0],
                "resp": found[1],
                "department": found[2],
                "component": component_id,
                "photos": photos,
                **texts,
            },
        )
    ).fetchone()
    assert row is not None
    await conn.execute(_EVENT_SQL, (row[0], actor, role, "report", None, "reported", ""))
    return int(row[0])


_LOCK_SQL = """
SELECT state, case_no, source, urgency, (
    SELECT actor FROM onemap.case_event WHERE case_id = c.id AND action = 'report' ORDER BY id LIMIT 1)
FROM onemap.city_case c WHERE id = %s FOR UPDATE
"""


async def apply_action(
    conn: psycopg.AsyncConnection, case_id: int, action: str, *, actor: str, role: str, note: str = ""
) -> str:
    """Take a workflow action on a case (row-locked); return the new state. The caller commits."""
    step = transition(action)
    note = check_text("note", note, 2000)
    row = await (await conn.execute(_LOCK_SQL, (case_id,))).fetchone()
    if row is None:
        raise NotFound(f"no case {case_id}")
    state = next_state(row[0], step.action, role)
    if step.action == "self_handle":
        refusal = self_handle_refusal(Report(row[2], row[3], row[4] or ""), actor=actor, role=role)
        if refusal is not None:
            raise PermissionDenied(f"case {row[1]}: {refusal}")
    await conn.execute(
        "UPDATE onemap.city_case SET state = %(state)s, updated_at = now(), "
        "closed_at = CASE WHEN %(state)s = 'closed' THEN now() END, "
        "self_handled = self_handled OR %(self)s, rework_count = rework_count + %(rework)s "
        "WHERE id = %(id)s",
        {
            "state": state,
            "self": step.action == "self_handle",
            "rework": int(step.action == "rework"),
            "id": case_id,
        },
    )
    await conn.execute(_EVENT_SQL, (case_id, actor, role, step.action, row[0], state, note))
    return state


_CASE_SQL = """
SELECT id, case_no, kind, class_code, source, urgency, state, self_handled, rework_count, reported_at,
       deadline_at, due_soon_at, closed_at, ST_X(geom) AS lon, ST_Y(geom) AS lat, grid_code,
       community_code, street_code, county_code, resp_grid_code, department, component_id, address,
       description, photo_urls, reporter, updated_at
FROM onemap.city_case WHERE id = %s
"""
_HISTORY_SQL = """
SELECT at, actor, role, action, from_state, to_state, note FROM onemap.case_event
WHERE case_id = %s ORDER BY at, id
"""


async def get_case(
    conn: psycopg.AsyncConnection, case_id: int, *, role: str | None = None, actor: str = ""
) -> dict[str, Any]:
    """One case with its deadline state, its history and the actions `actor` in `role` may take next."""
    async with conn.cursor(row_factory=dict_row) as cur:
        case = await (await cur.execute(_CASE_SQL, (case_id,))).fetchone()
        if case is None:
            raise NotFound(f"no case {case_id}")
        history = await (await cur.execute(_HISTORY_SQL, (case_id,))).fetchall()
    case["deadline_state"] = deadline_state(
        case["state"], case["deadline_at"], case.pop("due_soon_at"), datetime.now(UTC)
    )
    try:
        case["class_name"] = ClassCode.parse(case["class_code"], kind=case["kind"]).name
    except InvalidCode:
        case["class_name"] = None
    case["history"] = history
    case["actions"] = _actions(case, history, role=role, actor=actor) if role else []
    return case


def _actions(case: dict[str, Any], history: list[dict[str, Any]], *, role: str, actor: str) -> list[str]:
    """The workflow's actions for this state and role, less a self-handling this case's report rules out."""
    reported_by = next((e["actor"] for e in history if e["action"] == "report"), "")
    report = Report(case["source"], case["urgency"], reported_by)
    return [
        a
        for a in actions_from(case["state"], role)
        if a != "self_handle" or self_handle_refusal(report, actor=actor, role=role) is None
    ]


async def notify_deadline_crossings(conn: psycopg.AsyncConnection, since: datetime, until: datetime) -> int:
    """Notify `onemap_cases` for the open cases that became due soon or overdue in (since, until].

    Deadline states change with time alone; a service calls this periodically (each time with
    the previous `until`) so that the map recolours them. Returns the number of notifications.
    """
    row = await (await conn.execute("SELECT onemap.notify_case_deadlines(%s, %s)", (since, until))).fetchone()
    return int(row[0]) if row else 0
