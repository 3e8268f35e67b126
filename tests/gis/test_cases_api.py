"""The cases HTTP API: tokens and roles, the workflow over HTTP, evaluation, hostile input → 4xx."""

import json
import threading
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient

from gis.auth import ROLES, create_token
from gis.demo.cases_trickle import trickle
from tests.conftest import template_clone
from tests.gis.conftest import ogc_app_client


@pytest.fixture(scope="module")
def url(server_url: str, db_url: str) -> Iterator[str]:
    with template_clone(server_url, "onemap_test_cases_api") as clone:
        yield clone


@pytest.fixture(scope="module")
def client(settings, url) -> Iterator[TestClient]:
    with ogc_app_client(settings, url) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def tokens(url) -> dict[str, str]:
    with psycopg.connect(url) as conn:
        return {
            role: create_token(conn, name=f"{role}-cases", role=role, created_by="tests") for role in ROLES
        }


@pytest.fixture(scope="module")
def point(url) -> tuple[str, float, float]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT code, ST_X(p), ST_Y(p) FROM (SELECT code, ST_PointOnSurface(geom) p "
            "FROM onemap.v_unit_grid ORDER BY code LIMIT 1 OFFSET 5) c"
        ).fetchone()
    assert row is not None
    return row


def auth(tokens: dict[str, str], role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[role]}"}


def body(point: tuple[str, float, float], **fields: object) -> dict[str, object]:
    return {
        "kind": "event",
        "class_code": "06001",
        "source": "inspector",
        "lon": point[1],
        "lat": point[2],
        **fields,
    }


def new_case(client: TestClient, tokens: dict[str, str], point: tuple[str, float, float]) -> int:
    response = client.post("/cases", json=body(point), headers=auth(tokens, "inspector"))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def assert_ogc_error(response, status: int, text: str = "") -> None:
    assert response.status_code == status, response.text
    error = response.json()
    assert set(error) == {"code", "description"} and text in error["description"]


@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 401), ("viewer", 403), ("editor", 403), ("inspector", 201), ("dispatcher", 201), ("admin", 201)],
)
def test_who_may_report_a_case(client, tokens, point, role, status):
    headers = auth(tokens, role) if role else {}
    response = client.post("/cases", json=body(point), headers=headers)
    assert response.status_code == status, response.text
    if status == 201:
        case = response.json()
        assert response.headers["location"] == f"/cases/{case['id']}"
        assert case["grid_code"] == point[0] and case["street_code"] == point[0][:9]
        assert case["state"] == "reported" and case["deadline_state"] == "on_time"
        assert case["history"][0]["actor"] == f"{role}-cases"


def test_a_bad_token_is_401(client, point):
    response = client.post("/cases", json=body(point), headers={"Authorization": "Bearer om_nope"})
    assert_ogc_error(response, 401)


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("viewer", 200), ("inspector", 200)])
def test_reading_a_case_needs_a_token(client, tokens, point, role, status):
    case_id = new_case(client, tokens, point)
    response = client.get(f"/cases/{case_id}", headers=auth(tokens, role) if role else {})
    assert response.status_code == status
    if role == "inspector":
        assert response.json()["actions"] == ["self_handle"]


@pytest.mark.parametrize("case_id", ["0", "999999999999", "-1", "99999999999999999999999"])
def test_unknown_cases_are_404(client, tokens, case_id):
    response = client.get(f"/cases/{case_id}", headers=auth(tokens, "viewer"))
    assert response.status_code in (400, 404) and set(response.json()) == {"code", "description"}


def test_the_workflow_over_http(client, tokens, point):
    case_id = new_case(client, tokens, point)
    for action, role in [
        ("file", "dispatcher"),
        ("dispatch", "dispatcher"),
        ("handle", "dispatcher"),
        ("feed_back", "dispatcher"),
        ("verify", "inspector"),
        ("close", "admin"),
    ]:
        response = client.post(
            f"/cases/{case_id}/transitions", json={"action": action, "note": "ok"}, headers=auth(tokens, role)
        )
        assert response.status_code == 200, response.text
    case = response.json()
    assert case["state"] == "closed" and case["closed_at"] is not None
    assert [e["action"] for e in case["history"]] == [
        "report",
        "file",
        "dispatch",
        "handle",
        "feed_back",
        "verify",
        "close",
    ]


@pytest.mark.parametrize(
    ("role", "action", "status", "text"),
    [
        (None, "file", 401, ""),
        ("viewer", "file", 403, "may not file"),
        ("editor", "file", 403, "may not file"),
        ("inspector", "file", 403, "may not file"),
        ("dispatcher", "close", 409, "cannot close"),
        ("dispatcher", "self_handle", 403, "may not self_handle"),
        ("dispatcher", "explode", 400, "unknown action"),
    ],
)
def test_refused_transitions(client, tokens, point, role, action, status, text):
    case_id = new_case(client, tokens, point)
    response = client.post(
        f"/cases/{case_id}/transitions", json={"action": action}, headers=auth(tokens, role) if role else {}
    )
    assert_ogc_error(response, status, text)
    state = client.get(f"/cases/{case_id}", headers=auth(tokens, "viewer")).json()["state"]
    assert state == "reported"


