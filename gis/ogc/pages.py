"""pygeoapi's HTML templates as onemap serves them: script-safe JSON, assets from onemap, web-only links.

The templates are read from the pygeoapi package, never copied: `PageSources` rewrites each one as it is
loaded. A command centre's intranet has no internet, so the libraries the templates fetch from CDNs
(CDN_ASSETS) come from onemap's own npm assets (gis.web.NPM_ASSETS) and Swagger UI asks no online
validator; and a URL attribute whose value comes from data passes `web_url`, so a stored `javascript:`
value never becomes a link or an image.
"""

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from functools import lru_cache
from types import CodeType
from typing import Any, ClassVar

import jinja2
import markupsafe
import pygeoapi.util
from jinja2.bccache import Bucket

from gis.web import ASSETS_PATH

# CDN URL in pygeoapi's templates -> (npm package of gis.web.NPM_ASSETS, file in its served directory);
# the versions are those the templates ask for (package.json pins them)
CDN_ASSETS: Mapping[str, tuple[str, str]] = {
    "https://unpkg.com/bootstrap@5.1.3/dist/css/bootstrap.min.css": ("bootstrap", "css/bootstrap.min.css"),
    "https://unpkg.com/leaflet@1.3.1/dist/leaflet.css": ("leaflet", "leaflet.css"),
    "https://unpkg.com/leaflet@1.3.1/dist/leaflet.js": ("leaflet", "leaflet.js"),
    "https://unpkg.com/leaflet.markercluster/dist/MarkerCluster.css":
        ("leaflet.markercluster", "MarkerCluster.css"),
    "https://unpkg.com/leaflet.markercluster/dist/MarkerCluster.Default.css":
        ("leaflet.markercluster", "MarkerCluster.Default.css"),
    "https://unpkg.com/leaflet.markercluster/dist/leaflet.markercluster-src.js":
        ("leaflet.markercluster", "leaflet.markercluster-src.js"),
    "https://unpkg.com/swagger-ui-dist/swagger-ui.css": ("swagger-ui-dist", "swagger-ui.css"),
    "https://unpkg.com/swagger-ui-dist/favicon-32x32.png": ("swagger-ui-dist", "favicon-32x32.png"),
    "https://unpkg.com/swagger-ui-dist/favicon-16x16.png": ("swagger-ui-dist", "favicon-16x16.png"),
    "https://unpkg.com/swagger-ui-dist/swagger-ui-bundle.js": ("swagger-ui-dist", "swagger-ui-bundle.js"),
    "https://unpkg.com/swagger-ui-dist/swagger-ui-standalone-preset.js":
        ("swagger-ui-dist", "swagger-ui-standalone-preset.js"),
    "https://cdn.jsdelivr.net/npm/redoc@next/bundles/redoc.standalone.js": ("redoc", "redoc.standalone.js"),
}
# CDN URLs whose <link>/<script> element is left out of the page, and why no page misses it
LEFT_OUT: Mapping[str, str] = {
    "https://cdnjs.cloudflare.com/ajax/libs/html5shiv/3.7.3/html5shiv.js":
        "a shim for Internet Explorer 8 and older, inside a conditional comment no other browser reads",
    "https://fonts.googleapis.com/css?family=Montserrat:300,400,700|Roboto:300,400,700":
        "ReDoc's web fonts: its stylesheet falls back to the system's sans-serif",
}
# Swagger UI shows a badge from validator.swagger.io, sending it the document's URL, unless told "none"
_SWAGGER_UI_CALL = ("SwaggerUIBundle({", "SwaggerUIBundle({validatorUrl: 'none', ")
_SERVER_URL = "{{ config['server']['url'] }}"
_ELEMENT = re.compile(r"<(?:link|script)\b[^>]*>(?:\s*</script>)?", re.IGNORECASE)
_URL_ATTRIBUTE = re.compile(r"""(\s(?:src|href)\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
# Subresource Integrity names the CDN's bytes and asks for a CORS fetch: neither holds for a local file
_INTEGRITY = re.compile(r"""\s+(?:integrity|crossorigin)(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?""",
                        re.IGNORECASE)
# an href or src whose value starts with an expression: the expression decides the URL's scheme
_DATA_URL = re.compile(r"""(\s(?:src|href)\s*=\s*["']?)\{\{(-?)(.*?)(-?)\}\}""", re.IGNORECASE | re.DOTALL)
_WEB_SCHEMES = frozenset({"http", "https"})
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")
_IGNORED_BY_BROWSERS = re.compile(r"[\t\n\r]")  # the URL standard removes them anywhere in a URL
_C0_OR_SPACE = "".join(map(chr, range(0x21)))  # ... and strips these from both ends


def local_url(url: str) -> str:
    """The template text of the onemap URL that stands for a CDN_ASSETS URL."""
    package, file = CDN_ASSETS[url]
    return f"{_SERVER_URL}{ASSETS_PATH}/{package}/{file}"


def _local_element(element: re.Match[str]) -> str:
    text = element[0]
    found = _URL_ATTRIBUTE.search(text)
    if found is None or found[3] not in CDN_ASSETS.keys() | LEFT_OUT.keys():
        return text
    if found[3] in LEFT_OUT:
        return ""
    before, after = _INTEGRITY.sub("", text[:found.start()]), _INTEGRITY.sub("", text[found.end():])
    return f"{before}{found[1]}{found[2]}{local_url(found[3])}{found[2]}{after}"


@lru_cache(maxsize=128)  # pygeoapi builds an environment, which loads its templates again, per page
def page_source(source: str) -> str:
    """A pygeoapi template's source with its CDN assets local, its data-made URL attributes web-only and
    Swagger UI's validator badge off.

    A URL that is in neither CDN_ASSETS nor LEFT_OUT stays as it is (tests/gis/test_html_offline.py
    finds it on the page that loads it)."""
    source = _DATA_URL.sub(r"\1{{\2 (\3) | web_url \4}}", source).replace(*_SWAGGER_UI_CALL)
    return _ELEMENT.sub(_local_element, source)


def web_url(value: Any) -> Any:
    """`value` if a browser reads it as an http(s) or a relative URL, else '' (no link, no image)."""
    text = value.unescape() if isinstance(value, markupsafe.Markup) else str(value)
    scheme = _SCHEME.match(_IGNORED_BY_BROWSERS.sub("", text).strip(_C0_OR_SPACE))
    return value if scheme is None or scheme[1].lower() in _WEB_SCHEMES else ""


class PageSources(jinja2.BaseLoader):
    """pygeoapi's template loader, each source passed through page_source."""

    def __init__(self, loader: jinja2.BaseLoader) -> None:
        self.loader = loader

    def get_source(self, environment: jinja2.Environment,
                   template: str) -> tuple[str, str | None, Callable[[], bool] | None]:
        source, filename, uptodate = self.loader.get_source(environment, template)
        return page_source(source), filename, uptodate

    def list_templates(self) -> list[str]:
        return self.loader.list_templates()


def script_safe_json(value: Any, pretty: bool = False) -> str:
    """pygeoapi's JSON text of `value` with <, >, & and ' escaped (jinja2's own escaping for JSON in a
    <script>; pygeoapi's text is ASCII, U+2028/U+2029 already escaped): the same JSON value, which no
    `</script>` or `<!--` inside a string can cut out of a <script> element."""
    return str(jinja2.utils.htmlsafe_json_dumps(value, dumps=pygeoapi.util.to_json, pretty=pretty))


class UncachedConfigs(dict[Any, Any]):
    """Stands for pygeoapi's cache of translated configurations (pygeoapi.l10n._cfg_cache), which keeps the
    first configuration an HTML page was rendered with, per locale, for the life of the process. onemap
    renders with several: the public one and the one with private layers, per base URL, anew with each
    registry change; from that cache, a token's page of a private layer failed (500) once an anonymous page
    had been rendered, a layer added later failed until a restart, and an anonymous page could have been
    rendered with the private configuration. Nothing is kept here: ConfigTranslations keeps each
    configuration's own translation."""

    def get(self, key: Any, default: Any = None) -> Any:
        return default

    def __setitem__(self, key: Any, value: Any) -> None:
        pass


class ConfigTranslations:
    """pygeoapi.l10n.translate_struct with a configuration's translation kept per configuration object and
    locale; other structures pass through.

    pygeoapi renders every page with `api.tpl_config`, built once per API (pygeoapi.api.API.__init__) and
    never changed after, and translated it anew for each page (a deep copy: ≈2.7 ms a registry layer).
    An entry holds its configuration, so its id names no other while it is kept (checked all the same)."""

    def __init__(self, translate: Callable[..., Any], size: int) -> None:
        self._translate = translate
        self._size = size  # the newest used are kept
        self._kept: OrderedDict[tuple[int, str], tuple[Any, Any]] = OrderedDict()
        self._lock = threading.Lock()  # pages render in worker threads

    def __call__(self, struct: Any, locale_: Any, is_config: bool = False) -> Any:
        if not (is_config and struct and locale_):
            return self._translate(struct, locale_, is_config)
        key = (id(struct), str(locale_))
        with self._lock:
            hit = self._kept.get(key)
            if hit is not None and hit[0] is struct:
                self._kept.move_to_end(key)
                return hit[1]
        translated = self._translate(struct, locale_, True)
        with self._lock:
            self._kept[key] = (struct, translated)
            self._kept.move_to_end(key)
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
        return translated


class CompiledPages(jinja2.BytecodeCache):
    """The compiled code of each page template, in memory, shared by every PageTemplates: pygeoapi builds an
    environment per page, which compiled each template it loads again (pygeoapi builds them all alike, so
    one's code runs in another). A template's code is used while the checksum of its rewritten source
    (page_source) is the one it was compiled from."""

    def __init__(self) -> None:
        self._code: dict[str, tuple[str, CodeType]] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        kept = self._code.get(bucket.key)
        if kept is not None and kept[0] == bucket.checksum:
            bucket.code = kept[1]

    def dump_bytecode(self, bucket: Bucket) -> None:
        if bucket.code is not None:
            self._code[bucket.key] = (bucket.checksum, bucket.code)


class PageTemplates(jinja2.Environment):
    """pygeoapi's template environment over PageSources and CompiledPages, with web_url and script_safe_json
    as `to_json`.

    The item and items pages write `var geojson_data = {{ data | to_json | safe }}` into a <script>, so a
    stored `</script><script>...` would run for whoever opens them. pygeoapi.util.render_j2_template
    builds this module global for each page (gis.ogc.config installs it) and sets its filters before it
    loads the template.
    """

    compiled: ClassVar[CompiledPages] = CompiledPages()

    def __init__(self, *, loader: jinja2.BaseLoader, extensions: Sequence[str],
                 autoescape: bool | Callable[[str | None], bool]) -> None:
        super().__init__(loader=PageSources(loader), extensions=extensions, autoescape=autoescape,
                         bytecode_cache=self.compiled)
        self.filters["web_url"] = web_url

    def get_template(self, name: str | jinja2.Template, parent: str | None = None,
                     globals: MutableMapping[str, Any] | None = None) -> jinja2.Template:
        self.filters["to_json"] = self.globals["to_json"] = script_safe_json
        return super().get_template(name, parent, globals)
