"""Evaluation of case handling (GB/T 30428.4): closure rates, rework, problems found per km² per day.

Per department, county, street, community, responsibility grid or unit grid, over the cases
reported in a period [start, end). The definitions (docs/cases.md, "Evaluation"):

    reported           cases reported in the period (every source, every state)
    cancelled          of which cancelled (作废): not counted as problems found
    self_handled       of which closed on the spot by an inspector (自行处置), counted apart from
                       the workflow figures below
    filed              workflow cases: not self-handled, neither still reported nor cancelled (立案数)
    due                filed cases whose deadline is before the cutoff, or closed before it (应结案数);
                       the cutoff is the end of the period, or now while the period runs
    closed             filed cases closed before the cutoff (结案数)
    closed_on_time     closed no later than the deadline (按期结案数)
    closure_rate       closed / due (结案率)
    on_time_rate       closed_on_time / due (按期结案率)
    rework_rate        filed cases sent back at least once / dispatched cases (返工率)
    first_time_rate    closed cases never sent back / closed (一次性办结率)
    found_per_km2_day  (reported - cancelled) / area in km² / days of the period

Areas are the summed areas of the current unit grid cells of the group (the managed area); a
department's area is that of the whole evaluated area (`within`). Rates are None when their
denominator is 0.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from gis.errors import InvalidParameter

_GRID_AREA = "(SELECT sum(area_m2) FROM onemap.v_unit_grid WHERE starts_with(code, {}))"


@dataclass(frozen=True)
class Grouping:
    key: str
    name: str
    area: str


GROUPINGS: dict[str, Grouping] = {
    "department": Grouping("c.department", "f.key", _GRID_AREA.format("%(within)s")),
    "county": Grouping(
        "c.county_code", "(SELECT name FROM onemap.admin_area WHERE code = f.key)", _GRID_AREA.format("f.key")
    ),
    "street": Grouping(
        "c.street_code", "(SELECT name FROM onemap.admin_area WHERE code = f.key)", _GRID_AREA.format("f.key")
    ),
    "community": Grouping(
        "c.community_code",
        "(SELECT name FROM onemap.admin_area WHERE code = f.key)",
        _GRID_AREA.format("f.key"),
    ),
    "resp_grid": Grouping(
        "c.resp_grid_code",
        "(SELECT name FROM onemap.resp_grid WHERE code = f.key)",
        "(SELECT area_m2 FROM onemap.resp_grid WHERE code = f.key)",
    ),
    "grid": Grouping(
        "c.grid_code",
        "(SELECT coalesce(name, code) FROM onemap.v_unit_grid WHERE code = f.key)",
        "(SELECT area_m2 FROM onemap.v_unit_grid WHERE code = f.key)",
    ),
}
COUNTS = (
    "reported",
    "cancelled",
    "self_handled",
    "filed",
    "dispatched",
    "due",
    "closed",
    "closed_on_time",
    "reworked",
    "closed_first_time",
)


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def with_rates(row: dict[str, Any], days: float) -> dict[str, Any]:
    """Add the rates of one group's counts (see the module docstring)."""
    area_km2 = row["area_m2"] / 1e6 if row.get("area_m2") else None
    found = row["reported"] - row["cancelled"]
    return {
        **row,
        "area_km2": area_km2,
        "closure_rate": _ratio(row["closed"], row["due"]),
        "on_time_rate": _ratio(row["closed_on_time"], row["due"]),
        "rework_rate": _ratio(row["reworked"], row["dispatched"]),
        "first_time_rate": _ratio(row["closed_first_time"], row["closed"]),
        "found_per_km2_day": found / area_km2 / days if area_km2 and days > 0 else None,
    }


def check_period(start: datetime, end: datetime) -> float:
    """The period's length in days; InvalidParameter unless start < end, both with a time zone."""
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidParameter("start and end need a time zone (e.g. 2026-10-01T00:00:00+08:00)")
    if end <= start:
        raise InvalidParameter("end must be after start")
    return (end - start).total_seconds() / 86400


def evaluation_query(by: str) -> sql.Composed:
    """The evaluation SQL for one grouping (only the fixed expressions above are composed in)."""
    grouping = GROUPINGS.get(by)
    if grouping is None:
        raise InvalidParameter(f"by {by[:30]!r} is not one of {', '.join(GROUPINGS)}")
    text = (resources.files("layers") / "sql" / "case_evaluation.sql").read_text(encoding="utf-8")
    return sql.SQL(text).format(
        key=sql.SQL(grouping.key), name=sql.SQL(grouping.name), area=sql.SQL(grouping.area)
    )


async def evaluate(
    conn: psycopg.AsyncConnection, *, by: str, start: datetime, end: datetime, within: str = ""
) -> list[dict[str, Any]]:
    """Evaluation figures per group of `by`, for the cases reported in [start, end) under `within`."""
    days = check_period(start, end)
    if not (within == "" or (within.isascii() and within.isdigit() and len(within) <= 15)):
        raise InvalidParameter(f"within {within[:20]!r} is not a code prefix of up to 15 digits")
    query = evaluation_query(by)
    async with conn.cursor(row_factory=dict_row) as cur:
        rows = await (
            await cur.execute(
                query, {"start": start, "end": end, "cutoff": min(end, datetime.now(UTC)), "within": within}
            )
        ).fetchall()
    return [with_rates(row, days) for row in rows]
