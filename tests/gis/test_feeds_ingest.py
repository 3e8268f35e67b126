"""The feeds HTTP API: hostile GPS batches, idempotent replays, private tracks and stream URLs, status."""

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient

from gis.crs import wgs84_to_gcj02
from tests.gis.conftest import ogc_app_client
from tests.gis.feeds_support import FleetDb, bearer, fix
from tests.gis.test_cli import run

CAMERA = "44030400081326000001"


@pytest.fixture(scope="module")
def client(settings, feeds: FleetDb) -> Iterator[TestClient]:
    with ogc_app_client(settings, feeds.url) as test_client:
        yield test_client


def _stored(feeds: FleetDb, vehicle: str) -> int:
    with psycopg.connect(feeds.url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM onemap.vehicle_fix WHERE vehicle_id = %s", (vehicle,)
        ).fetchone()
        return int(row[0]) if row else 0


def _position(feeds: FleetDb, vehicle: str) -> tuple[datetime, float, float] | None:
    with psycopg.connect(feeds.url) as conn:
        row = conn.execute(
            "SELECT t, ST_X(geom), ST_Y(geom) FROM onemap.vehicle_position WHERE vehicle_id = %s", (vehicle,)
        ).fetchone()
        return (row[0], row[1], row[2]) if row else None


def _post(client: TestClient, token: str, body: object) -> dict:
    response = client.post("/feeds/vehicles/fixes", json=body, headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    "body",
    [b"{garbage", b"\x00\x01\x02", b"[1, 2", b'{"fixes": "all"}'],
    ids=["garbage", "binary", "truncated", "fixes-not-a-list"],
)
def test_a_body_that_is_not_a_batch_is_400_and_stores_nothing(client, feeds, body):
    before = _stored(feeds, "FT001")
    response = client.post("/feeds/vehicles/fixes", content=body, headers=bearer(feeds.feeder))
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameterValue"
    assert _stored(feeds, "FT001") == before


def test_a_10_mb_body_is_413(client, feeds):
    response = client.post(
        "/feeds/vehicles/fixes", content=b"[" + b" " * 10_000_000 + b"]", headers=bearer(feeds.feeder)
    )
    assert response.status_code == 413
    assert response.json()["code"] == "PayloadTooLarge"


def test_ingest_needs_a_token_with_ingest_feeds(client, feeds):
    assert client.post("/feeds/vehicles/fixes", json={"fixes": [fix()]}).status_code == 401
    assert (
        client.post(
            "/feeds/vehicles/fixes", json={"fixes": [fix()]}, headers=bearer(feeds.viewer)
        ).status_code
        == 403
    )


def test_a_hostile_batch_keeps_every_good_row(client, feeds):
    now = datetime.now(UTC) - timedelta(minutes=30)
    good = [fix("FT002", t=now + timedelta(seconds=10 * i), lon=114.03 + 0.0005 * i) for i in range(3)]
    hostile = [
        {"vehicle": "FT002", "lon": 114.03},  # missing time and lat
        {**fix("FT002", t=now + timedelta(seconds=5)), "lon": None},  # null lon
        fix("FT002", lon=22.54, lat=114.03, t=now + timedelta(seconds=6)),  # swapped
        fix("NO-SUCH-CAR", t=now),  # unknown vehicle
        fix("FT002", t=now + timedelta(days=1)),  # future
        "not a fix",
    ]
    body = json.dumps({"fixes": good[:1] + hostile + good[1:]}).replace('"lon": null', '"lon": NaN').encode()
    response = client.post("/feeds/vehicles/fixes", content=body, headers=bearer(feeds.feeder))
    assert response.status_code == 200
    result = response.json()
    assert (result["received"], result["accepted"], result["rejected"]) == (9, 3, 6)
    statuses = [row["status"] for row in result["rows"]]
    assert statuses == ["accepted"] + ["rejected"] * 6 + ["accepted"] * 2
    reasons = " | ".join(r for row in result["rows"] for r in row.get("reasons", []))
    for expected in (
        "time: missing",
        "lon: not a finite number",
        "lon/lat swapped",
        "not registered",
        "in the future",
        "not a JSON object",
    ):
        assert expected in reasons
    assert _stored(feeds, "FT002") == 3
    position = _position(feeds, "FT002")
    assert position is not None and position[1] == pytest.approx(114.031)


def test_a_replayed_batch_is_idempotent_and_flags_duplicates(client, feeds):
    start = datetime.now(UTC) - timedelta(minutes=20)
    batch = {
        "fixes": [
            fix("FT003", t=start + timedelta(seconds=10 * i), lon=114.03 + 0.0003 * i) for i in range(5)
        ]
    }
    first = _post(client, feeds.feeder, batch)
    assert first["accepted"] == 5
    position = _position(feeds, "FT003")
    replay = _post(client, feeds.feeder, batch)
    assert (replay["accepted"], replay["flagged"], replay["moved"]) == (0, 5, 0)
    assert all("duplicate" in row["reasons"][0] for row in replay["rows"])
    assert _stored(feeds, "FT003") == 5
    assert _position(feeds, "FT003") == position


