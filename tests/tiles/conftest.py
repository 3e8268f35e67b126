"""Fixtures of the tile tests: the app on the shared demo database, and a database of one's own."""

from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient

from gis.settings import Settings
from tests.conftest import template_clone
from tests.gis.conftest import ogc_app_client

CENTRE = (114.02, 22.535)  # 车公庙, inside the demo city


def tiles_client(settings: Settings, url: str, **overrides: object) -> TestClient:
    """A TestClient whose tile cache reads the change log on every request (no polling delay)."""
    return ogc_app_client(settings, url, **{"tiles_change_poll_s": 0.0, **overrides})


@pytest.fixture(scope="module")
def client(settings: Settings, db_url: str) -> Iterator[TestClient]:
    with tiles_client(settings, db_url) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def own_db_url(server_url: str, db_url: str) -> Iterator[str]:
    """A database of this module's own (the tests write), cloned from the demo-city template."""
    with template_clone(server_url, "onemap_test_tiles") as url:
        yield url


@pytest.fixture
def db(own_db_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(own_db_url, autocommit=True) as conn:
        yield conn
