"""The hot path of OGC API - Features: GeoJSON items pages and single items without pygeoapi.

A big screen pans all day with `items?bbox=…&limit=…` and opens features by id. Through
pygeoapi each such request builds an APIRequest, instantiates the provider, parses every
feature PostgreSQL wrote as JSON and serialises it again. For the plain GeoJSON requests
(no `f` or f=json, default CRS and language; only bbox, bbox-crs, limit, offset) the router
answers here instead, with the provider's own query code (layers.ogc_params, layers.ogc_query),
the features' JSON text passed through as PostgreSQL wrote it, and the document pygeoapi
writes: the same links, numberMatched, timeStamp and headers. Anything else (HTML, JSON-LD,
`crs`, filters, sorting, languages, unknown collections or identifiers, bad parameters)
returns None and takes the pygeoapi path, which stays the reference (tests compare both); a
database that is down or a query that times out is a 503 here, as from the provider.
"""

import dataclasses
import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

import psycopg
from fastapi import Request, Response
from psycopg_pool import PoolTimeout
from pygeoapi import l10n
from pygeoapi.api import API, HEADERS

from gis.crs import CRS84_URI, crs_from_uri
from gis.errors import DatabaseUnavailable
from gis.ogc.config import DEFAULT_ITEMS, MAX_ITEMS, Registry
from gis.ogc.params import ItemsParameters, offset_serialised, pygeoapi_serialised
from gis.ogc.service import OgcService
from layers.ogc_context import OgcRequest, pool
from layers.ogc_edit import served_etag, version_etag
from layers.ogc_params import item_query
from layers.ogc_query import FeatureText, LayerSpec, get_feature_text, layer_spec, query_page

log = logging.getLogger("onemap.ogc")
ITEMS_PARAMETERS = frozenset({"f", "bbox", "bbox-crs", "limit", "offset"})
_COUNT = re.compile(r"[1-9][0-9]{0,8}", re.ASCII)
_OFFSET = re.compile(r"0|[1-9][0-9]{0,8}", re.ASCII)
_PLAIN_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}", re.ASCII)
_JSON_ACCEPT = ("", "*/*", "application/json", "application/geo+json")
_OUTPUT = crs_from_uri(CRS84_URI)  # no `crs`: pygeoapi asks the provider for CRS84
_DATABASE_ERRORS = (psycopg.errors.QueryCanceled, psycopg.OperationalError, PoolTimeout)
_SPECS: dict[int, tuple[Registry, dict[str, tuple[LayerSpec, str, bool]]]] = {}


def _unavailable(error: Exception) -> DatabaseUnavailable:
    """What the provider answers for the same failure (503), without SQL text."""
    if isinstance(error, psycopg.errors.QueryCanceled):
        return DatabaseUnavailable("the query took too long: narrow it with bbox, filter or a smaller limit")
    log.warning("OGC fast path: database unavailable: %s", (str(error).splitlines() or [""])[0])
    return DatabaseUnavailable("the database is unavailable or busy; try again shortly")


def _plain_geojson(request: Request, allowed: frozenset[str]) -> bool:
    """A GeoJSON request in the default language with only `allowed` parameters, each once."""
    params = request.query_params
    if "accept-language" in request.headers or any(k not in allowed for k in params):
        return False
    if len(params.multi_items()) != len(params):
        return False
    if "f" in params:
        return params["f"] == "json"
    return request.headers.get("accept", "").strip() in _JSON_ACCEPT


def _layer(registry: Registry, name: str, sees_private: bool) -> tuple[LayerSpec, str] | None:
    """The layer's LayerSpec and title (computed once per registry read), if the caller sees it."""
    cached = _SPECS.get(id(registry))
    if cached is None or cached[0] is not registry:
        specs = {layer.name: (layer_spec(layer, registry.columns.get(layer.name, {})), layer.title,
                              layer.is_private) for layer in registry.layers}
        _SPECS.clear()  # one registry is current; older APIs rebuild on their next request
        _SPECS[id(registry)] = cached = (registry, specs)
    found = cached[1].get(name)
    if found is None or (found[2] and not sees_private):
        return None
    return found[0], found[1]


def _headers(api: API) -> dict[str, str]:
    return as_geojson({**HEADERS, **api.api_headers, "Content-Language": l10n.locale2str(api.locales[0]),
                       "Content-Crs": f"<{CRS84_URI}>"})


def as_geojson(headers: dict[str, str]) -> dict[str, str]:
    """Headers of a features or feature document: GeoJSON's own media type (RFC 7946), which the
    collection's `items` links announce, where pygeoapi writes plain JSON."""
    if headers.get("Content-Type") == "application/json":
        return {**headers, "Content-Type": "application/geo+json"}
    return headers


def with_version_tag(headers: dict[str, str], feature: str) -> dict[str, str]:
    """The headers of a component's GeoJSON (`feature`, as pygeoapi wrote it) with the ETag of its version,
    which a write's If-Match names (layers.ogc_edit); other representations get none."""
    if headers.get("Content-Type") != "application/geo+json":
        return headers
    etag = served_etag(json.loads(feature).get("properties") or {})
    return headers if etag is None else {**headers, "ETag": etag}


def _links_json(links: list[dict[str, str]]) -> str:
    return json.dumps(links, separators=(",", ":"))


