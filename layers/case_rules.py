"""The configurable parts of case handling stored in PostGIS: calendar, deadline and department rules.

Each table is loaded from a CSV (`onemap cases calendar load`, `onemap cases rules load-deadlines`,
`onemap cases rules load-departments`) and read back into a `DeadlinePolicy` when cases are
created. Department assignment runs in SQL (`onemap.case_department`) so that bulk loads use it too.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import psycopg

from gis.errors import InvalidParameter
from gis.settings import Settings
from layers.case_deadline import (
    UNITS,
    CalendarDay,
    Deadline,
    DeadlineRule,
    Unit,
    WorkCalendar,
    calendar_from_days,
    deadline,
    parse_periods,
    pick_rule,
    read_calendar_csv,
)


@dataclass(frozen=True)
class CaseOptions:
    """The settings of case handling (ONEMAP_CASE_*, and the city's ONEMAP_TIMEZONE)."""

    timezone: str = "Asia/Shanghai"
    work_periods: str = "09:00-12:00,14:00-18:00"
    due_soon_fraction: float = 0.2

    @classmethod
    def from_settings(cls, settings: Settings) -> "CaseOptions":
        return cls(settings.timezone, settings.case_work_periods, settings.case_due_soon_fraction)

    @property
    def tz(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidParameter(f"unknown time zone {self.timezone!r} (ONEMAP_TIMEZONE)") from None


@dataclass(frozen=True)
class DeadlinePolicy:
    """Everything a case's deadline depends on, read once per request or bulk load."""

    calendar: WorkCalendar
    rules: tuple[DeadlineRule, ...]
    due_soon_fraction: float
    # the rule of each (kind, class, urgency) seen, so that bulk loads search the table once per class
    _picked: dict[tuple[str, str, str], DeadlineRule] = field(default_factory=dict, compare=False, repr=False)

    def deadline_for(self, *, kind: str, class_code: str, urgency: str, reported_at: datetime) -> Deadline:
        key = (kind, class_code, urgency)
        rule = self._picked.get(key)
        if rule is None:
            rule = self._picked[key] = pick_rule(
                self.rules, kind=kind, class_code=class_code, urgency=urgency
            )
        return deadline(self.calendar, rule, reported_at, due_soon_fraction=self.due_soon_fraction)


CALENDAR_SQL = "SELECT day, workday, name FROM onemap.work_calendar ORDER BY day"
DEADLINE_RULES_SQL = (
    "SELECT scheme, kind, class_prefix, urgency, amount, unit FROM onemap.case_deadline_rule ORDER BY id"
)
DISPATCH_RULES_SQL = (
    "SELECT scheme, kind, class_prefix, area_prefix, department FROM onemap.case_dispatch_rule ORDER BY id"
)


def policy_from_rows(
    calendar_rows: Iterable[Sequence[Any]], rule_rows: Iterable[Sequence[Any]], options: CaseOptions
) -> DeadlinePolicy:
    """Build the policy from the rows of CALENDAR_SQL and DEADLINE_RULES_SQL."""
    calendar = calendar_from_days(
        (CalendarDay(r[0], r[1], r[2]) for r in calendar_rows),
        periods=parse_periods(options.work_periods),
        tz=options.tz,
    )
    rules = tuple(DeadlineRule(r[0], r[1], r[2], r[3], float(r[4]), cast(Unit, r[5])) for r in rule_rows)
    return DeadlinePolicy(calendar, rules, options.due_soon_fraction)


def load_policy(conn: psycopg.Connection, options: CaseOptions) -> DeadlinePolicy:
    """The policy stored in the database (synchronous: CLI and bulk loads)."""
    return policy_from_rows(
        conn.execute(CALENDAR_SQL).fetchall(), conn.execute(DEADLINE_RULES_SQL).fetchall(), options
    )


async def fetch_policy(conn: psycopg.AsyncConnection, options: CaseOptions) -> DeadlinePolicy:
    """The policy stored in the database (asynchronous: the service)."""
    days = await (await conn.execute(CALENDAR_SQL)).fetchall()
    rules = await (await conn.execute(DEADLINE_RULES_SQL)).fetchall()
    return policy_from_rows(days, rules, options)


# --- loaders ---


def shipped_calendars() -> list[tuple[str, str]]:
    """(file name, text) of the shipped calendars of public holidays and make-up workdays."""
    folder = resources.files("layers") / "calendars"
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".csv")), key=lambda f: f.name)
    return [(f.name, f.read_text(encoding="utf-8")) for f in files]


