"""The one-map page in headless Chromium: a vehicle marker moves after a fix is posted (live.js over SSE)."""

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.browser import chromium_path, open_page
from tests.gis.conftest import onemap_serve
from tests.gis.feeds_support import FleetDb, bearer, fix, fleet_db

pytestmark = pytest.mark.slow
A = (114.0300, 22.5400)
B = (114.0330, 22.5410)
MARKER = (
    "(() => { const f = onemapMap.queryRenderedFeatures({layers: ['live-vehicles']})"
    ".find(f => f.properties.id === 'FT011'); return f ? f.geometry.coordinates : null; })()"
)


@pytest.fixture(scope="module")
def server(server_url: str, db_url: str) -> Iterator[tuple[str, FleetDb]]:
    chromium_path()
    with fleet_db(server_url, "onemap_test_live") as db, onemap_serve(db.url) as base:
        yield base, db


def _post(base: str, token: str, lon_lat: tuple[float, float], t: datetime) -> None:
    response = httpx.post(
        f"{base}/feeds/vehicles/fixes",
        headers=bearer(token),
        json={"fixes": [fix("FT011", lon=lon_lat[0], lat=lon_lat[1], t=t)]},
    )
    assert response.json()["accepted"] == 1, response.text


def test_a_vehicle_marker_moves_after_a_fix_is_posted(server):
    base, db = server
    start = datetime.now(UTC) - timedelta(seconds=30)
    _post(base, db.feeder, A, start)

    async def scenario() -> tuple[list[float] | None, list[float] | None, int]:
        async with open_page(base + "/") as page:
            ready = await page.wait_for(
                "window.onemapLive && onemapLive.ready && onemapLive.connected && onemapMap.loaded()",
                timeout_s=60,
            )
            assert ready, "live.js never connected to /feeds/events"
            await page.evaluate("onemapMap.jumpTo({center: [114.0315, 22.5405], zoom: 15}) && true")
            before = await page.wait_for(f"onemapMap.areTilesLoaded() && {MARKER}", timeout_s=30)
            tiles_reloaded = await page.evaluate(
                "(window.__tileRequests = performance.getEntriesByType"
                "('resource').filter(e => e.name.includes('/tiles/')).length)"
            )
            _post(base, db.feeder, B, start + timedelta(seconds=20))
            moved = await page.wait_for(
                f"(() => {{ const c = {MARKER}; return c && Math.abs(c[0] - {B[0]}) < 1e-5 ? c : null; }})()",
                timeout_s=30,
            )
            after_tiles = await page.evaluate(
                "performance.getEntriesByType('resource').filter(e => e.name.includes('/tiles/')).length"
            )
            return before, moved, after_tiles - tiles_reloaded

    before, moved, new_tile_requests = asyncio.run(scenario())
    assert before == pytest.approx(list(A), abs=1e-5), json.dumps(before)
    assert moved == pytest.approx(list(B), abs=1e-5), "the marker did not move to the new fix"
    assert new_tile_requests == 0, "moving a vehicle reloaded tiles"


def test_the_page_colours_cases_by_their_live_deadline_state(server):
    """The style colours cases by the tiles' deadline_state (feature-state is MapLibre's alone: ArcGIS and
    QGIS do not implement it); the page puts the state that live.js sets on a case first."""
    base, _ = server
    style = httpx.get(f"{base}/tiles/onemap/style.json").json()
    assert "feature-state" not in json.dumps(style)
    assert any(layer.get("source-layer") == "cases" for layer in style["layers"])

    async def scenario() -> list[str]:
        async with open_page(base + "/") as page:
            ready = await page.wait_for("window.onemapLive && onemapLive.ready && onemapMap.loaded()",
                                        timeout_s=60)
            assert ready, "live.js never started"
            return await page.evaluate(
                "onemapMap.getStyle().layers"
                ".filter(l => l['source-layer'] === 'cases' && l.type === 'circle')"
                ".map(l => JSON.stringify(onemapMap.getPaintProperty(l.id, 'circle-color')))")

    colours = asyncio.run(scenario())
    assert colours and all('["feature-state","deadline_state"]' in colour for colour in colours), colours
