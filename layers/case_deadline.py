"""Case deadlines: a working-day calendar (holidays, make-up workdays 调休), deadline rules, due-soon.

Working time is the union of the daily working periods (default 09:00–12:00 and 14:00–18:00,
local time) on working days. A working day is Monday to Friday unless the calendar lists it as
a holiday, or a weekend day the calendar lists as a make-up workday.

A deadline of N working days is N × (working hours of a day) of working time counted from the
report: a case reported on Friday at 16:05 with one working day is due on Monday at 16:05; one
reported on Saturday is due at the end of Monday. A deadline in working hours counts working
time the same way; a deadline in hours is clock time. A case is due soon once less than
`due_soon_fraction` of its allowed time is left.
"""

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from gis.errors import InvalidParameter

Unit = Literal["workday", "workhour", "hour"]
UNITS: tuple[Unit, ...] = ("workday", "workhour", "hour")
DEFAULT_PERIODS: tuple[tuple[time, time], ...] = ((time(9), time(12)), (time(14), time(18)))
_MAX_DAYS = 3 * 366  # no deadline reaches further than three years of calendar


def parse_periods(text: str) -> tuple[tuple[time, time], ...]:
    """Parse '09:00-12:00,14:00-18:00' into ordered, non-overlapping working periods."""
    periods: list[tuple[time, time]] = []
    for part in text.split(","):
        try:
            start_text, end_text = part.strip().split("-")
            start, end = time.fromisoformat(start_text.strip()), time.fromisoformat(end_text.strip())
        except ValueError:
            raise InvalidParameter(f"working period {part.strip()!r} is not HH:MM-HH:MM") from None
        if end <= start or (periods and start < periods[-1][1]):
            raise InvalidParameter(f"working periods {text!r} must be ordered and not overlap")
        periods.append((start, end))
    return tuple(periods)


@dataclass(frozen=True)
class WorkCalendar:
    """Working days and hours of one city, in its local time zone."""

    holidays: frozenset[date] = frozenset()
    makeup_workdays: frozenset[date] = frozenset()
    periods: tuple[tuple[time, time], ...] = DEFAULT_PERIODS
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))

    def is_workday(self, day: date) -> bool:
        if day in self.makeup_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    @property
    def day_seconds(self) -> float:
        """Working seconds of one working day."""
        return sum(
            (datetime.combine(date.min, b) - datetime.combine(date.min, a)).total_seconds()
            for a, b in self.periods
        )

    def add_working_seconds(self, start: datetime, seconds: float) -> datetime:
        """The instant at which `seconds` of working time have passed since `start`.

        Counted on the local wall clock (working periods are wall-clock times), then placed
        back in the time zone.
        """
        if start.tzinfo is None:
            raise InvalidParameter("a case time needs a time zone")
        local = start.astimezone(self.tz).replace(tzinfo=None)
        day = local.date()
        remaining = seconds
        for _ in range(_MAX_DAYS):
            if self.is_workday(day):
                for a, b in self.periods:
                    begin = max(datetime.combine(day, a), local)
                    end = datetime.combine(day, b)
                    if begin >= end:
                        continue
                    span = (end - begin).total_seconds()
                    if remaining <= span:
                        return (begin + timedelta(seconds=remaining)).replace(tzinfo=self.tz)
                    remaining -= span
            day += timedelta(days=1)
        raise InvalidParameter(
            f"a deadline of {seconds / 3600:g} working hours from {start} lies beyond three years of calendar"
        )

    def working_seconds(self, start: datetime, end: datetime) -> float:
        """Working time between two instants (0 when end <= start)."""
        total = 0.0
        a_local = start.astimezone(self.tz).replace(tzinfo=None)
        b_local = end.astimezone(self.tz).replace(tzinfo=None)
        day = a_local.date()
        while day <= b_local.date():
            if self.is_workday(day):
                for a, b in self.periods:
                    begin = max(datetime.combine(day, a), a_local)
                    finish = min(datetime.combine(day, b), b_local)
                    total += max(0.0, (finish - begin).total_seconds())
            day += timedelta(days=1)
        return total


@dataclass(frozen=True)
class DeadlineRule:
    """How long cases of a class may take; None fields match anything."""

    scheme: str | None
    kind: str | None
    class_prefix: str
    urgency: str | None
    amount: float
    unit: Unit

    def matches(self, scheme: str, kind: str, class_code: str, urgency: str) -> bool:
        return (
            (self.scheme is None or self.scheme == scheme)
            and (self.kind is None or self.kind == kind)
            and class_code.startswith(self.class_prefix)
            and (self.urgency is None or self.urgency == urgency)
        )

    @property
    def specificity(self) -> tuple[int, bool, bool, bool]:
        return (
            len(self.class_prefix),
            self.kind is not None,
            self.urgency is not None,
            self.scheme is not None,
        )


