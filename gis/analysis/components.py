"""Component health: 部件 cases per 1,000 components, by component class and area.

    rate(class, area) = 1000 · cases(class, area, period) / components(class, area, now)

Cases are the component cases (kind 'component') of the period whose point lies in the area;
components are those in service now (``onemap.v_component``). Class names come from the shipped
GB/T 30428.2 / GB/T 47678.5 class tables.
"""

from dataclasses import dataclass
from importlib import resources

import psycopg
from psycopg import sql

from gis.analysis.aggregate import CaseFilter
from gis.errors import InvalidParameter
from grid_codes.classes import ClassCode, default_table

_AREAS = {"street": "street_code", "community": "community_code"}


@dataclass(frozen=True)
class ComponentRate:
    class_code: str
    class_name: str
    area_code: str
    area_name: str
    components: int
    cases: int
    per_1000: float


def class_name(code: str) -> str:
    """The name of a component class from the shipped tables, or the code when unknown."""
    try:
        parsed = ClassCode.parse(code, kind="component")
        return default_table().lookup(parsed.scheme, parsed.kind, parsed.code).name or code
    except Exception:  # an unknown or local class: show its code
        return code


def component_rates(
    conn: psycopg.Connection, case_filter: CaseFilter, *, area: str = "street"
) -> list[ComponentRate]:
    """Rates for every (class, area) with components, highest first."""
    if area not in _AREAS:
        raise InvalidParameter(f"area {area[:20]!r} is not one of {', '.join(_AREAS)}")
    text = (resources.files("gis.analysis") / "sql" / "component_rates.sql").read_text(encoding="utf-8")
    statement = sql.SQL(text).format(area_column=sql.Identifier(_AREAS[area]))
    rows = conn.execute(statement, case_filter.params()).fetchall()
    return [
        ComponentRate(r[0], class_name(r[0]), r[1], r[2], int(r[3]), int(r[4]), float(r[5])) for r in rows
    ]
