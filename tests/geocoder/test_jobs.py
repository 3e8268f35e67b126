"""Batch geocoding jobs over HTTP: who may start and read them, how many are kept, when they expire."""

import time
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from gis.app import create_app
from gis.settings import Settings

CSV = {"content-type": "text/csv"}
TABLE = "id,地址\n1,侨香路7号\n2,不存在的地方\n".encode()


@contextmanager
def jobs_client(settings: Settings, db_url: str, **overrides: object) -> Iterator[tuple[TestClient, FastAPI]]:
    """An app of its own, with these job settings, and its client."""
    update = {"database_url": SecretStr(db_url), "registry_ttl_s": 0.0, **overrides}
    app = create_app(settings.model_copy(update=update))
    with TestClient(app) as client:
        yield client, app


def finished(client: TestClient, url: str, headers: dict[str, str]) -> dict[str, object]:
    for _ in range(200):
        state = client.get(url, headers=headers).json()
        if state["status"] not in ("accepted", "running"):
            return state
        time.sleep(0.05)
    raise AssertionError(f"job {url} did not finish: {state}")


def test_starting_a_job_needs_a_token_and_single_geocoding_does_not(geocoder_client: TestClient) -> None:
    refused = geocoder_client.post("/geocode/batch", content=TABLE, headers=CSV)
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer")
    assert set(refused.json()) == {"code", "description"}
    assert "needs a bearer token" in refused.json()["description"]
    assert geocoder_client.get("/geocode", params={"q": "侨香路7号"}).status_code == 200
    assert geocoder_client.post("/geocode/batch", json={"addresses": ["侨香路7号"]}).status_code == 200


def test_a_job_is_seen_only_by_the_token_that_started_it(
    geocoder_client: TestClient, job_headers: tuple[dict[str, str], dict[str, str]]
) -> None:
    mine, other = job_headers
    started = geocoder_client.post("/geocode/batch", content=TABLE, headers={**CSV, **mine})
    assert started.status_code == 202, started.text
    url = started.headers["location"]
    assert finished(geocoder_client, url, mine)["status"] == "successful"
    for path in (url, url + "/result"):
        assert geocoder_client.get(path, headers=other).status_code == 404
        assert geocoder_client.get(path).status_code == 401
    assert geocoder_client.get(url + "/result", headers=mine).status_code == 200


def test_a_finished_job_expires_and_is_forgotten(
    settings: Settings, db_url: str, job_headers: tuple[dict[str, str], dict[str, str]]
) -> None:
    mine = job_headers[0]
    with jobs_client(settings, db_url, geocode_job_ttl_s=0.5) as (client, app):
        url = client.post("/geocode/batch", content=TABLE, headers={**CSV, **mine}).headers["location"]
        assert finished(client, url, mine)["status"] == "successful"
        time.sleep(1.0)  # no request in between: the store drops it by itself
        assert len(app.state.geocode_jobs) == 0
        gone = client.get(url + "/result", headers=mine)
    assert gone.status_code == 404 and "kept 0.5 seconds" in gone.json()["description"]


def test_a_full_server_refuses_a_job_with_retry_after(
    settings: Settings, db_url: str, job_headers: tuple[dict[str, str], dict[str, str]]
) -> None:
    mine, other = job_headers
    with jobs_client(settings, db_url, geocode_jobs_max=1, geocode_job_ttl_s=60.0) as (client, _):
        first = client.post("/geocode/batch", content=TABLE, headers={**CSV, **mine})
        assert first.status_code == 202
        finished(client, first.headers["location"], mine)
        refused = client.post("/geocode/batch", content=TABLE, headers={**CSV, **other})
        assert client.get("/geocode", params={"q": "侨香路7号"}).status_code == 200
    assert refused.status_code == 503 and 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["code"] == "ServiceUnavailable"
    assert "keeps 1 batch geocoding jobs at once" in refused.json()["description"]
