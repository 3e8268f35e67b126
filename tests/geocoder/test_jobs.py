"""Batch geocoding jobs: who may start and read them, how many are kept, when they expire."""

import asyncio
import time
from typing import cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from geocoder.jobs import JobsFull, JobStore
from gis.settings import Settings
from tests.geocoder.conftest import finished_job
from tests.gis.conftest import ogc_app_client

CSV = {"content-type": "text/csv"}
TABLE = "id,地址\n1,侨香路7号\n2,不存在的地方\n".encode()


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
    assert finished_job(geocoder_client, url, mine)["status"] == "successful"
    for path in (url, url + "/result"):
        assert geocoder_client.get(path, headers=other).status_code == 404
        assert geocoder_client.get(path).status_code == 401
    assert geocoder_client.get(url + "/result", headers=mine).status_code == 200


def test_a_finished_job_expires_and_is_forgotten(
    settings: Settings, db_url: str, job_headers: tuple[dict[str, str], dict[str, str]]
) -> None:
    mine = job_headers[0]
    with ogc_app_client(settings, db_url, geocode_job_ttl_s=0.5) as client:
        app = cast(FastAPI, client.app)
        url = client.post("/geocode/batch", content=TABLE, headers={**CSV, **mine}).headers["location"]
        assert finished_job(client, url, mine)["status"] == "successful"
        time.sleep(1.0)  # no request in between: the store drops it by itself
        assert len(app.state.geocode_jobs) == 0
        gone = client.get(url + "/result", headers=mine)
    assert gone.status_code == 404 and "kept 0.5 seconds" in gone.json()["description"]


def test_a_full_server_refuses_a_job_with_retry_after(
    settings: Settings, db_url: str, job_headers: tuple[dict[str, str], dict[str, str]]
) -> None:
    mine, other = job_headers
    with ogc_app_client(settings, db_url, geocode_jobs_max=1, geocode_job_ttl_s=60.0) as client:
        first = client.post("/geocode/batch", content=TABLE, headers={**CSV, **mine})
        assert first.status_code == 202
        finished_job(client, first.headers["location"], mine)
        refused = client.post("/geocode/batch", content=TABLE, headers={**CSV, **other})
        assert client.get("/geocode", params={"q": "侨香路7号"}).status_code == 200
    assert refused.status_code == 503 and 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["code"] == "ServiceUnavailable"
    assert "keeps 1 batch geocoding jobs at once" in refused.json()["description"]



class Clock:
    """A store's clock that the test sets."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _finished_at_zero(store: JobStore) -> None:
    """Start a job on the store and wait until it has finished (the store's clock reads 0)."""

    async def run() -> None:
        job = store.reserve(1, instead="wait")
        store.start(job, 0, lambda progress: (b"", 0))
        while job.expires_at is None:
            await asyncio.sleep(0.01)

    asyncio.run(run())


def _retry_after(store: JobStore) -> int:
    with pytest.raises(JobsFull) as full:
        store.reserve(3, instead="wait")
    return full.value.retry_after_s


def test_retry_after_is_when_the_first_finished_job_expires() -> None:
    clock = Clock()
    store = JobStore(max_jobs=2, concurrency=1, ttl_s=60.0, clock=clock)
    try:
        _finished_at_zero(store)
        store.reserve(2, instead="wait")  # not finished: it expires 60 s after it finishes, at 75 or later
        clock.now = 15.0
        assert _retry_after(store) == 45
        clock.now = 60.0  # the finished one has expired: its place is free
        assert store.reserve(3, instead="wait").owner == 3
    finally:
        store.close()


def test_retry_after_with_only_unfinished_jobs_is_the_ttl() -> None:
    """An unfinished job expires ttl_s after it finishes: no place frees sooner than ttl_s from now."""
    clock = Clock()
    store = JobStore(max_jobs=2, concurrency=1, ttl_s=60.0, clock=clock)
    store.reserve(1, instead="wait")
    clock.now = 30.0
    store.reserve(2, instead="wait")
    assert _retry_after(store) == 60
