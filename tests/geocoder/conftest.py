"""Fixtures of the geocoder tests: the demo gazetteer snapshot and the app in-process."""

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from geocoder import gazetteer
from geocoder.gazetteer import Gazetteer
from gis.app import create_app
from gis.auth import create_token
from gis.settings import Settings


@pytest.fixture(scope="session")
def demo_gazetteer(db_url: str) -> Gazetteer:
    """The snapshot of the demo city (Futian roads, generated door plates and POIs)."""
    with psycopg.connect(db_url) as conn:
        return gazetteer.load(conn)


@pytest.fixture(scope="session")
def geocoder_client(settings: Settings, db_url: str) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"database_url": SecretStr(db_url), "registry_ttl_s": 0.0}))
    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="session")
def job_headers(db_url: str) -> tuple[dict[str, str], dict[str, str]]:
    """Authorization headers of two viewer tokens (the least role), for batch jobs."""
    with psycopg.connect(db_url) as conn:
        tokens = [create_token(conn, name=f"geocoder-jobs-{uuid.uuid4().hex[:8]}", role="viewer",
                               created_by="tests") for _ in range(2)]
    first, second = ({"Authorization": f"Bearer {t}"} for t in tokens)
    return first, second
