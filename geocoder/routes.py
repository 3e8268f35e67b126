"""HTTP: forward (`/geocode`), reverse (`/geocode/reverse`, `/reverse`), batch (`/geocode/batch`) geocoding.

JSON by default, GeoJSON with `f=geojson`. Large batches run as asynchronous jobs (geocoder.jobs):
POST a CSV/XLSX file with a bearer token → 202 with the job's URL; GET it (same token) for the state,
GET …/result for the CSV. Single addresses and JSON batches need no token.

The single-address routes are the hot path (p99 ≤ 20 ms at 16 concurrent clients, issue 8): they read
their query parameters themselves (documented through `openapi_extra`) instead of FastAPI's
per-request validation, serialise with orjson, and memoise whole response bodies per gazetteer
snapshot (see geocoder.memo), so a repeated address costs a dictionary look-up.
"""

import math
from collections.abc import Callable
from dataclasses import asdict, replace
from email.message import Message
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, ValidationError

from geocoder.batch import HTTP_ADVICE, Advice, geocode_rows, read_table, write_csv
from geocoder.forward import Candidate, GeocodeResult, check_query, geocode
from geocoder.jobs import Job, JobStore
from geocoder.memo import memo
from geocoder.process import JSON_MAX_BYTES, validation_problems
from geocoder.process import router as process_router
from geocoder.reverse import DEFAULT_RADIUS_M, reverse
from geocoder.service import in_batch_thread, snapshot
from gis.auth import optional_principal
from gis.crs import CrsSpec, crs_name, output_crs, parse_crs, xy_from_cgcs2000
from gis.errors import InvalidParameter, NotFound, Unauthorized
from gis.request_body import read_body
from layers.survey_formats import TABLE_SUFFIXES

router = APIRouter(tags=["geocoder"])
router.include_router(process_router)
SYNC_BATCH_MAX = 1000  # addresses per synchronous JSON batch; larger work goes to a job
JOB_MAX_BYTES = 20_000_000  # a CSV or workbook sent to a batch job
_CRS_HELP = "CRS of the coordinates: EPSG:4490 (default), EPSG:4326, gcj02, bd09 or another EPSG code"
_JSON, _GEOJSON = "application/json", "application/geo+json"
MAX_LIMIT = 20


def _dumps(body: Any) -> bytes:
    return orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY)


def _json(body: Any, media_type: str = _JSON, status_code: int = 200, **kwargs: Any) -> Response:
    return Response(_dumps(body), status_code=status_code, media_type=media_type, **kwargs)


def _param(
    name: str, schema: dict[str, Any], description: str = "", required: bool = False
) -> dict[str, Any]:
    """An OpenAPI query parameter (the hot routes parse their parameters themselves)."""
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


_F = _param("f", {"type": "string", "enum": ["json", "geojson"]}, "json (default) or geojson")
_CRS = _param("crs", {"type": "string"}, _CRS_HELP)
_RADIUS = _param(
    "radius",
    {"type": "number", "exclusiveMinimum": 0, "maximum": 5000, "default": DEFAULT_RADIUS_M},
    "search radius (m) of the nearest door plate and road",
)
_REVERSE_PARAMS = {
    "parameters": [
        _param("lon", {"type": "number"}, "x / longitude in `crs`", required=True),
        _param("lat", {"type": "number"}, "y / latitude in `crs`", required=True),
        _CRS,
        _RADIUS,
        _F,
    ]
}


def _candidates_json(candidates: list[Candidate], crs: CrsSpec | None) -> list[dict[str, Any]]:
    out = [dict(vars(c)) for c in candidates]
    if crs is not None and out:
        lon, lat = np.array([c.lon for c in candidates]), np.array([c.lat for c in candidates])
        x, y = xy_from_cgcs2000(lon, lat, crs)
        for body, xi, yi in zip(out, x, y, strict=True):
            body["lon"], body["lat"] = round(float(xi), 7), round(float(yi), 7)
    return out


def _result_json(result: GeocodeResult, crs: CrsSpec | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "query": result.query,
        "normalized": result.normalized,
        "qualifiers": list(result.qualifiers),
        "crs": crs_name(crs),
        "candidates": _candidates_json(result.candidates, crs),
    }
    if result.parsed is not None:
        body["elements"] = result.parsed.elements
    if result.reason:
        body["reason"] = result.reason
    return body


def _geojson(body: dict[str, Any]) -> dict[str, Any]:
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [c["lon"], c["lat"]]},
            "properties": {k: v for k, v in c.items() if k not in ("lon", "lat")},
        }
        for c in body.pop("candidates")
    ]
    return {"type": "FeatureCollection", "features": features, **body}


def _format(f: str | None) -> str:
    if f not in (None, "json", "geojson"):
        raise InvalidParameter(f"f={f!r}: use json or geojson")
    return f or "json"


def _number(params: Any, name: str, default: float | None = None) -> float:
    text = params.get(name)
    if text is None or text == "":
        if default is None:
            raise InvalidParameter(f"{name}: required")
        return default
    try:
        return float(text)
    except ValueError:
        raise InvalidParameter(f"{name}={text!r}: not a number") from None


