"""A trickle of demo cases: new reports at random places of the demo city, and open ones moving on.

Two drivers share the choices (what is reported, which step comes next):
- `trickle(base_url, token, stop)` goes through the HTTP API (POST /cases, POST /cases/{id}/transitions)
  with a dispatcher or admin token; the demo simulator runs it in a thread beside the fleet.
- `trickle_db(pool, …)` goes through the cases library; `onemap cases trickle` runs it without a server.
Every step notifies `onemap_cases` like a real report would.
"""

import asyncio
import contextlib
import logging
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import shapely
from psycopg_pool import AsyncConnectionPool

from layers.case_rules import CaseOptions
from layers.case_workflow import actions_from
from layers.cases import NewCase, apply_action, create_case

log = logging.getLogger("onemap.demo.cases")
ACTOR = "onemap demo"
# Common matters of GB/T 47678.5 with relative frequencies: street order and city appearance
# dominate, manhole covers are rare but urgent.
CLASSES = {
    "06001": 8,
    "06002": 3,
    "06003": 6,
    "06004": 6,
    "09001": 5,
    "09002": 4,
    "01002": 1,
    "01037": 2,
    "02004": 1,
    "04001": 2,
}
SOURCES = {"inspector": 10, "hotline_12345": 4, "hotline_12319": 2, "app": 2, "video": 2}
URGENCIES = {"A": 2, "B": 5, "C": 3}
REWORK_SHARE = 0.2  # a failed check (核查不通过) sends one case in five back
SELF_HANDLE_SHARE = 0.15  # minor problems an inspector fixes on the spot


@dataclass
class TrickleStats:
    created: int = 0
    advanced: int = 0


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def demo_case(rng: random.Random, lon: float, lat: float) -> dict[str, Any]:
    """The body of a new demo case at (lon, lat), EPSG:4490."""
    return {
        "kind": "event",
        "class_code": _weighted(rng, CLASSES),
        "source": _weighted(rng, SOURCES),
        "urgency": _weighted(rng, URGENCIES),
        "lon": lon,
        "lat": lat,
        "description": "demo case (onemap cases trickle)",
    }


def next_action(rng: random.Random, actions: Sequence[str]) -> str | None:
    """The step a demo case takes next among the allowed `actions` (never cancel)."""
    if "self_handle" in actions and rng.random() < SELF_HANDLE_SHARE:
        return "self_handle"
    if "rework" in actions and rng.random() < REWORK_SHARE:
        return "rework"
    forward = [a for a in actions if a not in ("cancel", "self_handle", "rework")]
    return forward[0] if forward else None


def random_point_in(geometry: shapely.Geometry, rng: random.Random) -> tuple[float, float]:
    """A uniformly random point inside a polygon (rejection sampling in its bounds)."""
    minx, miny, maxx, maxy = geometry.bounds
    for _ in range(1000):
        point = shapely.Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if geometry.contains(point):
            return point.x, point.y
    inside = geometry.representative_point()
    return inside.x, inside.y


# --- through the HTTP API ---


class _Http:
    def __init__(self, client: httpx.Client, token: str) -> None:
        self.client = client
        self.auth = {"Authorization": f"Bearer {token}"}
        self.cells: int | None = None

    def point(self, rng: random.Random) -> tuple[float, float]:
        """A random point in a random unit grid cell, read through the OGC API (EPSG:4490, lon/lat)."""
        params: dict[str, Any] = {"f": "json", "limit": 1, "count": "exact"}
        if self.cells:
            params["offset"] = rng.randrange(self.cells)
        page = self.client.get("/collections/unit_grid/items", params=params).raise_for_status().json()
        self.cells = int(page.get("numberMatched") or 1)
        return random_point_in(shapely.geometry.shape(page["features"][0]["geometry"]), rng)

    def report(self, rng: random.Random) -> int:
        created = self.client.post("/cases", json=demo_case(rng, *self.point(rng)), headers=self.auth)
        created.raise_for_status()
        return int(created.json()["id"])

    def advance(self, rng: random.Random, case_id: int) -> str | None:
        """Take the next step of a case; its new state, or None when it has nowhere to go."""
        case = self.client.get(f"/cases/{case_id}", headers=self.auth).raise_for_status().json()
        action = next_action(rng, case["actions"])
        if action is None:
            return None
        moved = self.client.post(
            f"/cases/{case_id}/transitions", json={"action": action, "note": "demo"}, headers=self.auth
        )
        return str(moved.raise_for_status().json()["state"])


