"""The OGC API - Features routes: onemap's router calling pygeoapi's API functions.

Plain GeoJSON items pages and single items are answered by gis.ogc.fast (the hot path);
everything else, and anything the fast path declines, by pygeoapi.

Each handler checks the request, picks the pygeoapi API the caller may see (public, or
with private layers for read_private), and runs the synchronous pygeoapi function in the
thread pool with the request's OgcRequest set for the provider (layers.ogc_context).
`/` is negotiated: a browser (text/html preferred) gets the one-map page, a client asking
for JSON (Accept or ?f=) gets the OGC landing page, which is also at /ogc.
"""

import json
import logging
import threading
from collections.abc import Callable
from typing import Annotated, Any

import pygeoapi.api as core
import pygeoapi.api.itemtypes as itemtypes
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pygeoapi.api import API, APIRequest
from starlette.concurrency import run_in_threadpool

from gis import web
from gis.auth import Principal, optional_principal, require, sees_private
from gis.crs import crs_from_uri
from gis.errors import InvalidParameter
from gis.ogc import fast
from gis.ogc.config import supported_crs
from gis.ogc.params import check_query, restore_item_links, restore_links, split_items_query
from gis.ogc.service import OgcApis, OgcService
from gis.request_body import read_body, with_body
from layers.ogc_context import OgcRequest, serving
from layers.ogc_edit import MAX_BODY_BYTES
from tiles import FUSED, FUSED_TITLE
from tiles import documents as tiles_documents

log = logging.getLogger("onemap.ogc")
router = APIRouter(include_in_schema=False)
Caller = Annotated[Principal | None, Depends(optional_principal)]
Editor = Annotated[Principal, Depends(require("write_components"))]
PygeoapiCall = Callable[..., tuple[dict[str, str], int, Any]]

# Part 3 (filtering) and Part 4 (PATCH) classes onemap implements beyond what pygeoapi declares.
EXTRA_CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
]
# pygeoapi.api.conformance extends its module-level list on every call (it grows without bound);
# onemap adds its classes and restores the list under a lock around each call.
_CONFORMANCE_LOCK = threading.Lock()
_UNSERVED_RELS = ("job-list", "tiling-schemes")
_JSON_TYPES = ("application/json", "application/geo+json", "application/ld+json", "application/schema+json")


def _service(request: Request) -> OgcService:
    service: OgcService = request.app.state.ogc
    return service


def _base_url(request: Request) -> str:
    configured: str | None = request.app.state.settings.public_url
    return (configured or str(request.base_url)).rstrip("/")


async def _api(request: Request, caller: Principal | None) -> tuple[API, list[str]]:
    api, apis, _ = await _apis(request, caller)
    return api, supported_crs(apis.registry)


async def _apis(request: Request, caller: Principal | None) -> tuple[API, OgcApis, bool]:
    """The caller's pygeoapi API, both APIs with their registry, and whether it sees private layers."""
    apis = await _service(request).apis(_base_url(request))
    private = sees_private(caller)
    return apis.for_caller(private), apis, private


def _run(ogc: OgcRequest, call: PygeoapiCall, *args: Any) -> tuple[dict[str, str], int, Any]:
    with serving(ogc):
        return call(*args)


async def _call(request: Request, api: API, call: PygeoapiCall, *args: Any, ogc: OgcRequest | None = None,
                query: str | None = None) -> tuple[dict[str, str], int, Any]:
    """Run one pygeoapi function for this request (with `query` instead of the client's query string)."""
    seen = request if query is None else Request({**request.scope, "query_string": query.encode()},
                                                 request.receive)
    api_request = await APIRequest.from_starlette(seen, api.locales)
    if not api_request.is_valid():
        return api.get_format_exception(api_request)
    try:
        return await run_in_threadpool(_run, ogc or OgcRequest(), call, api, api_request, *args)
    except Exception:
        log.exception("OGC API: %s %s failed", request.method, request.url.path)
        return {"Content-Type": "application/json"}, 500, '{"code": "ServerError", ' \
            '"description": "internal error (logged by the server)"}'


