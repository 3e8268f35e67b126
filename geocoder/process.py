"""The OGC API - Processes `geocode` process: a pygeoapi processor, and the routes that run it.

The processor is a pygeoapi BaseProcessor, so pygeoapi can also load it from a config entry
(`{"type": "process", "processor": {"name": "geocoder.process.GeocodeProcessor"}}`); the routes
below serve OGC API - Processes Part 1 (description, synchronous execution) for it directly.
"""

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pygeoapi import l10n
from pygeoapi.api import APIRequest
from pygeoapi.process.base import BaseProcessor

from geocoder.batch import geocode_rows
from geocoder.gazetteer import Gazetteer
from geocoder.service import output_crs, snapshot
from gis.errors import InvalidParameter, NotFound
from gis.ogc.config import LANGUAGES
from gis.request_body import read_body

MAX_ADDRESSES = 10_000
JSON_MAX_BYTES = 4_000_000  # a JSON request body (here, and the synchronous batch of geocoder.routes)
PROCESS_METADATA: dict[str, Any] = {
    "version": "1.0.0",
    "id": "geocode",
    "title": {"en": "Geocode addresses", "zh": "地址匹配"},
    "description": {
        "en": "Chinese addresses → point, match level, unit grid, community, street and county codes "
        "(GB/T 30428.3)",
        "zh": "地址 → 坐标、匹配级别、单元网格与社区、街道、区县代码",
    },
    "jobControlOptions": ["sync-execute"],
    "keywords": ["geocoding", "地理编码", "GB/T 30428.3"],
    "links": [],
    "inputs": {
        "addresses": {
            "title": "addresses",
            "description": "the addresses, one result each",
            "schema": {"type": "array", "items": {"type": "string"}, "maxItems": MAX_ADDRESSES},
            "minOccurs": 1,
            "maxOccurs": 1,
        },
        "crs": {
            "title": "crs",
            "description": "CRS of the result: EPSG:4490 (default), EPSG:4326, gcj02",
            "schema": {"type": "string"},
            "minOccurs": 0,
            "maxOccurs": 1,
        },
    },
    "outputs": {
        "results": {
            "title": "results",
            "description": "one row per address",
            "schema": {"type": "object", "contentMediaType": "application/json"},
        }
    },
    "example": {"inputs": {"addresses": ["深南大道6008号", "侨香路与农林路交叉口"]}},
}


class GeocodeProcessor(BaseProcessor):
    """pygeoapi processor over a gazetteer snapshot (set by the caller before execute)."""

    def __init__(self, processor_def: dict[str, Any], gazetteer: Gazetteer | None = None) -> None:
        super().__init__(processor_def, PROCESS_METADATA)
        self.gazetteer = gazetteer

    def execute(self, data: dict[str, Any], outputs: Any = None) -> tuple[str, dict[str, Any]]:
        if self.gazetteer is None:
            raise InvalidParameter("the geocode process has no gazetteer")
        addresses = data.get("addresses")
        if not isinstance(addresses, list) or not all(isinstance(a, str) for a in addresses):
            raise InvalidParameter("inputs.addresses: a list of strings")
        if len(addresses) > MAX_ADDRESSES:
            raise InvalidParameter(
                f"inputs.addresses: at most {MAX_ADDRESSES} (use POST /geocode/batch with a file)"
            )
        crs = output_crs(data.get("crs") if isinstance(data.get("crs"), str) else None)
        return "application/json", {"results": geocode_rows(self.gazetteer, addresses, crs=crs)}


router = APIRouter(tags=["geocoder"])
LOCALES = [l10n.str2locale(language) for language in LANGUAGES]


async def _description(request: Request) -> tuple[dict[str, Any], dict[str, str]]:
    """The process description in the request's language (`lang=` or Accept-Language, as the OGC
    routes take it): titles and descriptions are strings there, not {"en": …, "zh": …} objects."""
    locale = (await APIRequest.from_starlette(request, LOCALES)).locale
    url = str(request.url_for("geocode_process"))
    description = {
        **l10n.translate_struct(PROCESS_METADATA, locale),
        "links": [
            {"rel": "self", "href": url, "type": "application/json"},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/execute", "href": url + "/execution"},
        ],
    }
    return description, {"Content-Language": l10n.locale2str(locale)}


@router.get("/processes", summary="OGC API - Processes: the processes onemap offers")
async def processes(request: Request) -> JSONResponse:
    description, headers = await _description(request)
    summary = {k: v for k, v in description.items() if k not in ("inputs", "outputs", "example")}
    body = {"processes": [summary], "links": [{"rel": "self", "href": str(request.url)}]}
    return JSONResponse(body, headers=headers)


@router.get("/processes/geocode", name="geocode_process", summary="OGC API - Processes: the geocode process")
async def describe(request: Request) -> JSONResponse:
    description, headers = await _description(request)
    return JSONResponse(description, headers=headers)


@router.post("/processes/{process_id}/execution", summary="OGC API - Processes: execute (synchronously)")
async def execute(process_id: str, request: Request) -> JSONResponse:
    if process_id != "geocode":
        raise NotFound(f"no process {process_id!r}")
    data = await read_body(request, JSON_MAX_BYTES, advice="send at most 10,000 short addresses")
    try:
        body = json.loads(data)
    except ValueError:
        raise InvalidParameter("execute body: not JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), dict):
        raise InvalidParameter('execute body: {"inputs": {"addresses": [...]}}')
    processor = GeocodeProcessor({"name": "geocode"}, await snapshot(request))
    _, output = processor.execute(body["inputs"])
    return JSONResponse(output)