def _limit(text: str | None) -> int:
    if text is None:
        return 5
    try:
        limit = int(text)
    except ValueError:
        raise InvalidParameter(f"limit={text!r}: not an integer") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidParameter(f"limit={limit}: between 1 and {MAX_LIMIT}")
    return limit


def _cached(gaz: object, key: tuple[Any, ...], answer: Any) -> Response:
    """The memoised (body, media type) of `key`, computing it with `answer()` on a miss."""
    bodies = memo(gaz, "routes.body", size=10_000)
    hit = bodies.get(key)
    if hit is None:
        hit = answer()
        bodies.put(key, hit)
    return Response(hit[0], media_type=hit[1])


@router.get(
    "/geocode",
    summary="Forward geocoding: a Chinese address → ranked candidates",
    openapi_extra={
        "parameters": [
            _param("address", {"type": "string", "maxLength": 200}, "the address (or use q)"),
            _param("q", {"type": "string", "maxLength": 200}, "alias of address"),
            _param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 5}),
            _CRS,
            _F,
        ]
    },
)
async def forward(request: Request) -> Response:
    """Candidates with match level, score, matched elements, point and grid/community/street/county codes."""
    params = request.query_params
    address, q, crs, f = params.get("address"), params.get("q"), params.get("crs"), params.get("f")
    fmt, limit = _format(f), _limit(params.get("limit"))
    text = check_query(address if address is not None else q)
    gaz = await snapshot(request)

    def answer() -> tuple[bytes, str]:
        body = _result_json(geocode(gaz, text, limit=limit), output_crs(crs))
        if fmt == "geojson":
            return _dumps(_geojson(body)), _GEOJSON
        return _dumps(body), _JSON

    return _cached(gaz, ("forward", text, limit, crs, f), answer)


async def _reverse(request: Request) -> Response:
    params = request.query_params
    lon, lat = _number(params, "lon"), _number(params, "lat")
    radius, crs, f = _number(params, "radius", DEFAULT_RADIUS_M), params.get("crs"), params.get("f")
    if not 0 < radius <= 5000:  # (NaN fails this too)
        raise InvalidParameter(f"radius {radius}: between 0 and 5000 metres")
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise InvalidParameter("lon/lat must be finite numbers")
    gaz = await snapshot(request)

    def answer() -> tuple[bytes, str]:
        fmt = _format(f)
        body = asdict(reverse(gaz, lon, lat, crs=parse_crs(crs) if crs else None, radius_m=radius))
        if fmt == "geojson":
            props = {k: v for k, v in body.items() if k not in ("lon", "lat")}
            point = {"type": "Point", "coordinates": [body["lon"], body["lat"]]}  # CGCS2000, as f=json
            feature = {"type": "Feature", "geometry": point}
            return _dumps({**feature, "properties": props}), _GEOJSON
        return _dumps(body), _JSON

    return _cached(gaz, ("reverse", lon, lat, radius, crs, f), answer)


@router.get(
    "/geocode/reverse",
    summary="Reverse geocoding: a point → grid cell, community, street, county, nearest door plate and road",
    openapi_extra=_REVERSE_PARAMS,
)
async def reverse_point(request: Request) -> Response:
    """lon/lat of the answer are CGCS2000 (EPSG:4490) whatever the input CRS."""
    return await _reverse(request)


@router.get("/reverse", summary="Alias of /geocode/reverse", openapi_extra=_REVERSE_PARAMS)
async def reverse_alias(request: Request) -> Response:
    return await _reverse(request)


_TABLE_TYPES = {  # media type of a job's table → the suffix read_table reads it by
    "text/csv": ".csv",
    "text/tab-separated-values": ".tsv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
}
_ACCEPTED = (
    f"send application/json (up to {SYNC_BATCH_MAX} addresses, answered at once) or, to start a job, a table "
    "as text/csv, "
    "text/tab-separated-values, an XLSX, XLS or ODS workbook under its own media type, or "
    'application/octet-stream naming the file in Content-Disposition (attachment; filename="cases.xlsx")'
)


class BatchRequest(BaseModel):
    addresses: list[str] = Field(max_length=SYNC_BATCH_MAX, description="addresses, one result row each")
    crs: str | None = Field(default=None, description=_CRS_HELP)


