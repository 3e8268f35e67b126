"""Router-side checks of OGC requests, and the hand-over of filter and bbox around pygeoapi.

pygeoapi 0.21 parses `filter` as ECQL and refuses filter-lang=cql2-text, and it transforms
`bbox` with a pyproj Transformer it builds anew on every request (about 0.5 s). So the
router parses `filter`, `filter-lang`, `bbox` and `bbox-crs` itself, passes the results to
the provider in the OgcRequest, and shows pygeoapi the request without them. pygeoapi then
builds its self / alternate / next / prev links from what it saw; `restore_links` puts the
hidden parameters back into those links (and the page's offset, which pygeoapi leaves out of its self
link); `restore_item_links` does the same for a single item's parameters.
"""

import dataclasses
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from fastapi import Request
from pygeofilter import ast
from starlette.datastructures import QueryParams

from gis.crs import CGCS2000, CRS84, WGS84, CrsRef, area_of_use, crs_from_uri, transformer
from gis.errors import InvalidParameter
from layers.ogc_cql import JSON_LANGS, TEXT_LANGS, parse_filter

MAX_QUERY_BYTES = 16_384
# pygeoapi would parse `filter` as ECQL, and transforms `bbox` with a new pyproj Transformer
# per request (about 0.5 s): the router parses both itself
HIDDEN = ("filter", "filter-lang", "bbox", "bbox-crs")
_JUNK = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")


def check_query(request: Request) -> None:
    """400 for an oversized query string, or control characters / invalid UTF-8 in any parameter."""
    if len(request.scope.get("query_string", b"")) > MAX_QUERY_BYTES:
        raise InvalidParameter(f"the query string is longer than {MAX_QUERY_BYTES} bytes")
    for key, value in request.query_params.multi_items():
        if _JUNK.search(key) or _JUNK.search(value):
            shown = key if not _JUNK.search(key) else "a parameter name"
            raise InvalidParameter(f"{shown[:40]} contains control characters or invalid UTF-8")


@dataclass(frozen=True)
class ItemsParameters:
    """What the router takes out of an items request, and the query string pygeoapi sees instead."""

    filter: ast.Node | None
    filter_crs: CrsRef
    bbox: tuple[float, float, float, float] | None  # lon/lat (EPSG:4490)
    visible_query: str  # the query string without the hidden parameters
    hidden: tuple[tuple[str, str], ...]  # the parameters taken out, for the links


def _crs_param(params: QueryParams, name: str, supported: Sequence[str]) -> CrsRef:
    if name not in params:
        return CRS84
    if params[name] not in supported:
        raise InvalidParameter(f"{name} {params[name][:80]!r} is not one of {', '.join(supported)}")
    return crs_from_uri(params[name])


def _bbox(text: str, crs: CrsRef) -> tuple[float, float, float, float]:
    """`bbox` in `crs` (its axis order) as a lon/lat box in EPSG:4490; a box that fits only in the other
    axis order is refused with that order named (clients that send lon/lat with bbox-crs EPSG:4490)."""
    try:
        return _box_in(text, crs)
    except InvalidParameter as error:
        if not crs.north_first or not _fits(text, dataclasses.replace(crs, north_first=False)):
            raise
        if crs.epsg in (CGCS2000, WGS84):
            order = ("latitude first (minLat,minLon,maxLat,maxLon); this box fits longitude first, the order "
                     "of CRS84, the default bbox-crs")
        else:
            order = "northing first (minN,minE,maxN,maxE); this box fits easting first"
        raise InvalidParameter(f"{error}: EPSG:{crs.epsg} takes its axes in their order, {order}") from None


def _fits(text: str, crs: CrsRef) -> bool:
    try:
        _box_in(text, crs)
    except InvalidParameter:
        return False
    return True


