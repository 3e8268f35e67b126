"""The OGC API - Processes `geocode` process: a pygeoapi processor, and the routes that run it.

The processor is a pygeoapi BaseProcessor, so pygeoapi can also load it from a config entry
(`{"type": "process", "processor": {"name": "geocoder.process.GeocodeProcessor"}}`); the routes
below serve OGC API - Processes Part 1 (description, synchronous execution) for it directly.
"""

import json
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pygeoapi import l10n
from pygeoapi.api import APIRequest
from pygeoapi.process.base import BaseProcessor

from geocoder.batch import geocode_rows
from geocoder.gazetteer import Gazetteer
from geocoder.service import in_batch_thread, snapshot
from gis.crs import crs_name, output_crs
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
            "description": "CRS of the result: EPSG:4490 (default), EPSG:4326, gcj02, bd09 or another EPSG "
            "code; a string, or an OGC qualified value {\"value\": \"gcj02\"}",
            "schema": {"type": "string"},
            "minOccurs": 0,
            "maxOccurs": 1,
        },
    },
    "outputs": {
        "crs": {"title": "crs", "description": "the CRS of lon/lat in the results",
                "schema": {"type": "string"}},
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
        try:
            inputs = ProcessInputs.model_validate(data)
        except ValidationError as error:
            raise InvalidParameter(validation_problems(
                error, "inputs", "use POST /geocode/batch with a file for more addresses")) from None
        crs = output_crs(inputs.crs)
        rows = geocode_rows(self.gazetteer, inputs.addresses, crs=crs)
        return "application/json", {"crs": crs_name(crs), "results": rows}


class ProcessInputs(BaseModel):
    """The inputs of an execute request; each may be given as is or as an OGC qualified value
    ({"value": …}, OGC API - Processes - Part 1, 7.11.2.3)."""

    model_config = ConfigDict(extra="forbid")

    addresses: list[str] = Field(max_length=MAX_ADDRESSES)
    crs: str | None = None

    @field_validator("addresses", "crs", mode="before")
    @classmethod
    def _value(cls, given: Any) -> Any:
        return given["value"] if isinstance(given, dict) and "value" in given else given


def validation_problems(error: ValidationError, where: str, hint: str) -> str:
    """The problems of a JSON body as one message naming each field (below `where`) and list item (items
    count from 0); `hint` says what to do about too many items."""
    parts = []
    for problem in error.errors()[:3]:
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in problem["loc"])
        place = (where + path).lstrip(".") or "the body"
        given, kind, context = problem.get("input"), problem["type"], problem.get("ctx") or {}
        if kind == "json_invalid":
            parts.append(f"not JSON ({problem['msg'].removeprefix('Invalid JSON: ')})")
        elif kind == "missing":
            parts.append(f"{place} is missing")
        elif kind == "extra_forbidden":
            parts.append(f"{place} is no input of the geocode process, whose inputs are addresses and crs")
        elif kind == "too_long":
            parts.append(f"{place} has {len(given)} items, more than the {context.get('max_length')} "
                         f"accepted: {hint}")
        elif kind in ("string_type", "list_type", "model_type", "dict_type"):
            wanted = {"string_type": "a string", "list_type": "a list"}.get(kind, "an object")
            parts.append(f"{place} is {_json_kind(given)}, not {wanted}")
        else:
            parts.append(f"{place}: {problem['msg']}")
    more = error.error_count() - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def _json_kind(value: Any) -> str:
    """What a JSON value is, in words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    return "an object" if isinstance(value, dict) else f"the text {value!r}"


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
    _, output = await in_batch_thread(request, partial(processor.execute, body["inputs"]))
    return JSONResponse(output)
