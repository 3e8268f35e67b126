"""A database with the demo city and its twelve-month demo case history (shared by the notebooks)."""

from collections.abc import Iterator

import psycopg
import pytest

from gis.demo import cases_history
from tests.conftest import template_clone


@pytest.fixture(scope="session")
def history_db_url(server_url: str, db_url: str) -> Iterator[str]:
    with template_clone(server_url, "onemap_test_analysis") as url:
        with psycopg.connect(url, autocommit=True) as conn:
            cases_history.load(conn)
            cases_history.publish_hotspots(conn)
        yield url
