"""Cases against the demo-city database: placement, workflow history, history loads, grids, evaluation."""

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import psycopg
import pytest

from gis.crs import wgs84_to_gcj02
from gis.errors import InvalidParameter, InvalidTransition, NotFound, PermissionDenied
from grid_codes.errors import InvalidCode
from layers.case_rules import CaseOptions
from layers.cases import NewCase, apply_action, create_case, get_case, notify_deadline_crossings
from tests.conftest import template_clone

T = TypeVar("T")
SHANGHAI = ZoneInfo("Asia/Shanghai")
OPTIONS = CaseOptions()


@pytest.fixture(scope="module")
def url(server_url: str, db_url: str) -> Iterator[str]:
    with template_clone(server_url, "onemap_test_cases") as clone:
        yield clone


def run(url: str, work: Callable[[psycopg.AsyncConnection], Awaitable[T]]) -> T:
    """Run `work` on an async connection and commit."""

    async def main() -> T:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            result = await work(conn)
            await conn.commit()
            return result

    return asyncio.run(main())


def cell(url: str, offset: int = 0) -> tuple[str, float, float]:
    """A unit grid cell code and a point inside it."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT code, ST_X(p), ST_Y(p) FROM (SELECT code, ST_PointOnSurface(geom) p "
            "FROM onemap.v_unit_grid ORDER BY code OFFSET %s LIMIT 1) c",
            (offset,),
        ).fetchone()
    assert row is not None
    return row


def create(url: str, case: NewCase, role: str = "inspector") -> int:
    return run(url, lambda conn: create_case(conn, case, actor="pytest", role=role, options=OPTIONS))


def read(url: str, case_id: int, role: str | None = None) -> dict[str, Any]:
    return run(url, lambda conn: get_case(conn, case_id, role=role, actor="pytest"))


def act(url: str, case_id: int, action: str, role: str = "dispatcher", note: str = "") -> str:
    return run(url, lambda conn: apply_action(conn, case_id, action, actor="pytest", role=role, note=note))


# --- placement ---


def test_a_case_gets_its_cell_community_street_county_and_resp_grid(url):
    code, lon, lat = cell(url, 10)
    case = read(
        url, create(url, NewCase(kind="event", class_code="06001", source="inspector", lon=lon, lat=lat))
    )
    assert (case["grid_code"], case["community_code"], case["street_code"], case["county_code"]) == (
        code,
        code[:12],
        code[:9],
        code[:6],
    )
    with psycopg.connect(url) as conn:
        resp = conn.execute(
            "SELECT resp_grid_code FROM onemap.resp_grid_cell WHERE grid_code = %s", (code,)
        ).fetchone()
        community = conn.execute(
            "SELECT code FROM onemap.v_community WHERE ST_Covers(geom, "
            "ST_SetSRID(ST_MakePoint(%s, %s), 4490))",
            (lon, lat),
        ).fetchone()
    assert resp is not None and case["resp_grid_code"] == resp[0]
    assert community == (code[:12],)
    assert case["state"] == "reported" and case["deadline_state"] == "on_time"
    assert case["department"] == "区城市管理和综合执法局"
    assert case["class_name"] == "私搭乱建"
    assert [e["action"] for e in case["history"]] == ["report"]


def test_gcj02_points_are_converted_before_placement(url):
    code, lon, lat = cell(url, 20)
    gx, gy = wgs84_to_gcj02(lon, lat)
    case = read(
        url,
        create(
            url,
            NewCase(
                kind="event", class_code="06001", source="app", lon=float(gx), lat=float(gy), crs="gcj02"
            ),
        ),
    )
    assert case["grid_code"] == code
    assert case["lon"] == pytest.approx(lon, abs=1e-5) and case["lat"] == pytest.approx(lat, abs=1e-5)


def test_a_component_case_takes_the_components_place_and_class(url):
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT id, class_code, grid_code FROM onemap.v_component "
            "WHERE geometry_type = 'point' AND grid_code IS NOT NULL ORDER BY id LIMIT 1"
        ).fetchone()
    assert row is not None
    case = read(
        url,
        create(url, NewCase(kind="component", class_code=None, source="hotline_12319", component_id=row[0])),
    )
    assert (case["component_id"], case["class_code"], case["grid_code"]) == row


def test_manhole_covers_get_four_working_hours_and_the_water_department(url):
    _, lon, lat = cell(url, 30)
    case = read(
        url,
        create(url, NewCase(kind="event", class_code="01002", source="video", urgency="C", lon=lon, lat=lat)),
    )
    assert case["department"] == "区水务局"
    with psycopg.connect(url) as conn:
        seconds = conn.execute(
            "SELECT extract(epoch FROM deadline_at - reported_at) FROM onemap.city_case WHERE id = %s",
            (case["id"],),
        ).fetchone()
    assert seconds is not None and seconds[0] < 4 * 86400  # 4 working hours, never 4 working days


def test_street_order_matters_go_to_the_street_office(url):
    code, lon, lat = cell(url, 40)
    case = read(
        url, create(url, NewCase(kind="event", class_code="09001", source="inspector", lon=lon, lat=lat))
    )
    with psycopg.connect(url) as conn:
        name = conn.execute("SELECT name FROM onemap.admin_area WHERE code = %s", (code[:9],)).fetchone()
    assert name is not None and case["department"] == f"{name[0].removesuffix('街道')}街道办事处"


@pytest.mark.parametrize(
    ("case", "error", "message"),
    [
        (
            NewCase(kind="event", class_code="99999", source="app", lon=114.05, lat=22.54),
            InvalidCode,
            "major",
        ),
        (
            NewCase(kind="event", class_code="abc", source="app", lon=114.05, lat=22.54),
            InvalidCode,
            "class code",
        ),
        (
            NewCase(kind="weather", class_code="06001", source="app", lon=114.05, lat=22.54),
            InvalidParameter,
            "kind",
        ),
        (
            NewCase(kind="event", class_code="06001", source="history", lon=114.05, lat=22.54),
            InvalidParameter,
            "source",
        ),
        (
            NewCase(kind="event", class_code="06001", source="app", urgency="D", lon=114.05, lat=22.54),
            InvalidParameter,
            "urgency",
        ),
        (
            NewCase(kind="event", class_code="06001", source="app", lon=116.4, lat=39.9),
            InvalidParameter,
            "outside every unit grid cell",
        ),
        (
            NewCase(kind="event", class_code="06001", source="app", lon=float("nan"), lat=22.54),
            InvalidParameter,
            "finite",
        ),
        (
            NewCase(kind="event", class_code="06001", source="app", lon=114.05),
            InvalidParameter,
            "both lon and lat",
        ),
        (
            NewCase(kind="event", class_code="06001", source="app", lon=114.05, lat=22.54, crs="EPSG:99999"),
            InvalidParameter,
            "unknown CRS",
        ),
        (NewCase(kind="event", class_code="06001", source="app"), InvalidParameter, "locate the case"),
        (
            NewCase(kind="event", class_code="06001", source="app", address="深圳市福田区福华路1号"),
            InvalidParameter,
            "address",
        ),
        (
            NewCase(kind="event", class_code=None, source="app", lon=114.05, lat=22.54),
            InvalidParameter,
            "class_code is required",
        ),
        (
            NewCase(kind="component", class_code=None, source="app", component_id="44030401001000001"),
            NotFound,
            "no current component",
        ),
        (
            NewCase(kind="component", class_code=None, source="app", component_id="x' OR 1=1"),
            InvalidParameter,
            "16 or 17 digits",
        ),
        (
            NewCase(
                kind="event", class_code="06001", source="app", lon=114.05, lat=22.54, description="a\x00b"
            ),
            InvalidParameter,
            "control characters",
        ),
        (
            NewCase(
                kind="event",
                class_code="06001",
                source="app",
                lon=114.05,
                lat=22.54,
                photo_urls=("javascript:alert(1)",),
            ),
            InvalidParameter,
            "photo URL",
        ),
        (
            NewCase(
                kind="event",
                class_code="06001",
                source="app",
                lon=114.05,
                lat=22.54,
                reported_at=datetime.now(SHANGHAI) + timedelta(days=1),
            ),
            InvalidParameter,
            "future",
        ),
    ],
    ids=[
        "unknown-class",
        "malformed-class",
        "kind",
        "history-source",
        "urgency",
        "outside-city",
        "nan",
        "half-point",
        "crs",
        "no-location",
        "address-without-geocoder",
        "no-class",
        "unknown-component",
        "hostile-component-id",
        "control-chars",
        "bad-photo-url",
        "future",
    ],
)
def test_bad_cases_are_refused(url, case, error, message):
    with pytest.raises(error, match=message):
        create(url, case)


# --- workflow ---


def test_the_workflow_keeps_its_history_and_closes(url):
    _, lon, lat = cell(url, 50)
    case_id = create(url, NewCase(kind="event", class_code="06001", source="hotline_12345", lon=lon, lat=lat))
    for action, role in [
        ("file", "dispatcher"),
        ("dispatch", "dispatcher"),
        ("handle", "dispatcher"),
        ("feed_back", "dispatcher"),
        ("rework", "inspector"),
        ("handle", "dispatcher"),
        ("feed_back", "dispatcher"),
        ("verify", "inspector"),
        ("close", "dispatcher"),
    ]:
        act(url, case_id, action, role, note=f"{action} note")
    case = read(url, case_id, role="dispatcher")
    assert case["state"] == "closed" and case["closed_at"] is not None and case["rework_count"] == 1
    assert case["deadline_state"] is None and case["actions"] == []
    history = case["history"]
    assert [(e["from_state"], e["to_state"]) for e in history][:3] == [
        (None, "reported"),
        ("reported", "filed"),
        ("filed", "dispatched"),
    ]
    assert history[5]["action"] == "rework" and history[5]["role"] == "inspector"
    assert history[5]["note"] == "rework note" and history[5]["actor"] == "pytest"


def test_self_handling_closes_the_case_and_marks_it(url):
    _, lon, lat = cell(url, 60)
    case_id = create(url, NewCase(kind="event", class_code="06001", source="inspector", lon=lon, lat=lat))
    assert read(url, case_id, role="inspector")["actions"] == ["self_handle"]
    act(url, case_id, "self_handle", "inspector")
    case = read(url, case_id)
    assert case["state"] == "closed" and case["self_handled"] is True


def test_forbidden_transitions_change_nothing(url):
    _, lon, lat = cell(url, 70)
    case_id = create(url, NewCase(kind="event", class_code="06001", source="inspector", lon=lon, lat=lat))
    with pytest.raises(InvalidTransition):
        act(url, case_id, "close")
    with pytest.raises(PermissionDenied):
        act(url, case_id, "file", "viewer")
    with pytest.raises(NotFound):
        act(url, 10**12, "file")
    case = read(url, case_id)
    assert case["state"] == "reported" and len(case["history"]) == 1


def test_every_change_notifies_onemap_cases(url):
    _, lon, lat = cell(url, 80)
    with psycopg.connect(url, autocommit=True) as listener:
        listener.execute("LISTEN onemap_cases")
        case_id = create(url, NewCase(kind="event", class_code="06001", source="app", lon=lon, lat=lat))
        act(url, case_id, "file")
        payloads = [n.payload for n in listener.notifies(timeout=2, stop_after=2)]
    import json

    messages = [json.loads(p) for p in payloads]
    assert [m["state"] for m in messages] == ["reported", "filed"]
    assert messages[0]["id"] == case_id and messages[0]["deadline_state"] == "on_time"
    assert messages[0]["lon"] == pytest.approx(lon) and messages[0]["class_code"] == "06001"
    assert set(messages[0]) == {"id", "case_no", "state", "deadline_state", "class_code", "lon", "lat"}


def test_the_open_case_layer_shows_deadline_states(url):
    _, lon, lat = cell(url, 90)
    case_id = create(url, NewCase(kind="event", class_code="06001", source="app", lon=lon, lat=lat))
    with psycopg.connect(url) as conn:
        conn.execute(
            "UPDATE onemap.city_case SET reported_at = now() - interval '10 days', "
            "due_soon_at = now() - interval '2 days', deadline_at = now() - interval '1 day' "
            "WHERE id = %s",
            (case_id,),
        )
        state = conn.execute(
            "SELECT deadline_state FROM onemap.v_open_case WHERE id = %s", (case_id,)
        ).fetchone()
        layer = conn.execute(
            "SELECT kind, is_private, properties FROM onemap.layer WHERE name = 'cases'"
        ).fetchone()
    assert state == ("overdue",)
    assert layer is not None and layer[0] == "cases" and layer[1] is False
    assert {"case_no", "class_code", "state", "urgency", "deadline_state", "grid_code"} <= set(layer[2])
    assert not {"reporter", "description", "photo_urls"} & set(layer[2])


def test_deadline_crossings_are_notified(url):
    _, lon, lat = cell(url, 100)
    case_id = create(url, NewCase(kind="event", class_code="06001", source="app", lon=lon, lat=lat))
    t0 = datetime(2020, 1, 6, 9, tzinfo=SHANGHAI)
    with psycopg.connect(url) as conn:
        conn.execute(
            "UPDATE onemap.city_case SET reported_at = %s, due_soon_at = %s, deadline_at = %s WHERE id = %s",
            (t0 - timedelta(hours=1), t0 + timedelta(minutes=10), t0 + timedelta(minutes=20), case_id),
        )
    with psycopg.connect(url, autocommit=True) as listener:
        listener.execute("LISTEN onemap_cases")
        windows = [
            (t0, t0 + timedelta(minutes=15)),
            (t0 + timedelta(minutes=15), t0 + timedelta(minutes=25)),
            (t0 + timedelta(minutes=25), t0 + timedelta(minutes=35)),
        ]
        counts = [run(url, lambda conn, w=w: notify_deadline_crossings(conn, *w)) for w in windows]
        messages = [json.loads(n.payload) for n in listener.notifies(timeout=2, stop_after=2)]
    assert counts == [1, 1, 0]
    assert [(m["id"], m["deadline_state"]) for m in messages] == [(case_id, "due_soon"), (case_id, "overdue")]