def _response(result: tuple[dict[str, str], int, Any], *, vary: str | None = None) -> Response:
    """The response of a pygeoapi result; `vary`: the request headers it depends on besides Authorization
    (which every answer names: gis.app.CommonHeaders)."""
    headers, status, content = result
    body = content.encode("utf-8") if isinstance(content, str) else (content or b"")
    headers = {**headers, "Vary": vary} if vary else headers
    if status in (204, 304):
        body = b""
        headers.pop("Content-Type", None)
    return Response(body, status_code=status, headers=headers)


def _conformance(api: API, api_request: APIRequest) -> tuple[dict[str, str], int, Any]:
    with _CONFORMANCE_LOCK:
        size = len(core.CONFORMANCE_CLASSES)
        core.CONFORMANCE_CLASSES.extend(EXTRA_CONFORMANCE + tiles_documents.CONFORMANCE)
        try:
            return core.conformance(api, api_request)
        finally:
            del core.CONFORMANCE_CLASSES[size:]


def _landing(api: API, api_request: APIRequest) -> tuple[dict[str, str], int, Any]:
    """pygeoapi's landing page without links to what onemap does not serve (jobs, its own TMS path), with
    links to the one-map vector tiles and onemap's tile matrix sets; its processes link leads to onemap's
    geocode process."""
    headers, status, content = core.landing_page(api, api_request)
    if status == 200 and api_request.format in (None, "json") and isinstance(content, str):
        page = json.loads(content)
        page["links"] = [link for link in page["links"]
                         if not any(link["rel"].endswith(rel) for rel in _UNSERVED_RELS)]
        page["links"] += tiles_documents.discovery_links(api.base_url, FUSED, FUSED_TITLE)
        content = json.dumps(page, ensure_ascii=False)
    return headers, status, content


def _collections(api: API, api_request: APIRequest,
                 collection_id: str | None = None) -> tuple[dict[str, str], int, Any]:
    """pygeoapi's collection documents, whose GeoJSON `items` link is the bare items URL: GDAL's OAPIF
    driver appends /{featureId} to its href (pygeoapi's `items?f=json` became `items?f=json/{id}`, a 400).
    The link's type names the format, and /items answers GeoJSON to a client asking for it or for any."""
    headers, status, content = core.describe_collections(api, api_request, collection_id)
    if status != 200 or api_request.format not in (None, "json") or not isinstance(content, str):
        return headers, status, content
    document = json.loads(content)
    for described in document.get("collections", [document]):
        for link in described.get("links", []):
            if link.get("rel") == "items" and link.get("type") == "application/geo+json":
                link["href"] = link["href"].partition("?")[0]
    return headers, status, json.dumps(document, ensure_ascii=False)


# OGC API - Features Part 5: the geometry format of a layer that holds one kind of geometry
_GEOMETRY_FORMATS = {"point": "geometry-point-or-multipoint",
                     "line": "geometry-linestring-or-multilinestring",
                     "polygon": "geometry-polygon-or-multipolygon"}


def _with_geometry_format(call: PygeoapiCall) -> PygeoapiCall:
    """A schema or queryables function of pygeoapi whose JSON names the layer's kind of geometry where it
    has one (pygeoapi writes geometry-any for every layer): QGIS takes a layer's geometry type from it."""
    def described(api: API, api_request: APIRequest, collection_id: str) -> tuple[dict[str, str], int, Any]:
        headers, status, content = call(api, api_request, collection_id)
        if status != 200 or api_request.format not in (None, "json") or not isinstance(content, str):
            return headers, status, content
        layer = api.config["resources"][collection_id]["providers"][0]["options"]["layer"]
        found = _GEOMETRY_FORMATS.get(layer.get("geometry_type", "mixed"))
        document = json.loads(content)
        geometry = document.get("properties", {}).get("geometry")
        if found is None or not isinstance(geometry, dict):
            return headers, status, content
        geometry["format"] = found
        return headers, status, json.dumps(document, ensure_ascii=False)

    return described


def _wants_ogc(request: Request) -> bool:
    """At `/`: the OGC landing page unless the client prefers HTML (a browser) and gave no ?f=. Accept
    comes best first, equal q in the client's order (gis.ogc.negotiation)."""
    if "f" in request.query_params:
        return True
    for part in request.headers.get("accept", "").split(","):
        media = part.partition(";")[0].strip()
        if media in ("text/html", "application/xhtml+xml"):
            return False
        if media in _JSON_TYPES:
            return True
    return True