def trickle(
    base_url: str,
    token: str,
    stop: threading.Event,
    *,
    interval_s: float = 5.0,
    new_share: float = 0.5,
    seed: int | None = None,
    count: int | None = None,
    client: httpx.Client | None = None,
) -> TrickleStats:
    """Until `stop` is set (or after `count` steps), every `interval_s` seconds report a demo case
    through the API or move one this trickle reported on. The token needs report_cases and
    handle_cases (dispatcher or admin); `client` replaces the HTTP client (tests)."""
    rng, stats = random.Random(seed), TrickleStats()
    open_ids: list[int] = []
    http = _Http(client or httpx.Client(base_url=base_url, timeout=10.0), token)
    try:
        while not stop.is_set() and (count is None or stats.created + stats.advanced < count):
            try:
                if open_ids and rng.random() >= new_share:
                    case_id = rng.choice(open_ids)
                    state = http.advance(rng, case_id)
                    if state in (None, "closed", "cancelled"):
                        open_ids.remove(case_id)
                    stats.advanced += 1
                else:
                    open_ids.append(http.report(rng))
                    stats.created += 1
            except httpx.HTTPError as error:  # a server restart must not end the demo
                log.warning("case trickle: %s", error)
            stop.wait(interval_s)
    finally:
        if client is None:
            http.client.close()
    return stats


# --- through the library ---

_POINT_SQL = """
SELECT ST_X(p), ST_Y(p) FROM (
    SELECT (ST_Dump(ST_GeneratePoints(geom, 1, %(seed)s))).geom AS p
    FROM onemap.v_unit_grid ORDER BY code OFFSET %(n)s LIMIT 1) c
"""
_OPEN_SQL = """
SELECT c.id, c.state FROM onemap.city_case c
WHERE c.state NOT IN ('closed', 'cancelled') AND EXISTS (
    SELECT 1 FROM onemap.case_event e WHERE e.case_id = c.id AND e.action = 'report' AND e.actor = %s)
ORDER BY c.id
"""


async def _report_db(pool: AsyncConnectionPool, options: CaseOptions, rng: random.Random) -> None:
    async with pool.connection() as conn:
        row = await (await conn.execute("SELECT count(*) FROM onemap.v_unit_grid")).fetchone()
        n = rng.randrange(int(row[0])) if row and row[0] else 0
        point = await (await conn.execute(_POINT_SQL, {"seed": rng.randrange(1, 2**31), "n": n})).fetchone()
        if point is None:
            return
        body = demo_case(rng, point[0], point[1])
        role = "inspector" if body["source"] == "inspector" else "dispatcher"
        await create_case(conn, NewCase(**body), actor=ACTOR, role=role, options=options)
        await conn.commit()


async def _advance_db(pool: AsyncConnectionPool, rng: random.Random) -> bool:
    async with pool.connection() as conn:
        open_cases = await (await conn.execute(_OPEN_SQL, (ACTOR,))).fetchall()
        if not open_cases:
            return False
        case_id, state = rng.choice(open_cases)
        action = next_action(rng, actions_from(state, "admin"))
        if action is None:
            return False
        await apply_action(conn, case_id, action, actor=ACTOR, role="admin", note="demo")
        await conn.commit()
        return True


async def trickle_db(
    pool: AsyncConnectionPool,
    options: CaseOptions | None = None,
    *,
    count: int | None = None,
    interval_s: float = 5.0,
    seed: int | None = None,
    new_share: float = 0.5,
    stop: asyncio.Event | None = None,
    on_step: Callable[[TrickleStats], None] | None = None,
) -> TrickleStats:
    """Like `trickle`, through the cases library on a pool (no server needed)."""
    rng, stats, step = random.Random(seed), TrickleStats(), 0
    options = options or CaseOptions()
    while (count is None or step < count) and not (stop is not None and stop.is_set()):
        if rng.random() < new_share or not await _advance_db(pool, rng):
            await _report_db(pool, options, rng)
            stats.created += 1
        else:
            stats.advanced += 1
        step += 1
        if on_step is not None:
            on_step(stats)
        if count is None or step < count:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for((stop or asyncio.Event()).wait(), timeout=interval_s)
    return stats
