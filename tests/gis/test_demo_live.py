"""`onemap serve --simulate` (what `make demo` runs): the demo fleet moves and demo cases appear
through the APIs while the server runs, with a token that is revoked when it stops."""

import time

import httpx
import psycopg

from tests.gis.conftest import onemap_serve
from tests.gis.feeds_support import fleet_db


def _positions(base: str) -> dict[str, str]:
    features = httpx.get(f"{base}/feeds/vehicles", timeout=10).json()["features"]
    return {feature["id"]: feature["properties"]["t"] for feature in features}


def test_serve_simulate_moves_the_fleet_and_revokes_its_token(server_url, db_url):
    with fleet_db(server_url, "onemap_test_live") as fleet:
        with onemap_serve(fleet.url, "--simulate") as base:
            deadline = time.monotonic() + 60
            positions: dict[str, str] = {}
            while time.monotonic() < deadline and len(positions) < 40:
                positions = _positions(base)
                time.sleep(1)
            assert len(positions) == 40, "every demo vehicle reports within a minute"
            with psycopg.connect(fleet.url) as conn:
                active = conn.execute("SELECT count(*) FROM onemap.api_token WHERE name LIKE "
                                      "'demo-simulator-%%' AND revoked_at IS NULL").fetchone()
            assert active == (1,)
        with psycopg.connect(fleet.url) as conn:
            active = conn.execute("SELECT count(*) FROM onemap.api_token WHERE name LIKE "
                                  "'demo-simulator-%%' AND revoked_at IS NULL").fetchone()
        assert active == (0,), "the simulator's token is revoked when the server stops"
