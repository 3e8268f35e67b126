"""`/healthz` against real servers: the test database, a closed port, and a cluster that restarts."""

import shutil
import socket
import time

import psycopg
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from gis.app import create_app
from gis.localdb import LocalCluster
from gis.migrations import migrate
from gis.settings import Settings


def _client(settings: Settings, url: str) -> TestClient:
    return TestClient(create_app(settings.model_copy(update={"database_url": SecretStr(url)})))


def test_healthy_database_reports_postgis_and_migrations(settings, db_url):
    with _client(settings, db_url) as client:
        response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200
    assert body["database"] == "reachable"
    assert body["postgis"].startswith("3.")
    assert body["migrations"]["pending"] == []


def test_pending_migrations_answer_503_with_the_reason(settings, empty_db_url):
    with _client(settings, empty_db_url) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert "onemap db migrate" in response.json()["reason"]


def test_unreachable_database_answers_503_and_the_service_still_starts(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    fast = settings.model_copy(update={"connect_timeout_s": 1.0})
    with _client(fast, f"postgresql://u:p@127.0.0.1:{port}/none") as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def _wait_for(client: TestClient, status: int, seconds: float = 30.0) -> int:
    deadline = time.monotonic() + seconds
    while True:
        code = client.get("/healthz").status_code
        if code == status or time.monotonic() > deadline:
            return code
        time.sleep(0.5)


@pytest.mark.slow
def test_service_recovers_by_itself_when_the_database_comes_back(settings, tmp_path):
    cluster = LocalCluster(tmp_path, pg_bin=None, preferred_port=settings.pg_port + 7,
                           database="onemap")
    try:
        url = cluster.up()
        with psycopg.connect(url) as conn:
            migrate(conn)
        fast = settings.model_copy(update={"connect_timeout_s": 1.0})
        with _client(fast, url) as client:
            assert _wait_for(client, 200) == 200
            cluster.down()
            assert _wait_for(client, 503) == 503
            assert cluster.up() == url  # same port, so the service's URL still holds
            assert _wait_for(client, 200) == 200
    finally:
        cluster.down()
        shutil.rmtree(cluster.root, ignore_errors=True)