# Used when the rule table is empty: urgency A/B/C = 1/2/4 working days (issue 7).
DEFAULT_RULES: tuple[DeadlineRule, ...] = tuple(
    DeadlineRule(None, None, "", urgency, days, "workday") for urgency, days in (("A", 1), ("B", 2), ("C", 4))
)


def pick_rule(rules: Iterable[DeadlineRule], *, kind: str, class_code: str, urgency: str) -> DeadlineRule:
    """The most specific rule for a case (longest class prefix, then kind, urgency, scheme)."""
    scheme = "legacy" if len(class_code) == 4 else "gb47678"
    found = [r for r in rules if r.matches(scheme, kind, class_code, urgency)]
    found = found or [r for r in DEFAULT_RULES if r.matches(scheme, kind, class_code, urgency)]
    if not found:
        raise InvalidParameter(f"no deadline rule covers {kind} class {class_code} urgency {urgency}")
    return max(found, key=lambda r: r.specificity)


@dataclass(frozen=True)
class Deadline:
    deadline_at: datetime
    due_soon_at: datetime


def deadline(
    calendar: WorkCalendar, rule: DeadlineRule, reported_at: datetime, *, due_soon_fraction: float
) -> Deadline:
    """The deadline of a case reported at `reported_at` under `rule`, and when it becomes due soon."""
    if rule.unit == "hour":
        allowed = timedelta(hours=rule.amount)
        return Deadline(reported_at + allowed, reported_at + allowed * (1 - due_soon_fraction))
    seconds = rule.amount * (calendar.day_seconds if rule.unit == "workday" else 3600)
    return Deadline(
        calendar.add_working_seconds(reported_at, seconds),
        calendar.add_working_seconds(reported_at, seconds * (1 - due_soon_fraction)),
    )


def deadline_state(state: str, deadline_at: datetime, due_soon_at: datetime, now: datetime) -> str | None:
    """on_time / due_soon / overdue of an open case (None when closed or cancelled); mirrors SQL."""
    if state in ("closed", "cancelled"):
        return None
    if now > deadline_at:
        return "overdue"
    return "due_soon" if now >= due_soon_at else "on_time"


# --- the calendar file: CSV with the columns date, workday (true/false or 1/0), name ---


@dataclass(frozen=True)
class CalendarDay:
    day: date
    workday: bool
    name: str


_TRUE = {"true", "1", "yes", "y", "work", "workday", "班"}
_FALSE = {"false", "0", "no", "n", "off", "holiday", "休"}


def read_calendar_csv(text: str, origin: str = "calendar") -> list[CalendarDay]:
    """Parse a calendar CSV (date,workday,name); errors name the line and field."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"date", "workday"} - set(reader.fieldnames or ())
    if missing:
        raise InvalidParameter(
            f"{origin}: the header lacks {', '.join(sorted(missing))} (expected date,workday,name)"
        )
    days: list[CalendarDay] = []
    seen: set[date] = set()
    for row in reader:
        where = f"{origin} line {reader.line_num}"
        try:
            day = date.fromisoformat((row.get("date") or "").strip())
        except ValueError:
            raise InvalidParameter(f"{where}: field date {row.get('date')!r} is not YYYY-MM-DD") from None
        flag = (row.get("workday") or "").strip().lower()
        if flag not in _TRUE | _FALSE:
            raise InvalidParameter(f"{where}: field workday {row.get('workday')!r} is not true or false")
        if day in seen:
            raise InvalidParameter(f"{where}: {day} is listed twice")
        seen.add(day)
        days.append(CalendarDay(day, flag in _TRUE, (row.get("name") or "").strip()))
    return days


def calendar_from_days(
    days: Iterable[CalendarDay],
    *,
    periods: tuple[tuple[time, time], ...] = DEFAULT_PERIODS,
    tz: ZoneInfo | None = None,
) -> WorkCalendar:
    """A WorkCalendar from the stored exceptions (holidays and make-up workdays)."""
    days = list(days)
    return WorkCalendar(
        holidays=frozenset(d.day for d in days if not d.workday),
        makeup_workdays=frozenset(d.day for d in days if d.workday),
        periods=periods,
        tz=tz or ZoneInfo("Asia/Shanghai"),
    )
