"""Daily partitions of ``onemap.vehicle_fix``: created on demand by the ingest, dropped after retention.

A partition holds one China Standard Time day and is named ``vehicle_fix_pYYYYMMDD``; dropping
a whole partition is how old fixes leave (no DELETE, no bloat, no vacuum debt).
"""

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

import psycopg
from psycopg import sql

from gis.database import AdvisoryLock
from layers.vehicle_fixes import CST

_PREFIX = "vehicle_fix_p"
_NAME = re.compile(r"^vehicle_fix_p(\d{8})$")
_LIST_SQL = """
SELECT c.relname FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'onemap.vehicle_fix'::regclass
"""


def partition_name(day: date) -> str:
    return f"{_PREFIX}{day:%Y%m%d}"


def day_of(t: datetime) -> date:
    """The China Standard Time day of an instant."""
    return (t.astimezone(UTC) + CST).date()


def _bounds(day: date) -> tuple[str, str]:
    return f"{day.isoformat()} 00:00:00+08", f"{(day + timedelta(days=1)).isoformat()} 00:00:00+08"


def _create_sql(day: date) -> sql.Composed:
    low, high = _bounds(day)
    return sql.SQL(
        "CREATE TABLE IF NOT EXISTS {} PARTITION OF onemap.vehicle_fix FOR VALUES FROM ({}) TO ({})"
    ).format(sql.Identifier("onemap", partition_name(day)), sql.Literal(low), sql.Literal(high))


async def ensure_partitions(conn: psycopg.AsyncConnection, days: Iterable[date], known: set[date]) -> None:
    """Create the missing day partitions (in the caller's transaction); `known` caches what exists."""
    missing = sorted(set(days) - known)
    if not missing:
        return
    await conn.execute("SELECT pg_advisory_xact_lock(%s)", (AdvisoryLock.FIX_PARTITIONS,))
    existing = {name for (name,) in await (await conn.execute(_LIST_SQL)).fetchall()}
    for day in missing:
        if partition_name(day) not in existing:
            await conn.execute(_create_sql(day))
    known.update(missing)


def ensure_partitions_sync(conn: psycopg.Connection, days: Iterable[date]) -> None:
    """The same, for the CLI and tests (commits with the caller's transaction)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (AdvisoryLock.FIX_PARTITIONS,))
        existing = {name for (name,) in conn.execute(_LIST_SQL).fetchall()}
        for day in sorted(set(days)):
            if partition_name(day) not in existing:
                conn.execute(_create_sql(day))


def list_partitions(conn: psycopg.Connection) -> list[date]:
    """The days that have a partition, oldest first."""
    days = []
    for (name,) in conn.execute(_LIST_SQL).fetchall():
        match = _NAME.match(name)
        if match:
            days.append(datetime.strptime(match[1], "%Y%m%d").date())
    return sorted(days)


def prune(
    conn: psycopg.Connection, *, retention_days: int, today: date | None = None, dry_run: bool = False
) -> list[date]:
    """Drop the partitions of days before today − retention_days; return those days."""
    today = today or day_of(datetime.now(UTC))
    cutoff = today - timedelta(days=retention_days)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (AdvisoryLock.FIX_PARTITIONS,))
        old = [day for day in list_partitions(conn) if day < cutoff]
        if not dry_run:
            for day in old:
                conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier("onemap", partition_name(day))))
    return old