@router.get("/")
async def root(request: Request, caller: Caller) -> Response:
    if not _wants_ogc(request):
        return web.page_response(request.app.state.settings)
    return await ogc_landing(request, caller)


@router.get("/ogc")
async def ogc_landing(request: Request, caller: Caller) -> Response:
    check_query(request)
    api, _ = await _api(request, caller)
    return _response(await _call(request, api, _landing), vary="Accept")


@router.get("/conformance")
async def conformance(request: Request, caller: Caller) -> Response:
    check_query(request)
    api, _ = await _api(request, caller)
    return _response(await _call(request, api, _conformance))


@router.get("/openapi")
async def openapi(request: Request, caller: Caller) -> Response:
    check_query(request)
    api, _ = await _api(request, caller)
    return _response(await _call(request, api, core.openapi_))


@router.get("/collections")
async def collections(request: Request, caller: Caller) -> Response:
    check_query(request)
    api, _ = await _api(request, caller)
    return _response(await _call(request, api, _collections))


@router.get("/collections/{collection_id}")
async def collection(collection_id: str, request: Request, caller: Caller) -> Response:
    check_query(request)
    api, _ = await _api(request, caller)
    return _response(await _call(request, api, _collections, collection_id))


@router.get("/collections/{collection_id}/queryables")
async def queryables(collection_id: str, request: Request, caller: Caller) -> Response:
    check_query(request)
    api, _ = await _api(request, caller)
    return _response(await _call(request, api, _with_geometry_format(itemtypes.get_collection_queryables),
                                 collection_id))


@router.get("/collections/{collection_id}/schema")
async def schema(collection_id: str, request: Request, caller: Caller) -> Response:
    check_query(request)
    api, _ = await _api(request, caller)
    return _response(await _call(request, api, _with_geometry_format(core.get_collection_schema),
                                 collection_id))


@router.get("/collections/{collection_id}/items")
async def items(collection_id: str, request: Request, caller: Caller) -> Response:
    check_query(request)
    api, apis, sees_private = await _apis(request, caller)
    parsed = split_items_query(request, supported_crs(apis.registry))
    answered = await fast.items(request, api, apis.registry, collection_id, sees_private, parsed,
                                _service(request))
    if answered is not None:
        return answered
    ogc = OgcRequest(filter=parsed.filter, filter_crs=parsed.filter_crs, bbox=parsed.bbox)
    headers, status, content = await _call(request, api, itemtypes.get_collection_items, collection_id,
                                           ogc=ogc, query=parsed.visible_query)
    if status == 200 and isinstance(content, str):
        html = "html" in headers.get("Content-Type", "")
        if ogc.outcome.get("last_page") and not html and '"rel":"next"' in content:
            content = _without_next(content)
        items_url = f"{api.get_collections_url()}/{collection_id}/items"
        visible = [(k, v) for k, v in request.query_params.multi_items() if k not in dict(parsed.hidden)]
        content = restore_links(content, items_url, visible, parsed.hidden, html=html)
        headers = fast.as_geojson(headers)
    return _response((headers, status, content))


def _without_next(content: str) -> str:
    """Drop pygeoapi's `next` link from the last page (it adds one to every full page)."""
    page = json.loads(content)
    page["links"] = [link for link in page.get("links", []) if link.get("rel") != "next"]
    return json.dumps(page, separators=(",", ":"))


@router.get("/collections/{collection_id}/items/{feature_id}")
async def item(collection_id: str, feature_id: str, request: Request, caller: Caller) -> Response:
    check_query(request)
    api, apis, sees_private = await _apis(request, caller)
    answered = await fast.item(request, api, apis.registry, collection_id, feature_id, sees_private,
                               _service(request))
    if answered is not None:
        return answered
    # pygeoapi ignores a single item's other parameters: the provider checks them (as_of, unknown ones)
    ogc = OgcRequest(params=tuple(request.query_params.multi_items()))
    headers, status, content = await _call(request, api, itemtypes.get_collection_item, collection_id,
                                           feature_id, ogc=ogc)
    if status == 200 and isinstance(content, str):
        item_url = f"{api.get_collections_url()}/{collection_id}/items/{feature_id}"
        content = restore_item_links(content, item_url, request.query_params.multi_items(),
                                     html="html" in headers.get("Content-Type", ""))
    if status == 200:
        headers = fast.as_geojson(headers)
        if _editable(api, collection_id) and isinstance(content, str):
            headers = fast.with_version_tag(headers, content)
    return _response((headers, status, content))


