"""pygeoapi's HTML pages in onemap: stored hostile text stays text (the files each page loads:
test_html_offline)."""

import json
import re
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient

from gis.auth import create_token
from tests.gis.conftest import ogc_app_client
from tests.gis.ogc_support import COLLECTION, GEOJSON, feature_json, free_spot

LAYER = COLLECTION.split("/")[2]
NAME = "<img src=x onerror=alert(1)>"
NOTE = "</script><script>alert(2)</script>"
ATTRIBUTES = {"颜色": "<svg onload=alert(3)>", "line": "\u2028</SCRIPT>&amp;"}
TITLE = "</script><svg onload=alert(4)>"
RAW = ("</script><script>alert", "<svg", "<img src=x", "</SCRIPT>")
_EMBEDDED = re.compile(r"var geojson_data = (.*);\n")


@pytest.fixture(scope="module")
def client(settings, module_db_url) -> Iterator[TestClient]:
    with ogc_app_client(settings, module_db_url) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def hostile(client, module_db_url) -> dict[str, str]:
    """A component written by an editor with markup in its name, note and attributes, in a layer whose title
    and description are markup; the pages that show them, by kind."""
    with psycopg.connect(module_db_url, autocommit=True) as db:
        token = create_token(db, name="editor-html", role="editor", created_by="tests")
        x, y = free_spot(db)
        db.execute("UPDATE onemap.layer SET title = %s, description = %s WHERE name = %s",
                   (TITLE, TITLE, LAYER))
    body = feature_json((x, y), name=NAME, note=NOTE, attributes=ATTRIBUTES)
    created = client.post(COLLECTION, content=body, headers={**GEOJSON, "Authorization": f"Bearer {token}"})
    assert created.status_code == 201, created.text
    identifier = created.headers["location"].rsplit("/", 1)[-1]
    around = f"{x - 1e-6},{y - 1e-6},{x + 1e-6},{y + 1e-6}"
    return {"id": identifier, "item": f"{COLLECTION}/{identifier}?f=html",
            "items": f"{COLLECTION}?f=html&bbox={around}", "collections": "/collections?f=html",
            "collection": f"/collections/{LAYER}?f=html",
            "queryables": f"/collections/{LAYER}/queryables?f=html"}


# each page, and what of the hostile values it shows (escaped; the list of collections strips tags)
SHOWN = {"item": "alert(2)", "items": "alert(2)", "collections": f"/collections/{LAYER}",
         "collection": "alert(4)", "queryables": "alert(4)"}


@pytest.mark.parametrize(("page", "shown"), SHOWN.items(), ids=SHOWN)
def test_hostile_values_are_shown_as_text(client, hostile, page, shown):
    response = client.get(hostile[page])
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert shown in response.text
    assert [raw for raw in RAW if raw in response.text] == []


@pytest.mark.parametrize("page", ["item", "items"])
def test_the_map_gets_the_feature_as_script_safe_json_of_the_stored_values(client, hostile, page):
    text = _EMBEDDED.search(client.get(hostile[page]).text).group(1)
    assert set(text) & set("<>&\u2028\u2029") == set()
    embedded = json.loads(text)
    feature = embedded if page == "item" else next(f for f in embedded if f["id"] == hostile["id"])
    assert (feature["properties"]["name"], feature["properties"]["note"]) == (NAME, NOTE)
    assert feature["properties"]["attributes"] == ATTRIBUTES


def test_marker_popups_are_labelled_by_id_not_by_a_stored_name(client, hostile):
    """Leaflet writes a popup's text as HTML: pygeoapi's items page labels it with the title field's value."""
    page = client.get(hostile["items"]).text
    assert "bindPopup(html)" in page
    assert "feature['properties']" not in page

