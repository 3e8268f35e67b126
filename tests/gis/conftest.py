"""Fixtures of the OGC API tests: the app in-process (TestClient) and `onemap serve` on a free port."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from gis.app import create_app
from gis.settings import Settings
from tests.conftest import template_clone
from tests.gis.feeds_support import FleetDb, fleet_db


def ogc_app_client(settings: Settings, url: str, **overrides: object) -> TestClient:
    """A TestClient of the app on `url` that re-reads the layer registry on every request
    (other settings as `overrides`)."""
    update = {"database_url": SecretStr(url), "registry_ttl_s": 0.0, **overrides}
    return TestClient(create_app(settings.model_copy(update=update)))


@pytest.fixture(scope="module")
def ogc_client(settings: Settings, db_url: str) -> Iterator[TestClient]:
    """The app on the shared test database (read-only tests)."""
    with ogc_app_client(settings, db_url) as client:
        yield client


@pytest.fixture(scope="module")
def module_db_url(server_url: str, db_url: str) -> Iterator[str]:
    """A database of this module's own (writes), cloned from the demo-city template."""
    with template_clone(server_url, "onemap_test_ogc") as url:
        yield url


@pytest.fixture(scope="module")
def feeds(request: pytest.FixtureRequest, server_url: str, db_url: str) -> Iterator[FleetDb]:
    """A database of the module's own with the demo fleet and cameras, and tokens (feeds_support)."""
    module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    with fleet_db(server_url, f"onemap_test_{module}") as db:
        yield db


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_onemap_serve(url: str, *options: str) -> tuple["subprocess.Popen[bytes]", str]:
    """`onemap serve [options]` on a free port against `url`, returned with its base URL once
    /healthz answers 200 (the caller stops the process)."""
    port = free_port()
    onemap = str(Path(sys.executable).with_name("onemap"))
    process = subprocess.Popen([onemap, "serve", "--port", str(port), *options],
                               env={**os.environ, "ONEMAP_DATABASE_URL": url, "ONEMAP_LOG_LEVEL": "warning"},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=2)
            return process, base
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("onemap serve did not become healthy in 30 s")
            time.sleep(0.3)


@contextmanager
def onemap_serve(url: str, *options: str) -> Iterator[str]:
    """`onemap serve [options]` against `url` for the block; yields the base URL once healthy."""
    process, base = start_onemap_serve(url, *options)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def ogc_server(db_url: str) -> Iterator[str]:
    with onemap_serve(db_url) as base:
        yield base
