"""The one-map page in headless Chromium (Debian's, driven by Playwright): MapLibre renders the
fused tileset of the demo city, with no console error; the screenshot is a test artefact."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import chromium_path
from tests.gis.conftest import onemap_serve

pytestmark = pytest.mark.slow
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
READY = ("window.onemapMap && onemapMap.loaded() && onemapMap.areTilesLoaded()"
         " && onemapMap.queryRenderedFeatures().length > 0")


@pytest.fixture(scope="module")
def server(db_url: str) -> Iterator[str]:
    """`onemap serve` on a free port against the test database (skips without Chromium)."""
    chromium_path()
    with onemap_serve(db_url) as base:
        yield base


@pytest.fixture
def page(server: str) -> Iterator[tuple[object, list[str]]]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=["--use-angle=swiftshader", "--enable-unsafe-swiftshader"])
        try:
            tab = browser.new_page(viewport={"width": 1200, "height": 900})
            errors: list[str] = []
            tab.on("console",
                   lambda message: errors.append(message.text) if message.type == "error" else None)
            tab.on("pageerror", lambda error: errors.append(str(error)))
            tab.goto(server + "/")
            tab.wait_for_function(READY, timeout=60_000)
            yield tab, errors
        finally:
            browser.close()


def test_page_renders_the_fused_tileset_without_console_errors(page):
    tab, errors = page
    layers = tab.evaluate("[...new Set(onemapMap.queryRenderedFeatures().map(f => f.sourceLayer))].sort()")
    assert {"admin", "components", "roads"} <= set(layers)
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "onemap.png"))
    assert (ARTIFACTS / "onemap.png").read_bytes().startswith(b"\x89PNG")
    assert errors == []


def test_layer_panel_lists_the_class_legend_and_toggles_layers(page):
    tab, errors = page
    tab.wait_for_selector("#layers input[data-group=components]")
    assert "市政公用设施" in tab.inner_text("#layers")
    tab.uncheck("#layers input[data-group=components]")
    assert tab.evaluate("onemapMap.getLayoutProperty('components-point', 'visibility')") == "none"
    assert errors == []


def test_click_opens_a_popup_with_the_feature_codes(page):
    tab, errors = page
    tab.evaluate("onemapMap.jumpTo({center: [114.02, 22.535], zoom: 16})")
    tab.wait_for_function(READY, timeout=60_000)
    tab.mouse.click(600, 450)
    tab.wait_for_selector(".maplibregl-popup", timeout=10_000)
    assert "code" in tab.inner_text(".maplibregl-popup")
    assert errors == []


def test_search_box_reports_the_geocoder_answer(page):
    tab, errors = page
    tab.fill("#address", "福田区福华路")
    tab.click("#search button")
    tab.wait_for_selector("#results > div", timeout=20_000)
    assert tab.inner_text("#results").strip()
    assert errors == []
