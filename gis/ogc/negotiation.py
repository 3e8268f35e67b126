"""Accept, Accept-Language and `lang` rewritten once, before any route (and pygeoapi) reads them.

pygeoapi 0.21 divides by each q-value (q=0 is a ZeroDivisionError), skips media types it does not
know (GeoJSON's among them, so `application/geo+json, text/html` was answered in HTML), and builds
`Locale('zh', territory='CN')` for any Chinese tag other than zh-CN, which babel does not know (500).
`NormaliseNegotiation` hands every route the client's preferences in a form pygeoapi reads right:
media types by q-value, best first, without the unacceptable ones (RFC 9110 §12.4.2, §12.5.1), and
languages mapped onto the configured ones (zh, zh-TW, zh-Hans → zh-CN).
"""

import re
from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import quote, unquote_plus, unquote_to_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

from gis.ogc.config import LANGUAGES

_GEOJSON, _JSON = "application/geo+json", "application/json"
_LANGUAGE_LIST = re.compile(r"[A-Za-z0-9_*.=;, -]*[A-Za-z][A-Za-z0-9_*.=;, -]*", re.ASCII)
_HEADERS_KEPT = 256  # distinct Accept / Accept-Language texts parsed once (clients send a handful)


def _weighted(header: str) -> list[tuple[str, float]]:
    """The values of a q-weighted header with their q (an invalid q counts as 0), best first."""
    entries = []
    for part in header.split(","):
        value, *params = (piece.strip() for piece in part.split(";"))
        q = 1.0
        for param in params:
            name, _, text = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(text)
                except ValueError:
                    q = 0.0
                q = q if 0.0 <= q <= 1.0 else 0.0
        if value:
            entries.append((value, q))
    return sorted(entries, key=lambda entry: -entry[1])  # stable: equal q keep the client's order


@lru_cache(maxsize=_HEADERS_KEPT)
def accepted_media_types(header: str) -> str:
    """Accept as `type;q=…` entries, best first, without q=0; application/json follows
    application/geo+json where other types do, for pygeoapi (its FORMAT_TYPES name GeoJSON so)."""
    acceptable = [(media.lower(), q) for media, q in _weighted(header) if q > 0]
    entries = []
    for index, (media, q) in enumerate(acceptable):
        entries.append(media if q == 1.0 else f"{media};q={q:g}")
        if media == _GEOJSON and len(acceptable) > 1 and _JSON not in dict(acceptable[:index]):
            entries.append(_JSON if q == 1.0 else f"{_JSON};q={q:g}")
    return ", ".join(entries)


def _configured(tag: str, languages: Sequence[str]) -> str | None:
    """The configured language for a tag: the same tag, else the first of the same primary language."""
    wanted = tag.replace("_", "-").lower()
    exact = [language for language in languages if language.lower() == wanted]
    same = [language for language in languages if language.lower().split("-")[0] == wanted.split("-")[0]]
    return next(iter(exact + same), None)


def accepted_languages(header: str, languages: Sequence[str] = LANGUAGES) -> str:
    """Accept-Language (or `lang`) as configured languages, best first; where none is acceptable, the
    first configured one not refused with q=0 (or the default)."""
    return _accepted_languages(header, tuple(languages))


@lru_cache(maxsize=_HEADERS_KEPT)
def _accepted_languages(header: str, languages: tuple[str, ...]) -> str:
    weighted = _weighted(header)
    refused = {_configured(tag, languages) for tag, q in weighted if q == 0}
    chosen: list[str] = []
    for tag, q in weighted:
        language = _configured(tag, languages)
        if q > 0 and language is not None and language not in chosen:
            chosen.append(language)
    fallback = [language for language in languages if language not in refused] or [languages[0]]
    return ", ".join(chosen or fallback[:1])


def _names_lang(query: bytes) -> bool:
    """Whether a parameter of the query string may be `lang` (written plainly or percent-encoded)."""
    return b"lang=" in (unquote_to_bytes(query) if b"%" in query else query)


def _with_languages(query: bytes) -> bytes:
    """The query string with each `lang` value as accepted_languages writes it (a value that is no list of
    language tags is left to the router's checks)."""
    parts = query.split(b"&")
    for index, part in enumerate(parts):
        name, equals, value = part.partition(b"=")
        text = unquote_plus(value.decode("latin-1"))
        if equals and unquote_plus(name.decode("latin-1")) == "lang" and _LANGUAGE_LIST.fullmatch(text):
            parts[index] = b"lang=" + quote(accepted_languages(text), safe=",").encode()
    return b"&".join(parts)


class NormaliseNegotiation:
    """Rewrites Accept, Accept-Language and `lang` of each HTTP request (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = []
            for name, value in scope["headers"]:
                if name == b"accept":
                    value = accepted_media_types(value.decode("latin-1")).encode("latin-1")
                    if not value:  # nothing acceptable: the header is disregarded (RFC 9110 §12.5.1)
                        continue
                elif name == b"accept-language" and value.strip():
                    value = accepted_languages(value.decode("latin-1")).encode("latin-1")
                headers.append((name, value))
            query = scope.get("query_string", b"")
            scope = {**scope, "headers": headers,
                     "query_string": _with_languages(query) if _names_lang(query) else query}
        await self.app(scope, receive, send)
