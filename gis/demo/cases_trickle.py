"""A trickle of demo cases: new reports at random places of the demo city, and open ones moving on.

Called by `onemap cases trickle` and by the demo simulator; everything goes through the cases
library (layers/cases.py), so each step notifies `onemap_cases` like a real report would.
"""

import asyncio
import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass

from psycopg_pool import AsyncConnectionPool

from layers.case_rules import CaseOptions
from layers.case_workflow import actions_from
from layers.cases import NewCase, apply_action, create_case

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
# The next step of an open case, by who takes it (a failed check sends one in five back).
_ROLE_OF = {
    "file": "dispatcher",
    "dispatch": "dispatcher",
    "handle": "dispatcher",
    "feed_back": "dispatcher",
    "verify": "inspector",
    "close": "dispatcher",
    "rework": "inspector",
}

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


@dataclass
class TrickleStats:
    created: int = 0
    advanced: int = 0


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


async def _report(pool: AsyncConnectionPool, options: CaseOptions, rng: random.Random) -> None:
    async with pool.connection() as conn:
        row = await (await conn.execute("SELECT count(*) FROM onemap.v_unit_grid")).fetchone()
        cells = int(row[0]) if row else 0
        if cells == 0:
            return
        point = await (
            await conn.execute(_POINT_SQL, {"seed": rng.randrange(1, 2**31), "n": rng.randrange(cells)})
        ).fetchone()
        if point is None:
            return
        source = _weighted(rng, SOURCES)
        case = NewCase(
            kind="event",
            class_code=_weighted(rng, CLASSES),
            source=source,
            urgency=_weighted(rng, URGENCIES),
            lon=point[0],
            lat=point[1],
            description="demo case (onemap cases trickle)",
        )
        await create_case(
            conn,
            case,
            actor=ACTOR,
            role="inspector" if source == "inspector" else "dispatcher",
            options=options,
        )
        await conn.commit()


async def _advance(pool: AsyncConnectionPool, rng: random.Random) -> bool:
    async with pool.connection() as conn:
        open_cases = await (await conn.execute(_OPEN_SQL, (ACTOR,))).fetchall()
        if not open_cases:
            return False
        case_id, state = rng.choice(open_cases)
        if state == "reported" and rng.random() < 0.15:
            action, role = "self_handle", "inspector"
        else:
            choices = [
                a
                for a in actions_from(state, "dispatcher") + actions_from(state, "inspector")
                if a in _ROLE_OF and (a != "rework" or rng.random() < 0.2)
            ]
            if state == "fed_back" and "rework" in choices:
                choices = ["rework"]
            if not choices:
                return False
            action = choices[0]
            role = _ROLE_OF[action]
        await apply_action(conn, case_id, action, actor=ACTOR, role=role, note="demo")
        await conn.commit()
        return True


async def trickle(
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
    """Every `interval_s` seconds report a new demo case (share `new_share`) or move an open one on.

    Runs `count` steps (forever when None) or until `stop` is set; returns what it did.
    """
    rng = random.Random(seed)
    options = options or CaseOptions()
    stats = TrickleStats()
    step = 0
    while count is None or step < count:
        if stop is not None and stop.is_set():
            break
        if rng.random() < new_share or not await _advance(pool, rng):
            await _report(pool, options, rng)
            stats.created += 1
        else:
            stats.advanced += 1
        step += 1
        if on_step is not None:
            on_step(stats)
        if count is None or step < count:
            if stop is None:
                await asyncio.sleep(interval_s)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=interval_s)
    return stats
