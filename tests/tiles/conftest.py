"""Fixtures of the tile tests: the app on the shared demo database, and a database of one's own."""

from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from gis.app import create_app
from gis.settings import Settings
from tests.conftest import template_clone

CENTRE = (114.02, 22.535)  # 车公庙, inside the demo city


def tiles_client(settings: Settings, url: str, **overrides: object) -> TestClient:
    """A TestClient whose tile cache reads the change log on every request (no polling delay)."""
    update = {"database_url": SecretStr(url), "tiles_change_poll_s": 0.0, **overrides}
    return TestClient(create_app(settings.model_copy(update=update)))


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