@pytest.fixture(scope="module")
def second_inspector(url) -> str:
    with psycopg.connect(url) as conn:
        return create_token(conn, name="inspector-2-cases", role="inspector", created_by="tests")


@pytest.mark.parametrize(
    ("reporter", "fields", "text"),
    [
        ("dispatcher", {"source": "hotline_12345", "urgency": "A"}, "it came from hotline_12345"),
        ("dispatcher", {"source": "inspector"}, "reported by 'dispatcher-cases'"),
        ("second inspector", {}, "reported by 'inspector-2-cases'"),
        ("inspector", {"source": "app"}, "it came from app"),
        ("inspector", {"urgency": "A"}, "it is of urgency A"),
    ],
    ids=["hotline-urgent", "dispatcher-report", "other-inspector", "own-app-case", "own-urgent"],
)
def test_an_inspector_self_handles_only_a_minor_case_of_their_own_patrol(
    client, tokens, second_inspector, point, reporter, fields, text
):
    headers = {"Authorization": f"Bearer {second_inspector}"} if reporter == "second inspector" else None
    created = client.post("/cases", json=body(point, **fields), headers=headers or auth(tokens, reporter))
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    assert client.get(f"/cases/{case_id}", headers=auth(tokens, "inspector")).json()["actions"] == []
    response = client.post(
        f"/cases/{case_id}/transitions", json={"action": "self_handle"}, headers=auth(tokens, "inspector")
    )
    assert_ogc_error(response, 403, text)
    assert "inspector 'inspector-cases' may not self-handle" in response.json()["description"]
    filed = client.post(
        f"/cases/{case_id}/transitions", json={"action": "file"}, headers=auth(tokens, "dispatcher")
    )
    assert filed.status_code == 200 and filed.json()["self_handled"] is False


def test_only_the_reporting_inspector_is_offered_self_handling_and_may_take_it(
    client, tokens, second_inspector, point
):
    case_id = new_case(client, tokens, point)
    other = client.get(f"/cases/{case_id}", headers={"Authorization": f"Bearer {second_inspector}"})
    listed = client.get(f"/cases/{case_id}", headers=auth(tokens, "inspector")).json()["actions"]
    assert other.json()["actions"] == [] and listed == ["self_handle"]
    response = client.post(
        f"/cases/{case_id}/transitions", json={"action": "self_handle"}, headers=auth(tokens, "inspector")
    )
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "closed" and response.json()["self_handled"] is True


def test_transition_of_an_unknown_case_is_404(client, tokens):
    response = client.post(
        "/cases/987654321/transitions", json={"action": "file"}, headers=auth(tokens, "dispatcher")
    )
    assert_ogc_error(response, 404)


HOSTILE = [
    ("garbage-json", b"{not json", "application/json"),
    ("not-an-object", b"[1, 2, 3]", "application/json"),
    (
        "nan",
        b'{"kind": "event", "class_code": "06001", "source": "app", "lon": NaN, "lat": 22.5}',
        "application/json",
    ),
    (
        "infinity",
        b'{"kind": "event", "class_code": "06001", "source": "app", "lon": Infinity, "lat": 22.5}',
        "application/json",
    ),
    ("form", b"kind=event", "application/x-www-form-urlencoded"),
    ("invalid-utf8", b'{"kind": "event", "class_code": "\xff\xfe", "source": "app"}', "application/json"),
]


