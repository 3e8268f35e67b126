"""Fixtures and helpers of the geocoder tests: the demo gazetteer snapshot, the app in-process, batch jobs."""

import csv
import io
import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from geocoder import gazetteer
from geocoder.gazetteer import Gazetteer
from gis.auth import create_token
from gis.settings import Settings
from tests.gis.conftest import ogc_app_client
from tests.gis.feeds_support import bearer


@pytest.fixture(scope="session")
def demo_gazetteer(db_url: str) -> Gazetteer:
    """The snapshot of the demo city (Futian roads, generated door plates and POIs)."""
    with psycopg.connect(db_url) as conn:
        return gazetteer.load(conn)


@pytest.fixture(scope="session")
def geocoder_client(settings: Settings, db_url: str) -> Iterator[TestClient]:
    with ogc_app_client(settings, db_url) as client:
        yield client


@pytest.fixture(scope="session")
def job_headers(db_url: str) -> tuple[dict[str, str], dict[str, str]]:
    """Authorization headers of two viewer tokens (the least role), for batch jobs."""
    with psycopg.connect(db_url) as conn:
        first, second = (bearer(create_token(conn, name=f"geocoder-jobs-{uuid.uuid4().hex[:8]}",
                                             role="viewer", created_by="tests")) for _ in range(2))
    return first, second


def finished_job(client: TestClient, url: str, headers: dict[str, str]) -> dict[str, Any]:
    """The state of a batch job once it is no longer accepted or running (polled for up to 10 s)."""
    for _ in range(200):
        state: dict[str, Any] = client.get(url, headers=headers).json()
        if state["status"] not in ("accepted", "running"):
            return state
        time.sleep(0.05)
    raise AssertionError(f"job {url} did not finish: {state}")


def job_result_rows(client: TestClient, url: str, headers: dict[str, str]) -> list[list[str]]:
    """The rows of a batch job's CSV result, header first, once the job has succeeded."""
    assert finished_job(client, url, headers)["status"] == "successful"
    result = client.get(url + "/result", headers=headers)
    return list(csv.reader(io.StringIO(result.content.decode("utf-8-sig"))))


def plate_outside_the_grid(conn: psycopg.Connection) -> str:
    """The address of a demo door plate outside every loaded district, so in no unit grid cell (the demo
    numbers roads beyond the grid)."""
    row = conn.execute(
        "SELECT road_name || number || '号' FROM onemap.door_plate p WHERE sub_number = '' AND NOT EXISTS "
        "(SELECT 1 FROM onemap.admin_area a WHERE ST_Intersects(a.geom, p.geom)) ORDER BY id LIMIT 1"
    ).fetchone()
    assert row is not None
    return str(row[0])
