"""Cases aggregated to areal units (unit grid cells, communities, streets), zero-case units included.

Query builders are pure (SQL + parameters) so the service's async handlers and the notebooks'
sync connections run the same statements; ``case_counts`` / ``case_points`` are the sync forms.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import psycopg
import shapely
from psycopg import sql

from gis.errors import InvalidParameter

Level = Literal["grid", "community", "street"]
# level → (unit view, the case column holding that level's code)
LEVELS: dict[str, tuple[str, str]] = {
    "grid": ("v_unit_grid", "grid_code"),
    "community": ("v_community", "community_code"),
    "street": ("v_street", "street_code"),
}
KINDS = ("event", "component")
_CLASS = re.compile(r"^[0-9]{2,5}$", re.ASCII)
_WORD = re.compile(r"^[a-z][a-z0-9_]{0,39}$", re.ASCII)
DEFAULT_DAYS = 90
# the days a case register can hold; a day outside is a typo (and 0001-01-01 − 8 h is no datetime)
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)
_AREA = re.compile(r"^[0-9]{6,15}$", re.ASCII)


def period(first: date | None, last: date | None) -> tuple[date, date]:
    """The days of a filter: `last` (default today) and `first` (default the DEFAULT_DAYS ending on it)."""
    end = last or date.today()
    if first is None:  # a day before FIRST_DAY is refused by CaseFilter, not by an overflow here
        first = end - timedelta(days=DEFAULT_DAYS - 1) if end >= FIRST_DAY else end
    return first, end


@dataclass(frozen=True)
class CaseFilter:
    """Which cases count: reported on ``date_from`` … ``date_to`` (both inclusive, UTC+8 days)."""

    date_from: date
    date_to: date
    classes: tuple[str, ...] = ()  # class codes or prefixes (major class "06", minor "06010")
    kind: str | None = None  # event | component
    sources: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    within: str | None = None  # an admin or grid code prefix limiting the units

    def __post_init__(self) -> None:
        for day in (self.date_from, self.date_to):
            if not FIRST_DAY <= day <= LAST_DAY:
                raise InvalidParameter(f"day {day} is outside {FIRST_DAY} … {LAST_DAY}")
        if self.date_to < self.date_from:
            raise InvalidParameter(f"the period ends ({self.date_to}) before it starts ({self.date_from})")
        for code in self.classes:
            if not _CLASS.match(code):
                raise InvalidParameter(f"class {code[:20]!r} is not a class code or prefix (2–5 digits)")
        if self.kind is not None and self.kind not in KINDS:
            raise InvalidParameter(f"kind {self.kind[:20]!r} is not one of {', '.join(KINDS)}")
        for word in (*self.sources, *self.states):
            if not _WORD.match(word):
                raise InvalidParameter(f"source/state {word[:20]!r} is not a lower-case word")
        if self.within is not None and not _AREA.match(self.within):
            raise InvalidParameter(f"area {self.within[:20]!r} is not an admin or grid code")

    def params(self) -> dict[str, Any]:
        china = timedelta(hours=8)  # case days are Beijing days (UTC+8)
        start = datetime.combine(self.date_from, time(), tzinfo=UTC) - china
        end = datetime.combine(self.date_to + timedelta(days=1), time(), tzinfo=UTC) - china
        return {
            "date_from": start,
            "date_to": end,
            "kind": self.kind,
            "classes": list(self.classes) or None,
            "sources": list(self.sources) or None,
            "states": list(self.states) or None,
            "within": self.within,
        }


@dataclass(frozen=True)
class UnitCounts:
    """Case counts per unit, ordered by code; geometries EPSG:4490."""

    level: str
    codes: list[str]
    names: list[str]
    communities: list[str]
    streets: list[str]
    cases: npt.NDArray[np.int64]
    geometries: npt.NDArray[np.object_] = field(repr=False)


def _sql(name: str) -> str:
    return (resources.files("gis.analysis") / "sql" / name).read_text(encoding="utf-8")


def counts_query(level: str, case_filter: CaseFilter) -> tuple[sql.Composed, dict[str, Any]]:
    """The statement and parameters counting cases per unit of ``level``."""
    if level not in LEVELS:
        raise InvalidParameter(f"level {level[:20]!r} is not one of {', '.join(LEVELS)}")
    units, column = LEVELS[level]
    statement = sql.SQL(_sql("unit_counts.sql")).format(
        units=sql.Identifier(units), case_column=sql.Identifier(column)
    )
    return statement, case_filter.params()


def points_query(case_filter: CaseFilter) -> tuple[sql.SQL, dict[str, Any]]:
    """The statement and parameters of the matching cases' lon/lat."""
    return sql.SQL(_sql("case_points.sql")), case_filter.params()


def parse_counts(level: str, rows: list[tuple[Any, ...]]) -> UnitCounts:
    return UnitCounts(
        level=level,
        codes=[r[0] for r in rows],
        names=[r[1] for r in rows],
        communities=[r[2] for r in rows],
        streets=[r[3] for r in rows],
        cases=np.array([r[4] for r in rows], dtype=np.int64),
        geometries=np.asarray(shapely.from_wkb([bytes(r[5]) for r in rows]), dtype=object),
    )


def case_counts(conn: psycopg.Connection, level: str, case_filter: CaseFilter) -> UnitCounts:
    """Cases per unit of ``level`` matching the filter, every unit listed (zeros included)."""
    statement, params = counts_query(level, case_filter)
    return parse_counts(level, conn.execute(statement, params).fetchall())


def case_points(conn: psycopg.Connection, case_filter: CaseFilter) -> npt.NDArray[np.float64]:
    """(n, 2) lon/lat (EPSG:4490) of the matching cases."""
    statement, params = points_query(case_filter)
    return np.array(conn.execute(statement, params).fetchall(), dtype=np.float64).reshape(-1, 2)


_ADDRESS_SQL = """
SELECT u.code, concat_ws(' ', s.name, c.name, r.name) AS address
FROM onemap.v_unit_grid u
LEFT JOIN onemap.admin_area c ON c.code = left(u.code, 12)
LEFT JOIN onemap.admin_area s ON s.code = left(u.code, 9)
LEFT JOIN LATERAL (SELECT name FROM onemap.road WHERE name IS NOT NULL
                   ORDER BY geom <-> ST_PointOnSurface(u.geom) LIMIT 1) r ON true
WHERE u.code = ANY (%s)
"""


def cell_addresses(conn: psycopg.Connection, codes: list[str]) -> dict[str, str]:
    """A readable place of each unit grid cell: street, community and the nearest named road."""
    return dict(conn.execute(_ADDRESS_SQL, (list(codes),)).fetchall())