async def items(request: Request, api: API, registry: Registry, collection_id: str, sees_private: bool,
                parsed: ItemsParameters, service: OgcService) -> Response | None:
    """An items page, or None when pygeoapi has to answer."""
    if not _plain_geojson(request, ITEMS_PARAMETERS):
        return None
    found = _layer(registry, collection_id, sees_private)
    params = request.query_params
    limit_text, offset_text = params.get("limit"), params.get("offset", "0")
    if found is None or (limit_text is not None and not _COUNT.fullmatch(limit_text)) \
            or not _OFFSET.fullmatch(offset_text):
        return None
    spec, title = found
    limit = min(int(limit_text), MAX_ITEMS) if limit_text is not None else DEFAULT_ITEMS
    offset = int(offset_text)
    try:
        query = item_query(spec, offset=offset, limit=limit, resulttype="results", datetime_=None,
                           properties=(), sortby=(), select_properties=(), skip_geometry=False,
                           crs_transform_spec=None, request=OgcRequest(bbox=parsed.bbox),
                           zone=service.zone)
        query = dataclasses.replace(query, output=_OUTPUT)
        rows, matched = await service.read_in_thread(_page, service.pool_key, spec, query)
    except _DATABASE_ERRORS as error:  # not worth running again through pygeoapi
        raise _unavailable(error) from error
    except Exception:  # pygeoapi's path reports it (with the provider's error mapping)
        log.debug("OGC items fast path declined %s", request.url.path, exc_info=True)
        return None
    uri = f"{api.get_collections_url()}/{collection_id}/items"
    visible = [(k, v) for k, v in params.multi_items() if k not in dict(parsed.hidden)]
    shown = pygeoapi_serialised(visible) + pygeoapi_serialised(parsed.hidden)
    this_page = shown + offset_serialised(visible)
    links = [
        {"type": "application/geo+json", "rel": "self", "title": "This document as GeoJSON",
         "href": f"{uri}?f=json{this_page}"},
        {"rel": "alternate", "type": "application/ld+json", "title": "This document as RDF (JSON-LD)",
         "href": f"{uri}?f=jsonld{this_page}"},
        {"type": "text/html", "rel": "alternate", "title": "This document as HTML",
         "href": f"{uri}?f=html{this_page}"}]
    if offset > 0:
        links.append({"type": "application/geo+json", "rel": "prev", "title": "Items (prev)",
                      "href": f"{uri}?offset={max(0, offset - limit)}{shown}"})
    last_page = matched is not None and matched <= offset + len(rows)
    if not last_page and (matched is None or matched > limit + offset or len(rows) == limit):
        links.append({"type": "application/geo+json", "rel": "next", "title": "Items (next)",
                      "href": f"{uri}?offset={offset + limit}{shown}"})
    links.append({"type": "application/json", "title": title, "rel": "collection",
                  "href": uri.rsplit("/", 1)[0]})
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    counted = "" if matched is None else f'"numberMatched":{matched},'
    body = (f'{{"type":"FeatureCollection","features":[{",".join(rows)}],{counted}'
            f'"numberReturned":{len(rows)},"links":{_links_json(links)},"timeStamp":"{stamp}"}}')
    return Response(body.encode("utf-8"), headers=_headers(api))


def _page(pool_key: str, spec: LayerSpec, query: Any) -> tuple[list[str], int | None]:
    with pool(pool_key).connection() as conn:
        return query_page(conn, spec, query)


async def item(request: Request, api: API, registry: Registry, collection_id: str, feature_id: str,
               sees_private: bool, service: OgcService) -> Response | None:
    """A single feature, or None when pygeoapi has to answer (including every 404)."""
    if not _plain_geojson(request, frozenset({"f"})) or not _PLAIN_ID.fullmatch(feature_id):
        return None
    found = _layer(registry, collection_id, sees_private)
    if found is None:
        return None
    spec, title = found
    key: str | int = feature_id
    if spec.id_type == "integer":
        if not feature_id.isdigit() or len(feature_id) > 18:
            return None
        key = int(feature_id)
    try:
        found_feature = await service.read_in_thread(_feature, service.pool_key, spec, key)
    except _DATABASE_ERRORS as error:
        raise _unavailable(error) from error
    except Exception:
        log.debug("OGC item fast path declined %s", request.url.path, exc_info=True)
        return None
    if found_feature is None:
        return None
    text, valid_from = found_feature
    uri = f"{api.get_collections_url()}/{collection_id}/items/{feature_id}"
    links = [
        {"type": "application/json", "rel": "root", "title": "The landing page of this server as JSON",
         "href": f"{api.base_url}?f=json"},
        {"type": "text/html", "rel": "root", "title": "The landing page of this server as HTML",
         "href": f"{api.base_url}?f=html"},
        {"rel": "self", "type": "application/geo+json", "title": "This document as JSON",
         "href": f"{uri}?f=json"},
        {"rel": "alternate", "type": "application/ld+json", "title": "This document as RDF (JSON-LD)",
         "href": f"{uri}?f=jsonld"},
        {"rel": "alternate", "type": "text/html", "title": "This document as HTML", "href": f"{uri}?f=html"},
        {"rel": "collection", "type": "application/json", "title": title,
         "href": f"{api.get_collections_url()}/{collection_id}"}]
    body = f'{text.rstrip().removesuffix("}")},"links":{_links_json(links)}}}'
    headers = _headers(api)
    if valid_from is not None:  # with_version_tag's ETag, without parsing the feature's text
        headers["ETag"] = version_etag(valid_from)
    return Response(body.encode("utf-8"), headers=headers)


def _feature(pool_key: str, spec: LayerSpec, key: str | int) -> FeatureText | None:
    with pool(pool_key).connection() as conn:
        return get_feature_text(conn, spec, key, _OUTPUT)

