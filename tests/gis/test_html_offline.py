"""onemap's HTML pages on an intranet without internet: every page loads its files from onemap, and a stored
value becomes a link or an image only when it is an http(s) or a relative URL."""

import json
import re
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import psycopg
import pygeoapi.util
import pytest
from fastapi.testclient import TestClient

from gis.ogc.config import BASEMAP_URL
from gis.ogc.pages import CDN_ASSETS, LEFT_OUT, page_source, web_url
from tests.browser import chromium_path
from tests.gis.conftest import ogc_app_client

# hosts an <a href> (never a loaded file) may lead to, and why
LINKED_HOSTS = {
    "www.opengis.net": "conformance classes, link relations and CRS are OGC URIs",
    "opendatacommons.org": "the licence of the data (the server metadata)",
    "pygeoapi.io": "the footer's credit to pygeoapi",
}
# <link rel=...> values that make the browser fetch the file
LOADED_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload", "modulepreload", "prefetch",
               "manifest"}
LOADED_ATTRIBUTES = {("script", "src"), ("img", "src"), ("iframe", "src"), ("embed", "src"),
                     ("source", "src"), ("audio", "src"), ("video", "src"), ("track", "src"),
                     ("input", "src"), ("object", "data"), ("video", "poster")}
CONTENT_TYPES = {".css": ("text/css",), ".js": ("text/javascript", "application/javascript"),
                 ".png": ("image/png",), ".ico": ("image/x-icon", "image/vnd.microsoft.icon"),
                 ".gif": ("image/gif",), ".svg": ("image/svg+xml",), ".woff2": ("font/woff2",)}
_CSS_URL = re.compile(r"""url\(\s*(["']?)([^"')]+)\1\s*\)""")
ITEMS_LIMIT = 20


@dataclass
class Refs:
    """What a page loads (scripts, stylesheets, images, icons, CSS url()) and what it links to."""

    loaded: list[tuple[str, str]] = field(default_factory=list)  # (tag.attribute, value)
    linked: list[tuple[str, str]] = field(default_factory=list)


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs = Refs()
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        rels = set(values.get("rel", "").lower().split())
        for name, value in values.items():
            where = f"{tag}.{name}"
            if (tag, name) in LOADED_ATTRIBUTES or (tag == "link" and name == "href" and rels & LOADED_RELS):
                self.refs.loaded.append((where, value))
            elif name in ("href", "src", "action", "formaction"):
                self.refs.linked.append((where, value))
            elif name == "style":
                self.refs.loaded += [(f"{tag}.style", url) for _, url in _CSS_URL.findall(value)]
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.refs.loaded += [("style", url) for _, url in _CSS_URL.findall(data)]

    def handle_comment(self, data: str) -> None:
        if data.startswith("[if"):  # a conditional comment: HTML that old Internet Explorers read
            inner = refs_of(data.partition("]>")[2])
            self.refs.loaded += inner.loaded
            self.refs.linked += inner.linked


def refs_of(html: str) -> Refs:
    parser = _Refs()
    parser.feed(html)
    parser.close()
    return parser.refs


def _as_html(url: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "f"] + [("f", "html")]
    return f"{parts.path or '/'}?{urlencode(query)}"


def _walk(client: TestClient) -> dict[str, str]:
    """Every HTML page onemap serves to the anonymous: the landing page and the pages it links, each
    collection with its items, first item, queryables, schema and tiles, the OpenAPI viewers."""
    host = urlsplit(str(client.base_url)).netloc
    paths = ["/?f=html", "/ogc?f=html", "/openapi?f=html", "/openapi?f=html&ui=redoc", "/tiles?f=html",
             "/tileMatrixSets?f=html"]
    landing = client.get("/?f=html")
    for _, href in refs_of(landing.text).linked:
        url = urlsplit(urljoin(f"{client.base_url}/", href))
        if url.netloc == host and url.scheme in ("http", "https"):
            paths.append(_as_html(url.geturl()))
    for described in client.get("/collections?f=json").json()["collections"]:
        at = f"/collections/{described['id']}"
        paths += [f"{at}?f=html", f"{at}/items?f=html&limit={ITEMS_LIMIT}", f"{at}/queryables?f=html",
                  f"{at}/schema?f=html", f"{at}/tiles?f=html", f"{at}/tiles/WebMercatorQuad?f=html"]
        first = client.get(f"{at}/items?f=json&limit=1").json()["features"]
        paths += [f"{at}/items/{first[0]['id']}?f=html"] if first else []
    pages = {}
    for path in dict.fromkeys(paths):
        response = client.get(path)
        if response.status_code == 200 and response.headers["content-type"].startswith("text/html"):
            pages[path] = response.text
    return pages


@pytest.fixture(scope="module")
def pages(ogc_client) -> dict[str, str]:
    return _walk(ogc_client)


