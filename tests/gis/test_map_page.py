"""The one-map page in a real browser: MapLibre renders onemap's tiles of the demo city."""

import asyncio
from collections.abc import Iterator

import pytest

from tests.browser import chromium_path, open_page
from tests.gis.conftest import onemap_serve

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(db_url: str) -> Iterator[str]:
    """`onemap serve` on a free port against the test database (skips without Chromium)."""
    chromium_path()
    with onemap_serve(db_url) as base:
        yield base


def test_page_renders_every_demo_layer_from_the_fused_tileset(server, tmp_path):
    async def scenario() -> tuple[list[str], bytes]:
        async with open_page(server + "/") as page:
            ready = await page.wait_for(
                "window.onemapMap && onemapMap.loaded() && onemapMap.areTilesLoaded()"
                " && onemapMap.queryRenderedFeatures().length > 0")
            assert ready, "the map never finished loading its tiles"
            layers = await page.evaluate(
                "[...new Set(onemapMap.queryRenderedFeatures().map(f => f.sourceLayer))].sort()")
            return layers, await page.screenshot()

    layers, png = asyncio.run(scenario())
    assert {"communities", "counties", "roads", "streets", "unit_grid"} <= set(layers)
    (tmp_path / "onemap.png").write_bytes(png)
    assert png.startswith(b"\x89PNG")