@router.post(
    "/geocode/batch",
    summary="Batch geocoding: JSON list (synchronous) or CSV/XLSX/XLS file (job)",
    status_code=200,
)
async def batch(request: Request) -> Response:
    """JSON {"addresses": [...]} answers at once; a CSV, TSV, XLSX, XLS or ODS body (Content-Type text/csv,
    text/tab-separated-values, the workbook's type, or application/octet-stream with the file named in
    Content-Disposition; `?column=` naming the address column) starts a job and answers 202 with its URL."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type == "application/json":
        try:
            payload = BatchRequest.model_validate_json(
                await read_body(request, JSON_MAX_BYTES, advice="send a CSV or workbook to start a job"))
        except ValidationError as error:
            problems = validation_problems(error, "", "send a CSV or workbook to start a job")
            raise InvalidParameter(f"batch body: {problems}") from None
        crs, gaz = output_crs(payload.crs), await snapshot(request)
        rows = await in_batch_thread(request, partial(geocode_rows, gaz, payload.addresses, crs=crs))
        return _json({"crs": crs_name(crs), "results": rows})
    return await _start_job(request, content_type)


def _charset(request: Request) -> str | None:
    """The charset a text upload declares (`text/csv; charset=gbk`), else None: detected as imports do."""
    header = Message()
    header["content-type"] = request.headers.get("content-type", "")
    return header.get_content_charset()


async def _owner(request: Request, refusal: str) -> int:
    """The id of the caller's token; 401 with `refusal` for the anonymous."""
    principal = await optional_principal(request)
    if principal is None:
        raise Unauthorized(refusal)
    return principal.token_id


def _table_name(request: Request, content_type: str) -> tuple[str, Advice]:
    """The name read_table decides the upload's format by, and how its messages name the upload: by the
    file name in Content-Disposition when there is one (which also says the format of an octet stream)."""
    header = Message()
    header["content-disposition"] = request.headers.get("content-disposition", "")
    filename = Path(header.get_filename() or "").name or None
    suffix = _TABLE_TYPES.get(content_type)
    if suffix is None and content_type == "application/octet-stream" and filename:
        suffix = next((s for s in TABLE_SUFFIXES if filename.lower().endswith(s)), None)
    if suffix is None:
        named = f" (file {filename!r})" if filename else ""
        raise InvalidParameter(f"Content-Type {content_type or 'none'!r}{named}: {_ACCEPTED}")
    return f"upload{suffix}", replace(HTTP_ADVICE, source=filename or HTTP_ADVICE.source)


async def _start_job(request: Request, content_type: str) -> Response:
    name, advice = _table_name(request, content_type)
    as_json = f"up to {SYNC_BATCH_MAX} addresses as JSON"
    owner = await _owner(request, "a batch geocoding job (a CSV or workbook body) needs a bearer token of "
                         f"any role: send `Authorization: Bearer om_…`, or post {as_json}, which needs none")
    jobs: JobStore = request.app.state.geocode_jobs
    # before the upload is read: a full server refuses it unread
    job = jobs.reserve(owner, instead=f"send {as_json}, which is answered at once")
    try:
        data = await read_body(request, JOB_MAX_BYTES, advice="split the file into several jobs")
        crs = output_crs(request.query_params.get("crs"))
        table = read_table(data, name, column=request.query_params.get("column"), encoding=_charset(request),
                           advice=advice)
        gaz = await snapshot(request)
    except BaseException:
        jobs.discard(job)
        raise

    def work(progress: Callable[[int], None]) -> tuple[bytes, int]:
        results = geocode_rows(gaz, [r[table.address_column] for r in table.rows], crs=crs, on_row=progress)
        return write_csv(table.header, table.rows, results, crs), sum(1 for r in results if r["level"] == "")

    jobs.start(job, len(table.rows), work)
    url = str(request.url_for("batch_job", job_id=job.id))
    return _json(_job_json(job, url), status_code=202, headers={"Location": url})


async def _job(request: Request, job_id: str) -> Job:
    """The caller's job; 404 when it does not exist, has expired or belongs to another token."""
    owner = await _owner(request, "batch geocoding jobs belong to the token that started them: send it")
    jobs: JobStore = request.app.state.geocode_jobs
    job = jobs.get(job_id, owner)
    if job is None:
        raise NotFound(
            f"no geocoding job {job_id!r} of this token: finished jobs are kept "
            f"{jobs.ttl_s:g} seconds, in the memory of the server process "
            "that started them"
        )
    return job


def _job_json(job: Job, url: str) -> dict[str, Any]:
    body: dict[str, Any] = {"id": job.id, "status": job.status, "rows": job.rows, "done": job.done}
    if job.failed_rows is not None:
        body["failed_rows"] = job.failed_rows
    if job.error is not None:
        body["error"] = job.error
    body["links"] = [{"rel": "self", "href": url}]
    if job.status == "successful":
        body["links"].append({"rel": "results", "href": url + "/result", "type": "text/csv"})
    return body


@router.get("/geocode/jobs/{job_id}", name="batch_job", summary="State of a batch geocoding job")
async def batch_job(job_id: str, request: Request) -> Response:
    job = await _job(request, job_id)
    return _json(_job_json(job, str(request.url_for("batch_job", job_id=job_id))))


@router.get("/geocode/jobs/{job_id}/result", summary="The CSV of a finished batch geocoding job")
async def batch_result(job_id: str, request: Request) -> Response:
    job = await _job(request, job_id)
    if job.result is None:
        raise NotFound(f"job {job_id!r} has no result: it is {job.status}")
    return Response(
        job.result,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="geocoded-{job_id}.csv"'},
    )

