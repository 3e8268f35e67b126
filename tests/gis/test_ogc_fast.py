"""The GeoJSON hot path (gis.ogc.fast) answers exactly what pygeoapi's path answers.

An `Accept-Language` header sends a request through pygeoapi (the fast path serves only the
default language), so the same request can be asked of both paths and compared.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from gis.ogc import fast as fast_path
from gis.ogc import routes as ogc_routes
from tests.gis.conftest import ogc_app_client

SLOW = {"Accept-Language": "en-US"}  # the default language, through pygeoapi
BBOX = "114.02,22.52,114.04,22.54"


@pytest.fixture
def answered(monkeypatch) -> list[str]:
    """Records each query the fast path ran (so a test knows it answered, not pygeoapi)."""
    calls: list[str] = []
    for name in ("_page", "_feature"):
        original = getattr(fast_path, name)

        def recording(*args, _original=original, _name=name):
            calls.append(_name)
            return _original(*args)
        monkeypatch.setattr(fast_path, name, recording)
    return calls


def _both(client, path: str) -> tuple[dict, dict, dict, dict]:
    fast = client.get(path)
    slow = client.get(path, headers=SLOW)
    assert fast.status_code == slow.status_code == 200, (fast.text[:300], slow.text[:300])
    assert fast.headers.get("x-powered-by") == slow.headers.get("x-powered-by")
    return fast.json(), slow.json(), dict(fast.headers), dict(slow.headers)


def _same_headers(fast: dict, slow: dict) -> None:
    for name in ("content-type", "content-language", "content-crs", "vary"):
        assert fast.get(name) == slow.get(name), name


@pytest.mark.parametrize("query", [
    f"bbox={BBOX}&limit=20",
    f"bbox={BBOX}&limit=20&offset=40",
    f"limit=7&bbox={BBOX}&f=json",
    "limit=5",
    "",
    f"bbox={BBOX}&limit=10000",
    "bbox=22.52,114.02,22.54,114.04&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4490&limit=3",
    "bbox=114.0,22.0,114.0001,22.0001",
])
@pytest.mark.parametrize("collection", ["components", "roads", "unit_grid", "communities"])
def test_items_pages_match_pygeoapi(ogc_client, answered, collection, query):
    fast, slow, fast_headers, slow_headers = _both(ogc_client, f"/collections/{collection}/items?{query}")
    assert answered == ["_page"]
    fast.pop("timeStamp")
    slow.pop("timeStamp")
    assert fast == slow
    _same_headers(fast_headers, slow_headers)


def test_last_page_and_prev_links_match(ogc_client):
    total = ogc_client.get(f"/collections/roads/items?bbox={BBOX}&limit=1").json()["numberMatched"]
    path = f"/collections/roads/items?bbox={BBOX}&limit=10&offset={max(0, total - 5)}"
    fast, slow, _, _ = _both(ogc_client, path)
    assert [link["rel"] for link in fast["links"]] == [link["rel"] for link in slow["links"]]
    assert "next" not in [link["rel"] for link in fast["links"]]
    assert "prev" in [link["rel"] for link in fast["links"]]
    assert fast["features"] == slow["features"]


def test_single_items_match_pygeoapi(ogc_client, answered, conn):
    component = conn.execute("SELECT id FROM onemap.v_component ORDER BY id LIMIT 1").fetchone()[0]
    cell = conn.execute("SELECT code FROM onemap.v_unit_grid ORDER BY code LIMIT 1").fetchone()[0]
    road = conn.execute("SELECT id FROM onemap.road ORDER BY id LIMIT 1").fetchone()[0]
    for path in (f"/collections/components/items/{component}", f"/collections/unit_grid/items/{cell}",
                 f"/collections/roads/items/{road}", f"/collections/components/items/{component}?f=json"):
        fast, slow, fast_headers, slow_headers = _both(ogc_client, path)
        assert answered.pop() == "_feature" and not answered
        assert fast == slow
        _same_headers(fast_headers, slow_headers)


@pytest.mark.parametrize("path", [
    "/collections/components/items/9999999999999999",
    "/collections/components/items/not-an-id",
    "/collections/roads/items/12abc",
    "/collections/nope/items/1",
    "/collections/nope/items?bbox=" + BBOX,
])
def test_misses_answer_like_pygeoapi(ogc_client, path):
    fast, slow = ogc_client.get(path), ogc_client.get(path, headers=SLOW)
    assert fast.status_code == slow.status_code == 404
    assert fast.json()["code"] == slow.json()["code"]


def test_declined_requests_still_work(ogc_client, answered):
    """HTML, other CRSs and filters are pygeoapi's: the fast path must not answer them."""
    html = ogc_client.get(f"/collections/components/items?bbox={BBOX}&limit=2&f=html")
    assert html.status_code == 200 and "text/html" in html.headers["content-type"]
    mercator = ogc_client.get(f"/collections/components/items?bbox={BBOX}&limit=2"
                              "&crs=http://www.opengis.net/def/crs/EPSG/0/3857").json()
    assert abs(mercator["features"][0]["geometry"]["coordinates"][0]) > 1e6
    assert ogc_client.get("/collections/components/items?limit=0").status_code == 400
    assert ogc_client.get("/collections/components/items?bbox=1,2,3").status_code == 400
    assert ogc_client.get("/collections/components/items?limit=2&sortby=-id").status_code == 200
    assert answered == []


def test_reads_run_on_at_most_the_configured_threads(settings, db_url, monkeypatch) -> None:
    """Eight concurrent single-item requests; ONEMAP_OGC_THREADS=2 lets two reads run at once."""
    running, peak = 0, 0
    lock = threading.Lock()
    original = fast_path._feature

    def slow_feature(*args):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            time.sleep(0.05)
            return original(*args)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(fast_path, "_feature", slow_feature)
    with ogc_app_client(settings, db_url, ogc_threads=2) as client:
        page = client.get("/collections/components/items", params={"limit": 8}).json()
        ids = [feature["id"] for feature in page["features"]]
        with ThreadPoolExecutor(len(ids)) as requests:
            statuses = list(requests.map(
                lambda i: client.get(f"/collections/components/items/{i}").status_code, ids))
    assert statuses == [200] * 8
    assert peak == 2


def test_slow_pygeoapi_requests_do_not_hold_up_the_hot_path(settings, db_url, monkeypatch) -> None:
    """Two pygeoapi requests that take a second each; single items meanwhile answer at once."""
    original = ogc_routes._run

    def slow_run(*args):
        time.sleep(1.0)
        return original(*args)

    monkeypatch.setattr(ogc_routes, "_run", slow_run)
    with ogc_app_client(settings, db_url, ogc_threads=2) as client:
        page = client.get("/collections/components/items", params={"limit": 4}).json()
        ids = [feature["id"] for feature in page["features"]]
        html = "/collections/components/items?f=html&limit=1"
        with ThreadPoolExecutor(6) as requests:
            slow = [requests.submit(client.get, html) for _ in range(2)]
            time.sleep(0.2)
            fast = [requests.submit(client.get, f"/collections/components/items/{i}") for i in ids]
            statuses = [f.result().status_code for f in fast]
            slow_still_running = [not f.done() for f in slow]
            assert [f.result().status_code for f in slow] == [200, 200]
    assert statuses == [200] * 4
    assert slow_still_running == [True, True]  # the items did not wait for them