def _content_crs(request: Request, crs_list: list[str]) -> Any:
    """The CRS of a written feature: the Content-Crs header (Part 2), CRS84 by default."""
    header = request.headers.get("content-crs", "").strip().strip("<>")
    if not header:
        return crs_from_uri(crs_list[0])
    if header not in crs_list:
        raise InvalidParameter(f"Content-Crs {header[:80]!r} is not one of {', '.join(crs_list)}")
    return crs_from_uri(header)


# What a read-only collection's items and item accept (HEAD: gis.head_requests).
_READ_ONLY_ALLOW = "GET, HEAD, OPTIONS"


def _editable(api: API, collection_id: str) -> bool | None:
    """Whether the collection takes writes (a component collection); None for one the caller cannot see."""
    resource = api.config["resources"].get(collection_id)
    return None if resource is None else bool(resource["providers"][0].get("editable", False))


def _refuse_read_only(api: API, collection_id: str) -> None:
    """405 with Allow (RFC 9110 §15.5.6) for a write to a collection the caller sees that takes none.

    Runs after the Editor dependency: a missing or weak token stays 401/403 on every collection, and an
    unknown (or unseen private) collection is left to pygeoapi's 404.
    """
    if _editable(api, collection_id) is False:
        raise HTTPException(405, f"collection {collection_id} is read-only: only the component collections "
                                 "(components and components_<scheme>_<class>) accept POST, PUT, PATCH "
                                 "and DELETE", headers={"Allow": _READ_ONLY_ALLOW})


async def _write(request: Request, editor: Principal, action: str, collection_id: str,
                 feature_id: str | None = None) -> Response:
    check_query(request)
    api, crs_list = await _api(request, editor)
    _refuse_read_only(api, collection_id)
    ogc = OgcRequest(actor=editor.name, content_crs=_content_crs(request, crs_list), method=request.method,
                     if_match=request.headers.get("if-match"))
    body = await read_body(request, MAX_BODY_BYTES,
                           advice="send the feature with a simpler geometry or fewer attributes")
    args = (action, collection_id) if feature_id is None else (action, collection_id, feature_id)
    headers, status, content = await _call(with_body(request, body), api, itemtypes.manage_collection_item,
                                           *args, ogc=ogc)
    if status < 300:
        _service(request).invalidate()  # extents, data versions and new class layers
    if action == "delete" and status == 200:
        status = 204  # OGC API - Features Part 4: a successful DELETE has no content
    return _response((headers, status, content))


@router.post("/collections/{collection_id}/items")
async def create_item(collection_id: str, request: Request, editor: Editor) -> Response:
    return await _write(request, editor, "create", collection_id)


@router.put("/collections/{collection_id}/items/{feature_id}")
async def replace_item(collection_id: str, feature_id: str, request: Request, editor: Editor) -> Response:
    return await _write(request, editor, "update", collection_id, feature_id)


@router.patch("/collections/{collection_id}/items/{feature_id}")
async def update_item(collection_id: str, feature_id: str, request: Request, editor: Editor) -> Response:
    return await _write(request, editor, "update", collection_id, feature_id)


@router.delete("/collections/{collection_id}/items/{feature_id}")
async def delete_item(collection_id: str, feature_id: str, request: Request, editor: Editor) -> Response:
    return await _write(request, editor, "delete", collection_id, feature_id)


@router.options("/collections/{collection_id}/items")
async def items_options(collection_id: str, request: Request, caller: Caller) -> Response:
    api, _ = await _api(request, caller)
    return _response(await _call(request, api, itemtypes.manage_collection_item, "options", collection_id))


@router.options("/collections/{collection_id}/items/{feature_id}")
async def item_options(collection_id: str, feature_id: str, request: Request, caller: Caller) -> Response:
    api, _ = await _api(request, caller)
    headers, status, content = await _call(request, api, itemtypes.manage_collection_item, "options",
                                           collection_id, feature_id)
    if "PUT" in headers.get("Allow", ""):
        headers["Allow"] += ", PATCH"
    return _response((headers, status, content))