def test_an_out_of_order_fix_is_stored_flagged_and_does_not_move_the_vehicle(client, feeds):
    now = datetime.now(UTC) - timedelta(minutes=10)
    _post(client, feeds.feeder, {"fixes": [fix("FT004", t=now, lon=114.04)]})
    late = _post(client, feeds.feeder, {"fixes": [fix("FT004", t=now - timedelta(minutes=1), lon=114.039)]})
    assert late["rows"][0]["status"] == "flagged" and "out_of_order" in late["rows"][0]["reasons"][0]
    assert _stored(feeds, "FT004") == 2
    assert _position(feeds, "FT004")[1] == pytest.approx(114.04)


def test_a_jump_faster_than_the_limit_is_flagged_and_does_not_move_the_vehicle(client, feeds):
    now = datetime.now(UTC) - timedelta(minutes=5)
    result = _post(
        client,
        feeds.feeder,
        {
            "fixes": [
                fix("FT005", t=now, lon=114.00),
                fix("FT005", t=now + timedelta(seconds=10), lon=114.05),  # 5 km in 10 s
                fix("FT005", t=now + timedelta(seconds=20), lon=114.0005),
            ]
        },
    )
    assert [row["status"] for row in result["rows"]] == ["accepted", "flagged", "accepted"]
    assert "speed_jump" in result["rows"][1]["reasons"][0]
    assert _position(feeds, "FT005")[1] == pytest.approx(114.0005)
    with psycopg.connect(feeds.url) as conn:
        flags = conn.execute(
            "SELECT flags FROM onemap.vehicle_fix WHERE vehicle_id = 'FT005' ORDER BY t"
        ).fetchall()
    assert [f for (f,) in flags] == [[], ["speed_jump"], []]


def test_fixes_may_name_the_plate_and_come_in_gcj02(client, feeds):
    result = _post(
        client, feeds.feeder, {"crs": "gcj02", "fixes": [fix("粤B2020C", lon=114.0353, lat=22.5373)]}
    )
    assert result["accepted"] == 1
    _, lon, lat = _position(feeds, "FT020")
    assert abs(114.0353 - lon) > 0.003  # GCJ-02 is hundreds of metres off WGS84/CGCS2000 here
    back_lon, back_lat = wgs84_to_gcj02(lon, lat)
    assert (float(back_lon), float(back_lat)) == pytest.approx((114.0353, 22.5373), abs=1e-6)


def test_one_notification_per_batch_with_the_latest_position_of_each_vehicle(client, feeds):
    received: list[str] = []
    ready = threading.Event()

    def listen() -> None:
        with psycopg.connect(feeds.url, autocommit=True) as conn:
            conn.execute("LISTEN onemap_vehicles")
            ready.set()
            for note in conn.notifies(timeout=10, stop_after=1):
                received.append(note.payload)

    thread = threading.Thread(target=listen)
    thread.start()
    ready.wait(5)
    now = datetime.now(UTC) - timedelta(minutes=2)
    _post(
        client,
        feeds.feeder,
        {
            "fixes": [
                fix("FT006", t=now, lon=114.02),
                fix("FT006", t=now + timedelta(seconds=10), lon=114.0201),
                fix("FT007", t=now, lon=114.03),
            ]
        },
    )
    thread.join(12)
    assert len(received) == 1
    positions = {p["id"]: p for p in json.loads(received[0])}
    assert set(positions) == {"FT006", "FT007"}
    assert positions["FT006"]["lon"] == pytest.approx(114.0201)
    assert set(positions["FT006"]) == {"id", "plate", "lon", "lat", "heading", "speed", "t"}


def test_latest_positions_are_public_and_tracks_private(client, feeds):
    now = datetime.now(UTC) - timedelta(minutes=40)
    _post(
        client, feeds.feeder, {"fixes": [fix("FT008", t=now + timedelta(seconds=10 * i)) for i in range(4)]}
    )
    features = client.get("/feeds/vehicles").json()["features"]
    assert "FT008" in {f["id"] for f in features}
    url = f"/feeds/vehicles/FT008/track?from={(now - timedelta(seconds=1)).isoformat()}"
    assert client.get(url.replace("+", "%2B")).status_code == 401
    track = client.get(url.replace("+", "%2B"), headers=bearer(feeds.viewer)).json()
    assert track["numberReturned"] == 4
    times = [f["properties"]["t"] for f in track["features"]]
    assert times == sorted(times)
    assert client.get("/feeds/vehicles/NOPE/track", headers=bearer(feeds.viewer)).status_code == 404
    assert (
        client.get("/feeds/vehicles/FT008/track?from=yesterday", headers=bearer(feeds.viewer)).status_code
        == 400
    )