def _box_in(text: str, crs: CrsRef) -> tuple[float, float, float, float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise InvalidParameter("bbox must be 4 (or 6) comma-separated numbers") from None
    if len(values) not in (4, 6) or not all(map(math.isfinite, values)):
        raise InvalidParameter("bbox must be 4 (or 6) comma-separated finite numbers")
    half = len(values) // 2
    low, high = (values[0], values[1]), (values[half], values[half + 1])
    if crs.north_first:  # EPSG axis order: latitude (northing) first
        low, high = low[::-1], high[::-1]
    if low[0] > high[0] or low[1] > high[1]:
        raise InvalidParameter("bbox corners are reversed (or the box crosses the antimeridian)")
    if crs.epsg in (CGCS2000, WGS84):  # WGS84 and CGCS2000 agree to a few centimetres
        if not (-180 <= low[0] <= 180 and -180 <= high[0] <= 180 and -90 <= low[1] <= high[1] <= 90):
            raise InvalidParameter("bbox is outside -180..180 / -90..90 degrees")
        return low[0], low[1], high[0], high[1]
    x1, y1, x2, y2 = area_of_use(crs.epsg)
    low, high = (max(low[0], x1), max(low[1], y1)), (min(high[0], x2), min(high[1], y2))
    if low[0] > high[0] or low[1] > high[1]:
        raise InvalidParameter(f"bbox lies outside the area of EPSG:{crs.epsg}")
    # four corners (densified), not per feature: with the cached transformer, microseconds
    box = transformer(crs.epsg, CGCS2000).transform_bounds(low[0], low[1], high[0], high[1], densify_pts=21)
    if not all(map(math.isfinite, box)):
        raise InvalidParameter(f"bbox lies outside the area of EPSG:{crs.epsg}")
    return box[0], box[1], box[2], box[3]


def _check_sortby(params: QueryParams) -> None:
    """400 for a `sortby` with an empty entry (``sortby=``, ``name,``), which pygeoapi would index."""
    for value in params.getlist("sortby"):
        if any(not entry.strip() for entry in value.split(",")):
            raise InvalidParameter("sortby has an empty entry: list properties separated by commas, "
                                   "each optionally prefixed by + or -")


def split_items_query(request: Request, supported_crs: Sequence[str]) -> ItemsParameters:
    """Parse filter (CQL2 text or JSON), filter-crs, bbox and bbox-crs (CRSs among `supported_crs`);
    check sortby."""
    params = request.query_params
    _check_sortby(params)
    text, lang = params.get("filter"), params.get("filter-lang")
    if lang is not None and lang not in TEXT_LANGS + JSON_LANGS:
        raise InvalidParameter(f"filter-lang {lang[:40]!r} is not supported: use cql2-text or cql2-json")
    node = parse_filter(text, lang) if text is not None and text.strip() else None
    bbox_crs = _crs_param(params, "bbox-crs", supported_crs)
    if "bbox-crs" in params and "bbox" not in params:
        raise InvalidParameter("bbox-crs is given without bbox")
    bbox = _bbox(params["bbox"], bbox_crs) if "bbox" in params else None
    hidden = tuple((k, v) for k, v in params.multi_items() if k in HIDDEN)
    visible = urlencode([(k, v) for k, v in params.multi_items() if k not in HIDDEN], quote_via=quote)
    return ItemsParameters(node, _crs_param(params, "filter-crs", supported_crs), bbox, visible, hidden)


def pygeoapi_serialised(pairs: Sequence[tuple[str, str]]) -> str:
    """pygeoapi's serialisation of query parameters in its links (itemtypes.get_collection_items)."""
    last = dict(pairs)  # pygeoapi iterates request.params.items(): one value per name, the last
    return "".join(f"&{quote(k, safe='')}={quote(str(v), safe=',')}" for k, v in last.items()
                   if k not in ("f", "offset"))


def offset_serialised(pairs: Sequence[tuple[str, str]]) -> str:
    """The request's `offset` (the last one) for a page's links to itself, which pygeoapi_serialised drops."""
    offset = dict(pairs).get("offset")
    return "" if offset is None else f"&offset={quote(offset, safe=',')}"


def _escaped(text: str, html: bool) -> str:
    return text.replace("&", "&amp;") if html else text


def restore_links(body: str, items_url: str, visible: Sequence[tuple[str, str]],
                  hidden: Sequence[tuple[str, str]], *, html: bool) -> str:
    """Append the hidden parameters to the items links pygeoapi wrote (JSON or HTML body), and the
    page's offset to its self and alternate links (pygeoapi's name the first page).

    Each such link is exactly ``{items_url}?f=<format>{params}`` or
    ``{items_url}?offset=<n>{params}`` followed by the closing quote of the attribute or
    JSON string, so the match is anchored on both ends and cannot hit feature content (a
    quote inside a JSON string or HTML text is escaped).
    """
    offset = offset_serialised(visible)
    if not hidden and not offset:
        return body
    old, extra = pygeoapi_serialised(visible), pygeoapi_serialised(hidden)

    def restored(match: re.Match[str]) -> str:
        this_page = offset if match.group(1).startswith("f=") else ""
        return f"{_escaped(items_url, html)}?{match.group(1)}{_escaped(old + extra + this_page, html)}\""

    pattern = re.compile(re.escape(_escaped(items_url, html)) + r"\?((?:f=[a-z]+)|(?:offset=[0-9]+))"
                         + re.escape(_escaped(old, html)) + '"')
    return pattern.sub(restored, body)


def restore_item_links(body: str, item_url: str, params: Sequence[tuple[str, str]], *, html: bool) -> str:
    """Append the request's parameters (crs, as_of, lang ...) to the self and alternate links pygeoapi wrote
    for a single item (JSON or HTML body) as ``{item_url}?f=<format>``: followed, they name the same
    version in the same CRS."""
    shown = pygeoapi_serialised(params)
    if not shown:
        return body
    pattern = re.compile(re.escape(_escaped(item_url, html)) + r"\?(f=[a-z]+)\"")
    return pattern.sub(lambda m: f"{_escaped(item_url, html)}?{m.group(1)}{_escaped(shown, html)}\"", body)
