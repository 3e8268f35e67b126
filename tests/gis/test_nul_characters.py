"""A NUL character (%00) in a path or query is refused with an OGC 400 by every route, before the
database sees it (PostgreSQL text cannot hold one)."""

import pytest

PATHS = [
    "/feeds/cameras/%00", "/feeds/cameras/cam%00x", "/cases/%00", "/geocode/jobs/%00",
    "/geocode/jobs/%00/result", "/feeds/vehicles/%00/track", "/geocode?q=%00",
    "/geocode/reverse?lon=114.05&lat=22.53&crs=%00", "/collections/unit_grid/items/%00",
    "/collections/components/items/%00",
    "/tiles/onemap/14/13370/7124.mvt?layers=%00", "/analysis/hotspots?class=%00",
]


@pytest.mark.parametrize("path", PATHS)
def test_a_nul_character_is_a_400_with_an_ogc_body(ogc_client, path):
    response = ogc_client.get(path, headers={"Accept": "application/json"})
    assert response.status_code == 400, response.text[:300]
    assert response.json()["code"] == "InvalidParameterValue"


def test_an_encoded_percent_sign_before_00_is_no_nul(ogc_client):
    response = ogc_client.get("/geocode", params={"q": "深南大道%00号"})  # sent as %2500: text, no NUL
    assert response.status_code == 200