def test_the_stream_url_is_hidden_without_read_private(client, feeds):
    anonymous = client.get(f"/feeds/cameras/{CAMERA}")
    assert anonymous.status_code == 200
    assert "stream_url" not in anonymous.json()["properties"]
    assert "rtsp://" not in anonymous.text
    private = client.get(f"/feeds/cameras/{CAMERA}", headers=bearer(feeds.viewer)).json()
    assert private["properties"]["stream_url"].startswith("rtsp://")
    assert private["sector"]["type"] == "Polygon"
    assert client.get("/feeds/cameras/44030400081326999999").status_code == 404


def test_no_layer_publishes_the_stream_url(feeds):
    with psycopg.connect(feeds.url) as conn:
        rows = conn.execute(
            "SELECT name, properties, relation::text FROM onemap.layer WHERE kind IN ('cameras', 'vehicles')"
        ).fetchall()
        for _, _, relation in rows:
            columns = [d.name for d in conn.execute(f"SELECT * FROM {relation} LIMIT 0").description]
            assert "stream_url" not in columns
    assert {name for name, _, _ in rows} == {"cameras", "camera_sectors", "vehicles"}


def test_camera_status_reports_apply_newest_first_and_reject_bad_rows(client, feeds):
    now = datetime.now(UTC)
    reports = {
        "reports": [
            {"device_id": CAMERA, "status": "fault", "time": now.isoformat()},
            {"device_id": CAMERA, "status": "online", "time": (now - timedelta(hours=1)).isoformat()},
            {"device_id": "12345", "status": "online"},
            {"device_id": "44030400081116000001", "status": "online"},  # type 111 is a DVR, not a camera
            {"device_id": "44030400081326000999", "status": "online"},  # valid id, not registered
            {"device_id": CAMERA, "status": "broken"},
        ]
    }
    assert client.post("/feeds/cameras/status", json=reports).status_code == 401
    response = client.post("/feeds/cameras/status", json=reports, headers=bearer(feeds.feeder))
    assert response.status_code == 200
    assert [row["status"] for row in response.json()["rows"]] == [
        "accepted",
        "flagged",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
    ]
    assert client.get(f"/feeds/cameras/{CAMERA}").json()["properties"]["status"] == "fault"


def test_cli_import_vehicles_registers_them_and_names_bad_rows(feeds, tmp_path):
    good = tmp_path / "fleet.csv"
    good.write_text(
        "id,plate,type,department\nNEW01,粤B9901X,洒水车,福田区环境卫生管理处\nNEW02,粤B9902X,执法车,\n",
        encoding="utf-8",
    )
    result = run("import", "vehicles", str(good), ONEMAP_DATABASE_URL=feeds.url)
    assert result.returncode == 0, result.stderr
    assert "registered 2 vehicles" in result.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "id,plate,type\nNEW03,粤B9903X,坦克\nbad id!,粤B9904X,执法车\nNEW05,,执法车\n", encoding="utf-8"
    )
    result = run("import", "vehicles", str(bad), ONEMAP_DATABASE_URL=feeds.url)
    assert result.returncode == 3
    for expected in (f"{bad} row 1 type:", f"{bad} row 2 id:", f"{bad} row 3 plate: missing"):
        assert expected in result.stderr
    with psycopg.connect(feeds.url) as conn:
        ids = {r[0] for r in conn.execute("SELECT id FROM onemap.vehicle WHERE id LIKE 'NEW%'").fetchall()}
    assert ids == {"NEW01", "NEW02"}


def test_cli_import_vehicles_reads_the_gbk_csv_that_chinese_excel_saves(feeds, tmp_path):
    fleet = tmp_path / "车辆.csv"
    fleet.write_bytes("id,plate,type,department\r\nGBK01,粤B9911X,洒水车,福田区环境卫生管理处\r\n".encode("gbk"))
    result = run("import", "vehicles", str(fleet), ONEMAP_DATABASE_URL=feeds.url)
    assert result.returncode == 0, result.stderr
    assert "registered 1 vehicles" in result.stdout and "decoded as GB18030" in result.stdout
    with psycopg.connect(feeds.url) as conn:
        row = conn.execute("SELECT plate, department FROM onemap.vehicle WHERE id = 'GBK01'").fetchone()
    assert row == ("粤B9911X", "福田区环境卫生管理处")
    fleet.write_bytes(b"id,plate,type\r\nX1,\xff\xfe\xff,\x81\r\n")  # neither UTF-8 nor GB18030
    result = run("import", "vehicles", str(fleet), ONEMAP_DATABASE_URL=feeds.url)
    assert result.returncode == 3 and "line 2: not valid GB18030 text" in result.stderr, result.stderr