def store_calendar(conn: psycopg.Connection, text: str, origin: str = "calendar") -> int:
    """Replace the calendar of every year the CSV mentions with its days; return the rows stored."""
    days = read_calendar_csv(text, origin)
    years = sorted({d.day.year for d in days})
    with conn.transaction():
        conn.execute("DELETE FROM onemap.work_calendar WHERE extract(year FROM day)::int = ANY(%s)", (years,))
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO onemap.work_calendar (day, workday, name) VALUES (%s, %s, %s)",
                [(d.day, d.workday, d.name) for d in days],
            )
    return len(days)


def _csv_rows(text: str, origin: str, required: set[str]) -> list[tuple[str, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = required - set(reader.fieldnames or ())
    if missing:
        raise InvalidParameter(f"{origin}: the header lacks {', '.join(sorted(missing))}")
    return [
        (f"{origin} line {reader.line_num}", {k: (v or "").strip() for k, v in row.items() if k})
        for row in reader
    ]


def _check_choice(where: str, field: str, value: str, choices: Sequence[str]) -> str | None:
    if value in ("", "*"):
        return None
    if value not in choices:
        raise InvalidParameter(
            f"{where}: field {field} {value!r} is not one of {', '.join(choices)} or empty"
        )
    return value


def _check_prefix(where: str, field: str, value: str, longest: int) -> str:
    if not ((value.isascii() and value.isdigit()) or value == "") or len(value) > longest:
        raise InvalidParameter(
            f"{where}: field {field} {value!r} is not a code prefix of 0 to {longest} digits"
        )
    return value


def store_deadline_rules(conn: psycopg.Connection, text: str, origin: str = "rules") -> int:
    """Replace the deadline rules with a CSV: scheme,kind,class_prefix,urgency,amount,unit[,note]."""
    rows = []
    for where, r in _csv_rows(text, origin, {"kind", "class_prefix", "urgency", "amount", "unit"}):
        try:
            amount = float(r["amount"])
        except ValueError:
            raise InvalidParameter(f"{where}: field amount {r['amount']!r} is not a number") from None
        if not 0 < amount <= 366:
            raise InvalidParameter(f"{where}: field amount {r['amount']!r} must be above 0 and at most 366")
        rows.append(
            (
                _check_choice(where, "scheme", r.get("scheme", ""), ("legacy", "gb47678")),
                _check_choice(where, "kind", r["kind"], ("event", "component")),
                _check_prefix(where, "class_prefix", r["class_prefix"], 5),
                _check_choice(where, "urgency", r["urgency"], ("A", "B", "C")),
                amount,
                _check_choice(where, "unit", r["unit"], UNITS) or "workday",
                r.get("note", ""),
            )
        )
    return _replace(
        conn,
        "DELETE FROM onemap.case_deadline_rule",
        "INSERT INTO onemap.case_deadline_rule (scheme, kind, class_prefix, urgency, amount, unit, "
        "note) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        rows,
        origin,
    )


def store_dispatch_rules(conn: psycopg.Connection, text: str, origin: str = "rules") -> int:
    """Replace the department rules with a CSV: scheme,kind,class_prefix,area_prefix,department."""
    rows = []
    for where, r in _csv_rows(text, origin, {"kind", "class_prefix", "area_prefix", "department"}):
        if not 1 <= len(r["department"]) <= 100:
            raise InvalidParameter(f"{where}: field department must have 1 to 100 characters")
        rows.append(
            (
                _check_choice(where, "scheme", r.get("scheme", ""), ("legacy", "gb47678")),
                _check_choice(where, "kind", r["kind"], ("event", "component")),
                _check_prefix(where, "class_prefix", r["class_prefix"], 5),
                _check_prefix(where, "area_prefix", r["area_prefix"], 15),
                r["department"],
            )
        )
    if not any(r[2] == "" and r[3] == "" and r[0] is None and r[1] is None for r in rows):
        raise InvalidParameter(
            f"{origin}: a catch-all rule (empty scheme, kind, class_prefix and "
            "area_prefix) is required so that every case gets a department"
        )
    return _replace(
        conn,
        "DELETE FROM onemap.case_dispatch_rule",
        "INSERT INTO onemap.case_dispatch_rule (scheme, kind, class_prefix, area_prefix, department) "
        "VALUES (%s, %s, %s, %s, %s)",
        rows,
        origin,
    )


def _replace(
    conn: psycopg.Connection, delete: str, insert: str, rows: list[tuple[Any, ...]], origin: str
) -> int:
    try:
        with conn.transaction(), conn.cursor() as cur:
            cur.execute(delete)
            cur.executemany(insert, rows)
    except psycopg.errors.UniqueViolation:
        raise InvalidParameter(f"{origin}: two rules have the same scheme, kind and prefixes") from None
    return len(rows)
