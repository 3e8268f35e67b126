"""Bulk load of historical cases from the old case system (COPY into staging, then one INSERT … SELECT).

onemap assigns each record's unit grid cell, community, street, county, responsibility grid and
department (in SQL, like a new case) and its deadline (from the rules and calendar stored now).
A record outside every unit grid cell is kept with empty area codes. History loads do not notify
`onemap_cases` (the trigger is silenced for the transaction); the layer's data_version still moves.
"""

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from importlib import resources

import psycopg

from gis.errors import InvalidParameter
from layers.case_rules import CaseOptions, load_policy
from layers.case_workflow import STATES
from layers.cases import KINDS, URGENCIES, check_class

_STAGING_SQL = """
CREATE TEMP TABLE case_history_staging (
    n integer, case_no text, kind text, class_code text, source text, urgency text, state text,
    self_handled boolean, rework_count integer, reported_at timestamptz, deadline_at timestamptz,
    due_soon_at timestamptz, closed_at timestamptz, lon double precision, lat double precision,
    description text
) ON COMMIT DROP
"""
_COPY_SQL = (
    "COPY case_history_staging (n, case_no, kind, class_code, source, urgency, state, self_handled, "
    "rework_count, reported_at, deadline_at, due_soon_at, closed_at, lon, lat, description) FROM STDIN"
)


@dataclass(frozen=True)
class CaseHistoryRecord:
    """One case of the old system; lon/lat in EPSG:4490."""

    kind: str
    class_code: str
    source: str
    urgency: str
    state: str
    reported_at: datetime
    lon: float
    lat: float
    closed_at: datetime | None = None
    case_no: str | None = None
    self_handled: bool = False
    rework_count: int = 0
    description: str = ""


@functools.lru_cache(maxsize=4096)
def _known_class(kind: str, class_code: str) -> str:
    return check_class(kind, class_code)


def _checked(n: int, r: CaseHistoryRecord) -> None:
    where = f"history record {n}"
    try:
        if r.kind not in KINDS or r.urgency not in URGENCIES or r.state not in STATES:
            raise InvalidParameter(f"kind {r.kind!r}, urgency {r.urgency!r} or state {r.state!r} is unknown")
        _known_class(r.kind, r.class_code)
    except InvalidParameter as error:
        raise InvalidParameter(f"{where}: {error}") from None
    except Exception as error:  # InvalidCode from the class table
        raise InvalidParameter(f"{where}: {error}") from None
    if not (
        isinstance(r.source, str) and r.source.isascii() and r.source[:1].isalpha() and len(r.source) <= 40
    ):
        raise InvalidParameter(f"{where}: source {r.source!r} is not a lower-case word")
    if r.reported_at.tzinfo is None or (r.closed_at is not None and r.closed_at.tzinfo is None):
        raise InvalidParameter(f"{where}: reported_at and closed_at need a time zone")
    if (r.state == "closed") != (r.closed_at is not None) and r.state != "cancelled":
        raise InvalidParameter(f"{where}: closed_at is set exactly when the state is closed")
    if r.closed_at is not None and r.closed_at < r.reported_at:
        raise InvalidParameter(f"{where}: closed_at is before reported_at")
    if r.self_handled and r.state != "closed":
        raise InvalidParameter(f"{where}: a self-handled case is closed")
    if not (math.isfinite(r.lon) and math.isfinite(r.lat) and -180 <= r.lon <= 180 and -90 <= r.lat <= 90):
        raise InvalidParameter(f"{where}: lon/lat ({r.lon}, {r.lat}) is not a point in EPSG:4490")
    if r.rework_count < 0:
        raise InvalidParameter(f"{where}: rework_count is negative")


def import_case_history(
    conn: psycopg.Connection, records: Iterable[CaseHistoryRecord], *, options: CaseOptions | None = None
) -> int:
    """Load historical cases in one transaction; return the number of cases stored."""
    policy = load_policy(conn, options or CaseOptions())
    insert = (resources.files("layers") / "sql" / "case_history.sql").read_text(encoding="utf-8")
    with conn.transaction():
        conn.execute("SET LOCAL onemap.quiet_cases = 'on'")
        conn.execute(_STAGING_SQL)
        with conn.cursor() as cur, cur.copy(_COPY_SQL) as copy:
            for n, r in enumerate(records, start=1):
                _checked(n, r)
                due = policy.deadline_for(
                    kind=r.kind, class_code=r.class_code, urgency=r.urgency, reported_at=r.reported_at
                )
                copy.write_row(
                    (
                        n,
                        r.case_no,
                        r.kind,
                        r.class_code,
                        r.source,
                        r.urgency,
                        r.state,
                        r.self_handled,
                        r.rework_count,
                        r.reported_at,
                        due.deadline_at,
                        due.due_soon_at,
                        r.closed_at,
                        r.lon,
                        r.lat,
                        r.description,
                    )
                )
        try:
            loaded = conn.execute(insert).rowcount
        except psycopg.errors.UniqueViolation:
            raise InvalidParameter("a history record repeats a case_no that onemap already holds") from None
    return loaded
