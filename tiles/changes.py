"""Reading the database's tile change log (onemap.tile_change, migration 0008).

Identity values are taken at insert time but become visible at commit, so a log row with a
smaller id can appear after a larger one was read. The feed therefore re-reads a window of
`WINDOW` ids below the highest it has seen and skips the ones it already applied.
"""

from dataclasses import dataclass

import psycopg

from tiles.tms import Bounds

WINDOW = 1000
_START_SQL = "SELECT coalesce(max(id), 0) FROM onemap.tile_change"
_POLL_SQL = """
SELECT id, kind, min_x, min_y, max_x, max_y FROM onemap.tile_change WHERE id > %s ORDER BY id
"""
_CHANGED_SINCE_SQL = """
SELECT EXISTS (SELECT 1 FROM onemap.tile_change
               WHERE id > %(since)s AND kind = ANY(%(kinds)s)
                 AND min_x <= %(max_x)s AND max_x >= %(min_x)s AND min_y <= %(max_y)s AND max_y >= %(min_y)s)
"""
_PRUNE_SQL = "DELETE FROM onemap.tile_change WHERE changed_at < now() - interval '1 day'"


@dataclass(frozen=True)
class Change:
    id: int
    kind: str
    bounds: Bounds  # EPSG:3857


class ChangeFeed:
    """The changes not yet applied to this process's cache."""

    def __init__(self) -> None:
        self.last_id: int | None = None
        self._applied: set[int] = set()

    async def poll(self, conn: psycopg.AsyncConnection) -> list[Change]:
        if self.last_id is None:  # nothing is cached yet: what the log holds is applied already
            row = await (await conn.execute(_START_SQL)).fetchone()
            self.last_id = int(row[0]) if row else 0
            rows = await (await conn.execute(_POLL_SQL, (max(self.last_id - WINDOW, 0),))).fetchall()
            self._applied = {r[0] for r in rows}
            return []
        rows = await (await conn.execute(_POLL_SQL, (max(self.last_id - WINDOW, 0),))).fetchall()
        fresh = [Change(r[0], r[1], Bounds(r[2], r[3], r[4], r[5]))
                 for r in rows if r[0] not in self._applied]
        for change in fresh:
            self._applied.add(change.id)
            self.last_id = max(self.last_id, change.id)
        floor = self.last_id - WINDOW
        self._applied = {i for i in self._applied if i > floor}
        return fresh


async def changed_since(conn: psycopg.AsyncConnection, since: int, kinds: list[str], box: Bounds) -> bool:
    """Whether the log holds a change after `since` of one of the kinds that meets the box."""
    row = await (await conn.execute(_CHANGED_SINCE_SQL, {
        "since": since - WINDOW, "kinds": kinds, "min_x": box.min_x, "min_y": box.min_y,
        "max_x": box.max_x, "max_y": box.max_y})).fetchone()
    return bool(row and row[0])


async def prune(conn: psycopg.AsyncConnection) -> None:
    """Forget changes older than a day (every cache has long applied them)."""
    await conn.execute(_PRUNE_SQL)
