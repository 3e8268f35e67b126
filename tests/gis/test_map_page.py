"""The one-map page in a real browser: MapLibre renders onemap's tiles of the demo city."""

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import chromium_path, open_page

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(db_url: str) -> Iterator[str]:
    """`onemap serve` on a free port against the test database."""
    chromium_path()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    onemap = str(Path(sys.executable).with_name("onemap"))
    process = subprocess.Popen([onemap, "serve", "--port", str(port)],
                               env={**os.environ, "ONEMAP_DATABASE_URL": db_url},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("onemap serve did not become healthy in 30 s")
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


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