def _elsewhere(client: TestClient, page: str, value: str) -> bool:
    """Whether `value` on `page` is an http(s) URL of another host."""
    url = urlsplit(urljoin(f"{client.base_url}{page}", value.strip()))
    return url.scheme in ("http", "https") and url.netloc != urlsplit(str(client.base_url)).netloc


def test_the_walk_reaches_every_kind_of_page(pages):
    kinds = {"landing": r"^/\?f=html$", "collections": r"^/collections\?f=html$",
             "collection": r"^/collections/[^/]+\?f=html$", "items": r"^/collections/[^/]+/items\?",
             "item": r"^/collections/[^/]+/items/[^/?]+\?", "queryables": r"/queryables\?",
             "schema": r"/schema\?", "conformance": r"^/conformance\?", "swagger": r"^/openapi\?f=html$",
             "redoc": r"^/openapi\?f=html&ui=redoc$"}
    assert [kind for kind, pattern in kinds.items() if not any(re.search(pattern, p) for p in pages)] == []


def test_no_page_loads_a_file_from_another_host(ogc_client, pages):
    elsewhere = [(page, where, value) for page, html in pages.items() for where, value in refs_of(html).loaded
                 if _elsewhere(ogc_client, page, value)]
    assert elsewhere == []


def test_pages_link_other_hosts_only_for_identifiers_and_credits(ogc_client, pages):
    elsewhere = [(page, where, value) for page, html in pages.items() for where, value in refs_of(html).linked
                 if _elsewhere(ogc_client, page, value)
                 and urlsplit(value.strip()).netloc not in LINKED_HOSTS]
    assert elsewhere == []


def _expected_type(path: str) -> tuple[str, ...]:
    suffix = re.search(r"\.[a-z0-9]+$", path)
    return CONTENT_TYPES.get(suffix.group(0) if suffix else "", ("(a known file type)",))


def test_every_file_the_pages_load_answers_with_its_type(ogc_client, pages):
    """Each same-host file a page loads, and each file its stylesheets name in url() (Leaflet's images)."""
    wanted = {urljoin(f"{ogc_client.base_url}{page}", value.strip())
              for page, html in pages.items() for _, value in refs_of(html).loaded
              if not value.startswith("data:")}
    assert {"leaflet", "bootstrap", "swagger-ui-dist", "redoc"} <= {
        url.split("/assets/")[1].split("/")[0] for url in wanted if "/assets/" in url}
    checked, failures = set(), []
    while wanted - checked:
        url = min(wanted - checked)
        checked.add(url)
        response = ogc_client.get(urlsplit(url).path)
        media = response.headers.get("content-type", "").partition(";")[0]
        if response.status_code != 200 or media not in _expected_type(urlsplit(url).path):
            failures.append((url, response.status_code, media))
        elif media == "text/css":
            wanted |= {urljoin(url, ref) for _, ref in _CSS_URL.findall(response.text)
                       if not ref.startswith(("data:", "#"))}
    assert failures == []
    assert any(url.endswith("/assets/leaflet/images/layers.png") for url in checked)


def test_a_known_cdn_url_becomes_onemap_s_own_without_its_integrity():
    source = ('<script src="https://unpkg.com/leaflet@1.3.1/dist/leaflet.js"\n  integrity="sha512-abc="'
              ' crossorigin="anonymous"></script><link crossorigin rel="stylesheet" '
              'href="https://unpkg.com/leaflet@1.3.1/dist/leaflet.css" integrity=\'sha384-x\'>')
    assert page_source(source) == (
        """<script src="{{ config['server']['url'] }}/assets/leaflet/leaflet.js"></script>"""
        """<link rel="stylesheet" href="{{ config['server']['url'] }}/assets/leaflet/leaflet.css">""")


def test_an_unknown_external_url_is_left_for_the_page_walk_to_find():
    source = '<script src="https://cdn.example.org/lib.js" integrity="sha512-abc="></script>'
    assert page_source(source) == source


@pytest.mark.parametrize("url", LEFT_OUT, ids=["html5shiv", "fonts"])
def test_left_out_elements_are_gone(url):
    source = f'<p><link href="{url}" rel="stylesheet"><script src="{url}"> </script></p>'
    assert page_source(source) == "<p></p>"


def test_every_cdn_url_is_one_the_templates_ask_for():
    """The table maps what pygeoapi's templates hold (a pygeoapi upgrade that changes them shows here)."""
    texts = "".join(path.read_text() for path in pygeoapi.util.TEMPLATES.rglob("*.html"))
    assert [url for url in [*CDN_ASSETS, *LEFT_OUT] if url not in texts] == []


HOSTILE = {"note": "javascript:alert(1)//x.png", "照片": " JavaScript:alert(2)//y.jpg",
           "tabbed": "java\tscript:alert(3)//z.gif", "vb": "vbscript:msgbox(5)//v.bmp",
           "data": "data:text/html,<script>alert(4)</script>//w.png"}
WEB = {"web": "https://photos.example.org/a.png", "relative": "photos/b.jpg"}


