"""History loads, responsibility grids and the evaluation figures on a fixed, hand-computed case history."""

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest

from gis.errors import InvalidParameter
from layers.case_evaluation import evaluate
from layers.case_history import CaseHistoryRecord, import_case_history
from layers.resp_grids import generate_resp_grids
from tests.conftest import template_clone

SHANGHAI = ZoneInfo("Asia/Shanghai")
START, END = datetime(2026, 10, 12, tzinfo=SHANGHAI), datetime(2026, 10, 19, tzinfo=SHANGHAI)  # 7 days


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def url(server_url: str, db_url: str) -> Iterator[str]:
    with template_clone(server_url, "onemap_test_case_eval") as clone:
        yield clone


@pytest.fixture(scope="module")
def places(url: str) -> dict[str, tuple[str, float, float]]:
    """Two unit grid cells in two different streets, with a point inside each."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT DISTINCT ON (left(code, 9)) code, ST_X(p), ST_Y(p) FROM (SELECT code, "
            "ST_PointOnSurface(geom) p FROM onemap.v_unit_grid) c ORDER BY left(code, 9), code LIMIT 2"
        ).fetchall()
    return {"X": rows[0], "Y": rows[1]}


def record(place: tuple[str, float, float], **fields: Any) -> CaseHistoryRecord:
    values = {
        "kind": "event",
        "class_code": "06001",
        "source": "inspector",
        "urgency": "A",
        "state": "closed",
        "reported_at": at("2026-10-12T10:00"),
        **fields,
    }
    return CaseHistoryRecord(lon=place[1], lat=place[2], **values)


@pytest.fixture(scope="module")
def history(url, places) -> int:
    """The fixed history. Deadlines (09–12, 14–18, no holiday that week): urgency A reported Monday
    12 October 10:00 is due Tuesday 10:00; C is due Friday 16 October 10:00; B reported Tuesday 10:00
    is due Thursday 15 October 10:00; A reported Friday 16:00 is due Monday 19 October 16:00."""
    x, y = places["X"], places["Y"]
    records = [
        # street of X
        record(x, closed_at=at("2026-10-13T09:00"), case_no="T1"),  # on time
        record(x, closed_at=at("2026-10-14T09:00"), rework_count=1, case_no="T2"),  # late, reworked
        record(x, urgency="C", state="dispatched", source="hotline_12345", case_no="T3"),  # due, open
        record(
            x, urgency="C", class_code="06002", source="app", closed_at=at("2026-10-15T10:00"), case_no="T4"
        ),  # on time
        record(x, state="cancelled", source="hotline_12319", case_no="T5"),
        record(x, class_code="0102", self_handled=True, closed_at=at("2026-10-12T10:30"), case_no="T6"),
        record(x, class_code="0102", state="reported", source="video", case_no="T7"),
        record(
            x, reported_at=at("2026-10-11T10:00"), closed_at=at("2026-10-11T11:00"), case_no="T8"
        ),  # before
        record(
            x,
            class_code="0102",
            state="filed",
            source="hotline_12319",
            reported_at=at("2026-10-16T16:00"),
            case_no="T10",
        ),  # not yet due
        # street of Y
        record(
            y,
            urgency="B",
            source="app",
            reported_at=at("2026-10-13T10:00"),
            closed_at=at("2026-10-13T15:00"),
            case_no="T11",
        ),
        record(
            y,
            urgency="B",
            state="fed_back",
            rework_count=2,
            reported_at=at("2026-10-13T10:00"),
            case_no="T12",
        ),
    ]
    with psycopg.connect(url) as conn:
        return import_case_history(conn, records)


def figures(url: str, by: str, **kwargs: Any) -> dict[str | None, dict[str, Any]]:
    async def main() -> list[dict[str, Any]]:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            return await evaluate(
                conn,
                by=by,
                start=kwargs.get("start", START),
                end=kwargs.get("end", END),
                within=kwargs.get("within", ""),
            )

    return {g["key"]: g for g in asyncio.run(main())}


def test_history_is_loaded_and_placed(url, places, history):
    assert history == 11
    with psycopg.connect(url) as conn:
        rows = dict(conn.execute("SELECT case_no, grid_code FROM onemap.city_case WHERE case_no LIKE 'T%'"))
        deadline = conn.execute("SELECT deadline_at FROM onemap.city_case WHERE case_no = 'T3'").fetchone()
    assert rows["T1"] == places["X"][0] and rows["T11"] == places["Y"][0]
    assert deadline == (at("2026-10-16T10:00"),)


def test_street_figures_match_the_hand_computed_ones(url, places, history):
    x_street, y_street = places["X"][0][:9], places["Y"][0][:9]
    by_street = figures(url, "street")
    x, y = by_street[x_street], by_street[y_street]
    expected_x = {
        "reported": 8,
        "cancelled": 1,
        "self_handled": 1,
        "filed": 5,
        "dispatched": 4,
        "due": 4,
        "closed": 3,
        "closed_on_time": 2,
        "reworked": 1,
        "closed_first_time": 2,
    }
    assert {k: x[k] for k in expected_x} == expected_x
    assert (x["closure_rate"], x["on_time_rate"], x["rework_rate"]) == (0.75, 0.5, 0.25)
    assert x["first_time_rate"] == pytest.approx(2 / 3)
    assert x["by_source"] == {"app": 1, "hotline_12319": 1, "hotline_12345": 1, "inspector": 3, "video": 1}
    assert x["by_class"] == {"0102": 3, "06001": 3, "06002": 1}
    with psycopg.connect(url) as conn:
        area = conn.execute(
            "SELECT sum(area_m2) FROM onemap.v_unit_grid WHERE starts_with(code, %s)", (x_street,)
        ).fetchone()
        name = conn.execute("SELECT name FROM onemap.admin_area WHERE code = %s", (x_street,)).fetchone()
    assert area is not None and x["found_per_km2_day"] == pytest.approx(7 / (area[0] / 1e6) / 7)
    assert name is not None and x["name"] == name[0]
    expected_y = {
        "reported": 2,
        "filed": 2,
        "dispatched": 2,
        "due": 2,
        "closed": 1,
        "closed_on_time": 1,
        "reworked": 1,
        "closed_first_time": 1,
    }
    assert {k: y[k] for k in expected_y} == expected_y
    assert (y["closure_rate"], y["on_time_rate"], y["rework_rate"], y["first_time_rate"]) == (
        0.5,
        0.5,
        0.5,
        1.0,
    )


@pytest.mark.parametrize("by", ["community", "grid", "resp_grid"])
def test_smaller_areas_hold_the_same_cases(url, places, history, by):
    with psycopg.connect(url) as conn:
        resp = conn.execute(
            "SELECT resp_grid_code FROM onemap.resp_grid_cell WHERE grid_code = %s", (places["X"][0],)
        ).fetchone()
    assert resp is not None
    key = {"community": places["X"][0][:12], "grid": places["X"][0], "resp_grid": resp[0]}[by]
    group = figures(url, by)[key]
    assert (group["reported"], group["due"], group["closed"], group["closed_on_time"]) == (8, 4, 3, 2)
    assert group["area_km2"] > 0


def test_department_and_within(url, places, history):
    departments = figures(url, "department")
    assert sum(g["reported"] for g in departments.values()) == 10
    only_y = figures(url, "street", within=places["Y"][0][:9])
    assert list(only_y) == [places["Y"][0][:9]]


def test_a_period_before_the_deadlines_has_nothing_due(url, history, places):
    early = figures(url, "street", start=START, end=at("2026-10-13T09:30"))
    x = early[places["X"][0][:9]]
    # T1 closed 13 Oct 09:00 is closed and thus due; T2, T3, T4 are not yet due or closed
    assert (x["due"], x["closed"], x["closure_rate"]) == (1, 1, 1.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"by": "planet"}, "by 'planet'"),
        ({"by": "street", "end": START}, "end must be after start"),
        ({"by": "street", "within": "44' OR 1=1"}, "code prefix"),
        ({"by": "street", "start": datetime(2026, 10, 12)}, "time zone"),
    ],
)
def test_bad_evaluation_parameters(url, kwargs, message):
    async def main() -> None:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            await evaluate(
                conn,
                by=kwargs["by"],
                start=kwargs.get("start", START),
                end=kwargs.get("end", END),
                within=kwargs.get("within", ""),
            )

    with pytest.raises(InvalidParameter, match=message):
        asyncio.run(main())


@pytest.mark.parametrize(
    ("record_fields", "message"),
    [
        ({"class_code": "99999"}, "history record 1"),
        ({"state": "closed", "closed_at": None}, "closed_at is set exactly"),
        ({"state": "lost"}, "state 'lost'"),
        ({"reported_at": datetime(2026, 10, 12)}, "time zone"),
        ({"closed_at": at("2026-10-01T00:00")}, "before reported_at"),
    ],
)
def test_bad_history_records_load_nothing(url, places, record_fields, message):
    with psycopg.connect(url) as conn:
        before = conn.execute("SELECT count(*) FROM onemap.city_case").fetchone()
        fields = {"closed_at": at("2026-10-13T09:00"), **record_fields}
        with pytest.raises(InvalidParameter, match=message):
            import_case_history(conn, [record(places["X"], **fields)])
        assert conn.execute("SELECT count(*) FROM onemap.city_case").fetchone() == before


def test_resp_grids_partition_each_community(url):
    with psycopg.connect(url) as conn:
        assert generate_resp_grids(conn, cells_per_grid=4) > 0
        uncovered, misplaced = conn.execute(
            "SELECT count(*) FILTER (WHERE rc.grid_code IS NULL), "
            "count(*) FILTER (WHERE left(rc.resp_grid_code, 12) <> u.community_code) "
            "FROM onemap.v_unit_grid u LEFT JOIN onemap.resp_grid_cell rc ON rc.grid_code = u.code"
        ).fetchone()
        sizes = conn.execute(
            "SELECT min(cell_count), max(cell_count), bool_and(ST_IsValid(geom)) FROM onemap.resp_grid"
        ).fetchone()
        layer = conn.execute("SELECT kind FROM onemap.layer WHERE name = 'resp_grids'").fetchone()
        stale = conn.execute(
            "SELECT count(*) FROM onemap.city_case c JOIN onemap.resp_grid_cell rc "
            "ON rc.grid_code = c.grid_code WHERE c.resp_grid_code <> rc.resp_grid_code"
        ).fetchone()
        with pytest.raises(InvalidParameter):
            generate_resp_grids(conn, within="44'; DROP TABLE x")
    assert (uncovered, misplaced) == (0, 0)
    assert sizes is not None and sizes[0] >= 1 and sizes[1] <= 8 and sizes[2]
    assert layer == ("grid",) and stale == (0,)


def test_a_running_period_counts_as_due_only_what_is_due_by_now(url, places):
    now = datetime.now(SHANGHAI)
    with psycopg.connect(url) as conn:
        import_case_history(
            conn,
            [
                record(
                    places["Y"],
                    urgency="C",
                    state="dispatched",
                    case_no="T20",
                    reported_at=now - timedelta(hours=1),
                )
            ],
        )
    running = figures(url, "street", start=now - timedelta(hours=2), end=now + timedelta(days=30))
    y = running[places["Y"][0][:9]]
    assert (y["reported"], y["filed"], y["due"], y["closure_rate"]) == (1, 1, 0, None)