@pytest.mark.parametrize(
    ("raw", "content_type"), [(h[1], h[2]) for h in HOSTILE], ids=[h[0] for h in HOSTILE]
)
def test_hostile_bodies_are_400(client, tokens, raw, content_type):
    response = client.post(
        "/cases", content=raw, headers={**auth(tokens, "inspector"), "Content-Type": content_type}
    )
    assert_ogc_error(response, 400)


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"class_code": "99999"}, "major"),
        ({"class_code": "0101' OR '1'='1"}, ""),
        ({"kind": "weather"}, "kind"),
        ({"source": "history"}, "source"),
        ({"urgency": "Z"}, "urgency"),
        ({"lon": 116.4, "lat": 39.9}, "outside every unit grid cell"),
        ({"lon": "114.05"}, ""),
        ({"lat": None}, "both lon and lat"),
        ({"crs": "EPSG:0"}, "CRS"),
        ({"lon": None, "lat": None}, "locate the case"),
        ({"lon": None, "lat": None, "address": "zzzz"}, "address"),
        ({"description": "x" * 2001}, "description"),
        ({"photo_urls": ["https://example.org/a.jpg"] * 21}, "photo_urls"),
        ({"photo_urls": ["file:///etc/passwd"]}, "photo URL"),
        ({"component_id": "1; DROP TABLE onemap.city_case"}, "component_id"),
        ({"reporter": "a\x00b"}, "control characters"),
        ({"state": "closed"}, "state"),
        ({"deadline_at": "2030-01-01T00:00:00Z"}, "deadline_at"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_fields_are_400(client, tokens, point, fields, text):
    response = client.post("/cases", json=body(point, **fields), headers=auth(tokens, "inspector"))
    assert_ogc_error(response, 400, text)


def test_every_api_change_is_notified(client, tokens, point, url):
    with psycopg.connect(url, autocommit=True) as listener:
        listener.execute("LISTEN onemap_cases")
        case_id = new_case(client, tokens, point)
        client.post(
            f"/cases/{case_id}/transitions", json={"action": "file"}, headers=auth(tokens, "dispatcher")
        )
        messages = [json.loads(n.payload) for n in listener.notifies(timeout=3, stop_after=2)]
    assert [(m["id"], m["state"]) for m in messages] == [(case_id, "reported"), (case_id, "filed")]


def test_the_cases_layer_is_in_the_ogc_api(client, tokens, point):
    new_case(client, tokens, point)
    response = client.get("/collections/cases/items", params={"f": "json", "limit": 5})
    assert response.status_code == 200, response.text
    feature = response.json()["features"][0]
    assert {"case_no", "state", "deadline_state", "grid_code"} <= set(feature["properties"])
    assert "reporter" not in feature["properties"]


def test_evaluation_api(client, tokens, point):
    new_case(client, tokens, point)
    params = {"by": "street", "start": "2020-01-01T00:00:00+08:00", "end": "2100-01-01T00:00:00+08:00"}
    response = client.get("/evaluation", params=params, headers=auth(tokens, "viewer"))
    assert response.status_code == 200, response.text
    groups = response.json()["groups"]
    mine = [g for g in groups if g["key"] == point[0][:9]]
    assert mine and mine[0]["reported"] >= 1 and "closure_rate" in mine[0]
    assert client.get("/evaluation", params=params).status_code == 401


@pytest.mark.parametrize(
    "params",
    [
        {"by": "planet", "start": "2026-01-01T00:00:00+08:00", "end": "2026-02-01T00:00:00+08:00"},
        {"by": "street", "start": "yesterday", "end": "2026-02-01T00:00:00+08:00"},
        {"by": "street", "end": "2026-02-01T00:00:00+08:00"},
        {"by": "street", "start": "2026-02-01T00:00:00+08:00", "end": "2026-01-01T00:00:00+08:00"},
        {"by": "street", "start": "2026-01-01T00:00:00", "end": "2026-02-01T00:00:00"},
        {
            "by": "street",
            "start": "2026-01-01T00:00:00+08:00",
            "end": "2026-02-01T00:00:00+08:00",
            "within": "x",
        },
    ],
    ids=["by", "start", "no-start", "reversed", "naive", "within"],
)
def test_bad_evaluation_parameters_are_400(client, tokens, params):
    assert_ogc_error(client.get("/evaluation", params=params, headers=auth(tokens, "viewer")), 400)


def test_an_address_only_case_is_placed_by_the_geocoder(client, tokens, url):
    with psycopg.connect(url) as conn:
        plate = conn.execute(
            "SELECT d.road_name, d.number, u.code FROM onemap.door_plate d JOIN onemap.v_unit_grid u "
            "ON ST_Intersects(u.geom, d.geom) WHERE d.sub_number = '' "
            "ORDER BY d.id LIMIT 1"
        ).fetchone()
    if plate is None:
        pytest.skip("the demo city has no door plates to geocode")
    fields = {"lon": None, "lat": None, "address": f"深圳市福田区{plate[0]}{plate[1]}号"}
    response = client.post("/cases", json=body(("", 0, 0), **fields), headers=auth(tokens, "inspector"))
    assert response.status_code == 201, response.text
    assert response.json()["grid_code"] == plate[2] and response.json()["address"] == fields["address"]


def test_the_demo_trickle_reports_and_moves_cases_through_the_api(client, tokens, url):
    with psycopg.connect(url) as conn:
        before = conn.execute(
            "SELECT count(*) FROM onemap.case_event WHERE actor = 'dispatcher-cases'"
        ).fetchone()
    stats = trickle(
        "http://testserver",
        tokens["dispatcher"],
        threading.Event(),
        interval_s=0,
        seed=11,
        count=12,
        client=client,
    )
    assert stats.created >= 1 and stats.advanced >= 1 and stats.created + stats.advanced == 12
    with psycopg.connect(url) as conn:
        after = conn.execute(
            "SELECT count(*) FROM onemap.case_event WHERE actor = 'dispatcher-cases'"
        ).fetchone()
        unplaced = conn.execute("SELECT count(*) FROM onemap.city_case WHERE grid_code IS NULL").fetchone()
    assert before is not None and after is not None and after[0] - before[0] == 12
    assert unplaced == (0,)
