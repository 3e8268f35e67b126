"""Case deadlines on the 2026 calendar: weekends, public holidays, make-up workdays (调休), hours."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from gis.errors import InvalidParameter
from layers.case_deadline import (
    DeadlineRule,
    Unit,
    WorkCalendar,
    calendar_from_days,
    deadline,
    deadline_state,
    parse_periods,
    pick_rule,
    read_calendar_csv,
)
from layers.case_rules import shipped_calendars

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    days = [d for name, text in shipped_calendars() for d in read_calendar_csv(text, name)]
    return calendar_from_days(days)


def days(n: float) -> DeadlineRule:
    return DeadlineRule(None, None, "", None, n, "workday")


def hours(n: float, unit: Unit = "workhour") -> DeadlineRule:
    return DeadlineRule(None, None, "", None, n, unit)


# (reported at, rule, expected deadline): hand-computed with working periods 09–12 and 14–18 (7 h a day)
CASES = [
    # Friday 16:05 + 1 working day: 1 h 55 on Friday, 5 h 05 on Monday
    ("2026-11-20T16:05", days(1), "2026-11-23T16:05"),
    # 4 working hours from Friday 16:05: 1 h 55 on Friday, 2 h 05 on Monday morning
    ("2026-11-20T16:05", hours(4), "2026-11-23T11:05"),
    # Saturday night, 2 working days: all of Monday and Tuesday
    ("2026-11-21T23:00", days(2), "2026-11-24T18:00"),
    # the day before 国庆: 1–7 October are holidays, Thursday 8 October is the next working day
    ("2026-09-30T16:05", days(1), "2026-10-08T16:05"),
    # Friday 9 October: Saturday 10 October is a make-up workday (调休上班)
    ("2026-10-09T16:05", days(1), "2026-10-10T16:05"),
    # Friday 18 September 17:00: Sunday 20 September is a make-up workday
    ("2026-09-18T17:00", days(1), "2026-09-20T17:00"),
    # 春节: Friday 13 Feb 10:00 + 4 days (28 h): Fri 6 h, Sat 14 Feb (调休) 7 h, 15–23 Feb off,
    # Tue 24 7 h, Wed 25 7 h, Thu 26 1 h
    ("2026-02-13T10:00", days(4), "2026-02-26T10:00"),
    # during the lunch break the clock stops: 12:30 + 1 working hour = 15:00
    ("2026-11-24T12:30", hours(1), "2026-11-24T15:00"),
    # before work starts: 07:00 + 7 working hours = the end of the same day
    ("2026-11-24T07:00", days(1), "2026-11-24T18:00"),
    # clock hours ignore the calendar
    ("2026-11-21T23:00", hours(4, "hour"), "2026-11-22T03:00"),
    # half a day
    ("2026-11-24T09:00", days(0.5), "2026-11-24T14:30"),
]


@pytest.mark.parametrize(
    ("reported", "rule", "expected"), CASES, ids=[f"{c[0]}+{c[1].amount:g}{c[1].unit}" for c in CASES]
)
def test_deadline(cal, reported, rule, expected):
    assert deadline(cal, rule, at(reported), due_soon_fraction=0.2).deadline_at == at(expected)


def test_due_soon_is_when_a_fifth_of_the_working_time_is_left(cal):
    due = deadline(cal, days(1), at("2026-11-23T09:00"), due_soon_fraction=0.2)
    assert due.deadline_at == at("2026-11-23T18:00")
    assert due.due_soon_at == at("2026-11-23T16:36")  # 5 h 36 of 7 h used
    assert cal.working_seconds(due.due_soon_at, due.deadline_at) == pytest.approx(0.2 * 7 * 3600)


def test_due_soon_across_a_holiday(cal):
    due = deadline(cal, days(1), at("2026-09-30T16:05"), due_soon_fraction=0.5)
    # 3 h 30 of working time: 1 h 55 on 30 September, then 1 h 35 on 8 October
    assert due.due_soon_at == at("2026-10-08T10:35")


def test_deadline_in_utc_input_is_the_same_instant(cal):
    utc = at("2026-11-20T16:05").astimezone(ZoneInfo("UTC"))
    assert deadline(cal, days(1), utc, due_soon_fraction=0.2).deadline_at == at("2026-11-23T16:05")


def test_working_seconds_over_a_weekend(cal):
    assert cal.working_seconds(at("2026-11-20T16:05"), at("2026-11-23T16:05")) == 7 * 3600
    assert cal.working_seconds(at("2026-11-23T16:05"), at("2026-11-20T16:05")) == 0


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        ("2026-10-01", False),
        ("2026-10-10", True),
        ("2026-09-20", True),
        ("2026-02-14", True),
        ("2026-02-23", False),
        ("2026-11-21", False),
        ("2026-11-23", True),
        ("2026-01-04", True),
    ],
)
def test_shipped_calendar(cal, day, workday):
    assert cal.is_workday(datetime.fromisoformat(day).date()) is workday


def test_without_a_calendar_only_weekends_are_off():
    plain = WorkCalendar()
    assert deadline(plain, days(1), at("2026-09-30T16:05"), due_soon_fraction=0.2).deadline_at == at(
        "2026-10-01T16:05"
    )


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2026-11-23T10:00", "on_time"),
        ("2026-11-23T16:36", "due_soon"),
        ("2026-11-23T17:59", "due_soon"),
        ("2026-11-23T18:00", "due_soon"),
        ("2026-11-23T18:01", "overdue"),
    ],
)
def test_deadline_state(now, expected):
    assert deadline_state("dispatched", at("2026-11-23T18:00"), at("2026-11-23T16:36"), at(now)) == expected


@pytest.mark.parametrize("state", ["closed", "cancelled"])
def test_closed_cases_have_no_deadline_state(state):
    assert (
        deadline_state(state, at("2026-11-23T18:00"), at("2026-11-23T16:36"), at("2027-01-01T00:00")) is None
    )


RULES = [
    DeadlineRule(None, None, "", "A", 1, "workday"),
    DeadlineRule(None, None, "", "B", 2, "workday"),
    DeadlineRule(None, None, "", "C", 4, "workday"),
    DeadlineRule("gb47678", "event", "01002", None, 4, "workhour"),
    DeadlineRule(None, "event", "06", "C", 3, "workday"),
]


@pytest.mark.parametrize(
    ("kind", "code", "urgency", "amount", "unit"),
    [
        ("event", "01002", "C", 4, "workhour"),  # the class rule beats the urgency default
        ("component", "01002", "C", 4, "workday"),  # the manhole rule is for matters (events) only
        ("event", "0101", "A", 1, "workday"),  # legacy code: defaults
        ("event", "06001", "C", 3, "workday"),  # major-class rule for C
        ("event", "06001", "B", 2, "workday"),  # ... but not for B
    ],
)
def test_pick_rule(kind, code, urgency, amount, unit):
    rule = pick_rule(RULES, kind=kind, class_code=code, urgency=urgency)
    assert (rule.amount, rule.unit) == (amount, unit)


def test_no_rules_fall_back_to_1_2_4_days():
    assert [pick_rule([], kind="event", class_code="0101", urgency=u).amount for u in "ABC"] == [1, 2, 4]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("day,workday\n2026-01-01,false\n", "lacks date"),
        ("date,workday,name\n2026-13-01,false,x\n", "line 2: field date '2026-13-01'"),
        ("date,workday,name\n2026-01-01,maybe,x\n", "line 2: field workday 'maybe'"),
        ("date,workday,name\n2026-01-01,false,x\n2026-01-01,true,y\n", "line 3: 2026-01-01 is listed twice"),
    ],
)
def test_bad_calendar_files_name_line_and_field(text, message):
    with pytest.raises(InvalidParameter, match=message):
        read_calendar_csv(text, "cal.csv")


def test_periods():
    assert parse_periods("08:30-12:00, 13:30-17:30") == (
        (time(8, 30), time(12)),
        (time(13, 30), time(17, 30)),
    )
    for bad in ("9-12", "12:00-09:00", "09:00-12:00,11:00-13:00", ""):
        with pytest.raises(InvalidParameter):
            parse_periods(bad)


def test_naive_times_are_refused(cal):
    with pytest.raises(InvalidParameter, match="time zone"):
        cal.add_working_seconds(datetime(2026, 1, 5, 9), 3600)


def test_far_deadlines_are_refused():
    with pytest.raises(InvalidParameter, match="beyond"):
        WorkCalendar(holidays=frozenset()).add_working_seconds(at("2026-01-05T09:00"), 7 * 3600 * 2000)


@pytest.mark.parametrize(
    ("reported", "expected"),
    [
        # 2025: 国庆节 and 中秋节 together, 1–8 October off; Saturday 11 October a make-up workday
        ("2025-09-30T16:05", "2025-10-09T16:05"),
        ("2025-10-10T16:05", "2025-10-11T16:05"),
        # 2025 春节: 28 January – 4 February off, Sunday 26 January a make-up workday
        ("2025-01-24T16:05", "2025-01-26T16:05"),
    ],
)
def test_the_2025_calendar_is_shipped_too(cal, reported, expected):
    assert deadline(cal, days(1), at(reported), due_soon_fraction=0.2).deadline_at == at(expected)