@pytest.mark.parametrize("value", [*HOSTILE.values(), "\x01javascript:x", "jav\nascript:x"])
def test_web_url_refuses_every_other_scheme(value):
    assert web_url(value) == ""


@pytest.mark.parametrize("value", [*WEB.values(), "HTTP://x.org/a.png", "/a.png", "?f=json", "", "a b:c"])
def test_web_url_keeps_web_and_relative_urls(value):
    assert web_url(value) is value


@pytest.fixture(scope="module")
def item_page(settings, module_db_url) -> Iterator[str]:
    """The HTML page of a component whose note and attributes hold script URLs that look like images (and,
    to show what does become an image, an http(s) and a relative one)."""
    attributes = {key: value for key, value in HOSTILE.items() if key != "note"}
    attributes |= {"web": WEB["web"], "list": [HOSTILE["tabbed"], WEB["relative"]]}
    with psycopg.connect(module_db_url, autocommit=True) as db:
        identifier = db.execute("SELECT id FROM onemap.component WHERE valid_to IS NULL ORDER BY id LIMIT 1"
                                ).fetchone()[0]
        db.execute("UPDATE onemap.component SET note = %s, attributes = %s "
                   "WHERE id = %s AND valid_to IS NULL",
                   (HOSTILE["note"], psycopg.types.json.Jsonb(attributes), identifier))
    with ogc_app_client(settings, module_db_url) as client:
        response = client.get(f"/collections/components/items/{identifier}?f=html")
        assert response.status_code == 200
        yield response.text


def test_a_stored_script_url_is_no_link_and_no_image(item_page):
    refs = refs_of(item_page)
    values = {re.sub(r"[\t\n\r]", "", value).strip() for _, value in refs.loaded + refs.linked}
    assert [value for value in HOSTILE.values() if re.sub(r"[\t\n\r]", "", value).strip() in values] == []
    schemes = {urlsplit(value).scheme for value in values}
    assert schemes <= {"", "http", "https", "mailto"}


def test_a_stored_web_or_relative_image_url_is_still_an_image(item_page):
    images = {value for where, value in refs_of(item_page).loaded if where == "img.src"}
    assert set(WEB.values()) <= images


# The browser: onemap under an intranet name (Swagger UI and others treat localhost apart), other hosts
# unreachable. Requests that may fail, and why the page does without them:
REFUSED_BY_DESIGN = {
    urlsplit(BASEMAP_URL).netloc: "the Leaflet maps' basemap: offline their features draw on a blank ground",
    "cdn.redoc.ly": "the logo of ReDoc's credit line, which ReDoc hides when it does not load",
}
INTRANET_NAME = "onemap.intranet"
MARKERS = "[...document.querySelectorAll('img.leaflet-marker-icon')]"
BROWSER_PAGES = {
    "items": ("/collections/components_gb47678_01037/items?f=html&limit=50",
              f"{MARKERS}.length > 0 && {MARKERS}.every(i => i.complete && i.naturalWidth > 0)"),
    "item": ("/collections/unit_grid/items/{first}?f=html",
             "document.querySelectorAll('path.leaflet-interactive').length > 0"),
    "swagger": ("/openapi?f=html", "document.querySelectorAll('.swagger-ui .opblock').length > 0"),
    "redoc": ("/openapi?f=html&ui=redoc", "document.querySelectorAll('.api-content h2').length > 0"),
}
BOOTSTRAP = "getComputedStyle(document.body).fontFamily.startsWith('system-ui')"


@pytest.mark.slow
@pytest.mark.parametrize(("path", "drawn"), BROWSER_PAGES.values(), ids=BROWSER_PAGES)
def test_pages_render_in_a_browser_with_no_other_host_reachable(ogc_server, path, drawn):
    playwright_api = pytest.importorskip("playwright.sync_api")
    port = urlsplit(ogc_server).port
    own = f"{INTRANET_NAME}:{port}"
    with urllib.request.urlopen(f"{ogc_server}/collections/unit_grid/items?f=json&limit=1") as answer:
        path = path.format(first=json.load(answer)["features"][0]["id"])
    refused: list[str] = []
    errors: list[str] = []

    def only_onemap(route) -> None:
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort("internetdisconnected")

    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(),
                                             args=[f"--host-resolver-rules=MAP {INTRANET_NAME} 127.0.0.1"])
        try:
            tab = browser.new_page(viewport={"width": 1200, "height": 900})
            tab.route("**/*", only_onemap)
            tab.on("pageerror", lambda error: errors.append(str(error)))
            tab.goto(f"http://{own}{path}")
            tab.wait_for_function(drawn, timeout=30_000)
            styled = "openapi" in path or tab.evaluate(BOOTSTRAP)
        finally:
            browser.close()
    unexpected = [url for url in refused if urlsplit(url).netloc not in REFUSED_BY_DESIGN]
    assert (errors, unexpected, styled) == ([], [], True)
