"""Web maps on other origins may call onemap from the browser (CORS); writes still need a token."""

import asyncio

import pytest

from tests.browser import chromium_path, open_page
from tests.gis.conftest import ogc_app_client

MAP = "https://map.city.example"
PREFLIGHT = {"Origin": MAP, "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "authorization, content-type"}


def test_any_origin_reads_features_and_tiles_and_sees_their_headers(ogc_client):
    items = ogc_client.get("/collections/roads/items?limit=1", headers={"Origin": MAP})
    assert items.status_code == 200 and items.headers["access-control-allow-origin"] == "*"
    assert "content-crs" in items.headers["access-control-expose-headers"].lower()
    tilejson = ogc_client.get("/tiles/onemap/tilejson.json", headers={"Origin": MAP})
    assert tilejson.status_code == 200 and tilejson.headers["access-control-allow-origin"] == "*"
    tile = tilejson.json()["tiles"][0].format(z=14, x=13388, y=7137).replace("http://testserver", "")
    assert ogc_client.get(tile, headers={"Origin": MAP}).headers["access-control-allow-origin"] == "*"


def test_a_write_is_preflighted_but_still_needs_its_token(ogc_client):
    preflight = ogc_client.options("/collections/components/items", headers=PREFLIGHT)
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    edit = ogc_client.options("/collections/components/items/44030400100100001",
                              headers={**PREFLIGHT, "Access-Control-Request-Method": "PATCH",
                                       "Access-Control-Request-Headers": "Authorization, If-Match"})
    assert edit.status_code == 200, "an editor on another origin sends If-Match (optimistic locking)"
    write = ogc_client.post("/collections/components/items", headers={"Origin": MAP},
                            json={"type": "Feature", "geometry": None, "properties": {}})
    assert write.status_code == 401 and write.headers["access-control-allow-origin"] == "*"


def test_configured_origins_only(settings, db_url):
    with ogc_app_client(settings, db_url, cors_origins=f"{MAP}/, https://other.city.example") as client:
        allowed = client.get("/collections", headers={"Origin": MAP})
        assert allowed.headers["access-control-allow-origin"] == MAP
        stranger = client.get("/collections", headers={"Origin": "https://elsewhere.example"})
        assert stranger.status_code == 200 and "access-control-allow-origin" not in stranger.headers
        refused = client.options("/collections/components/items",
                                 headers={**PREFLIGHT, "Origin": "https://elsewhere.example"})
        assert refused.status_code == 400
    with ogc_app_client(settings, db_url, cors_origins="") as client:
        plain = client.get("/collections", headers={"Origin": MAP})
        assert plain.status_code == 200 and "access-control-allow-origin" not in plain.headers


@pytest.mark.slow
def test_a_page_of_another_origin_reads_features_in_chromium(ogc_server, db_url):
    """Chromium's own CORS checks: a page on localhost fetches items from 127.0.0.1 (another origin),
    once plainly and once with an Authorization header, which the browser preflights; a blocked
    request would be a TypeError, not onemap's answer."""
    chromium_path()
    other_origin = ogc_server.replace("127.0.0.1", "localhost")
    assert other_origin != ogc_server
    items = f"'{ogc_server}/collections/roads/items?limit=2'"

    async def scenario() -> tuple[object, object]:
        async with open_page(f"{other_origin}/healthz") as page:
            plain = await page.evaluate(f"fetch({items}).then(r => r.json()).then(j => j.features.length)"
                                        ".catch(e => 'blocked: ' + e)")
            preflighted = await page.evaluate(
                f"fetch({items}, {{headers: {{Authorization: 'Bearer not-a-token'}}}})"
                ".then(r => r.json()).then(j => j.code).catch(e => 'blocked: ' + e)")
            return plain, preflighted

    plain, preflighted = asyncio.run(scenario())
    assert plain == 2
    assert preflighted == "Unauthorized"  # the page reads onemap's own answer to an unknown token
