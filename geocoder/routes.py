"""HTTP: forward (`/geocode`), reverse (`/geocode/reverse`, `/reverse`), batch (`/geocode/batch`) geocoding.

JSON by default, GeoJSON with `f=geojson`. Large batches run as asynchronous jobs:
POST a CSV/XLSX file → 202 with the job's URL; GET it for the state, GET …/result for the CSV.
"""

import asyncio
import uuid
from dataclasses import asdict
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from geocoder.batch import geocode_rows, read_table, write_csv
from geocoder.forward import Candidate, GeocodeResult, check_query, geocode
from geocoder.process import router as process_router
from geocoder.reverse import DEFAULT_RADIUS_M, reverse
from geocoder.service import from_cgcs2000, output_crs, snapshot
from gis.crs import CrsSpec, parse_crs
from gis.errors import InvalidParameter, NotFound, PayloadTooLarge

router = APIRouter(tags=["geocoder"])
router.include_router(process_router)
SYNC_BATCH_MAX = 1000  # addresses per synchronous JSON batch; larger work goes to a job
JOB_MAX_BYTES = 20_000_000
_CRS_HELP = "CRS of the coordinates: EPSG:4490 (default), EPSG:4326, gcj02, bd09 or another EPSG code"


def _candidates_json(candidates: list[Candidate], crs: CrsSpec | None) -> list[dict[str, Any]]:
    out = [dict(vars(c)) for c in candidates]
    if crs is not None and out:
        lon, lat = np.array([c.lon for c in candidates]), np.array([c.lat for c in candidates])
        x, y = from_cgcs2000(lon, lat, crs)
        for body, xi, yi in zip(out, x, y, strict=True):
            body["lon"], body["lat"] = round(float(xi), 7), round(float(yi), 7)
    return out


def _result_json(result: GeocodeResult, crs: CrsSpec | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "query": result.query,
        "normalized": result.normalized,
        "qualifiers": list(result.qualifiers),
        "crs": str(crs or "EPSG:4490"),
        "candidates": _candidates_json(result.candidates, crs),
    }
    if result.parsed is not None:
        body["elements"] = result.parsed.elements
    if result.reason:
        body["reason"] = result.reason
    return body


def _geojson(body: dict[str, Any]) -> JSONResponse:
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [c["lon"], c["lat"]]},
            "properties": {k: v for k, v in c.items() if k not in ("lon", "lat")},
        }
        for c in body.pop("candidates")
    ]
    return JSONResponse(
        {"type": "FeatureCollection", "features": features, **body}, media_type="application/geo+json"
    )


def _format(f: str | None) -> str:
    if f not in (None, "json", "geojson"):
        raise InvalidParameter(f"f={f!r}: use json or geojson")
    return f or "json"


@router.get("/geocode", summary="Forward geocoding: a Chinese address → ranked candidates")
async def forward(
    request: Request,
    address: Annotated[str | None, Query(description="the address (or use q)")] = None,
    q: Annotated[str | None, Query(description="alias of address")] = None,
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
    crs: Annotated[str | None, Query(description=_CRS_HELP)] = None,
    f: Annotated[str | None, Query(description="json (default) or geojson")] = None,
) -> Response:
    """Candidates with match level, score, matched elements, point and grid/community/street/county codes."""
    fmt, out_crs = _format(f), output_crs(crs)
    text = check_query(address if address is not None else q)
    result = geocode(await snapshot(request), text, limit=limit)
    body = _result_json(result, out_crs)
    return _geojson(body) if fmt == "geojson" else JSONResponse(body)


async def _reverse(
    request: Request, lon: float, lat: float, crs: str | None, radius: float, f: str | None
) -> Response:
    fmt = _format(f)
    place = reverse(await snapshot(request), lon, lat, crs=parse_crs(crs) if crs else None, radius_m=radius)
    body = asdict(place)
    if fmt == "geojson":
        props = {k: v for k, v in body.items() if k not in ("lon", "lat")}
        return JSONResponse(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": props,
            },
            media_type="application/geo+json",
        )
    return JSONResponse(body)


@router.get(
    "/geocode/reverse",
    summary="Reverse geocoding: a point → grid cell, community, street, county, nearest door plate and road",
)
async def reverse_point(
    request: Request,
    lon: float,
    lat: float,
    crs: Annotated[str | None, Query(description=_CRS_HELP)] = None,
    radius: Annotated[float, Query(gt=0, le=5000)] = DEFAULT_RADIUS_M,
    f: str | None = None,
) -> Response:
    """lon/lat of the answer are CGCS2000 (EPSG:4490) whatever the input CRS."""
    return await _reverse(request, lon, lat, crs, radius, f)


@router.get("/reverse", summary="Alias of /geocode/reverse")
async def reverse_alias(
    request: Request,
    lon: float,
    lat: float,
    crs: str | None = None,
    radius: Annotated[float, Query(gt=0, le=5000)] = DEFAULT_RADIUS_M,
    f: str | None = None,
) -> Response:
    return await _reverse(request, lon, lat, crs, radius, f)


class BatchRequest(BaseModel):
    addresses: list[str] = Field(max_length=SYNC_BATCH_MAX, description="addresses, one result row each")
    crs: str | None = Field(default=None, description=_CRS_HELP)


@router.post(
    "/geocode/batch",
    summary="Batch geocoding: JSON list (synchronous) or CSV/XLSX file (job)",
    status_code=200,
)
async def batch(request: Request) -> Response:
    """JSON {"addresses": [...]} answers at once; a CSV or XLSX body (Content-Type text/csv or the XLSX type,
    `?column=` naming the address column) starts a job and answers 202 with its URL."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type == "application/json":
        try:
            payload = BatchRequest.model_validate_json(await request.body())
        except ValueError as error:
            raise InvalidParameter(f"batch body: {str(error).splitlines()[0]}") from None
        crs = output_crs(payload.crs)
        rows = geocode_rows(await snapshot(request), payload.addresses, crs=crs)
        return JSONResponse({"crs": str(crs or "EPSG:4490"), "results": rows})
    return await _start_job(request, content_type)


async def _start_job(request: Request, content_type: str) -> Response:
    name = {
        "text/csv": "upload.csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "upload.xlsx",
    }.get(content_type)
    if name is None:
        raise InvalidParameter(
            f"Content-Type {content_type or 'none'!r}: send application/json, text/csv or an XLSX workbook"
        )
    data = await request.body()
    if len(data) > JOB_MAX_BYTES:
        raise PayloadTooLarge(f"batch file of {len(data)} bytes; at most {JOB_MAX_BYTES}")
    crs = output_crs(request.query_params.get("crs"))
    table = read_table(data, name, column=request.query_params.get("column"))
    gaz = await snapshot(request)
    jobs = _jobs(request)
    job_id = uuid.uuid4().hex
    job: dict[str, Any] = {"id": job_id, "status": "running", "rows": len(table.rows), "done": 0}
    jobs[job_id] = job

    def run() -> None:
        def progress(done: int) -> None:
            job["done"] = done

        results = geocode_rows(gaz, [r[table.address_column] for r in table.rows], crs=crs, on_row=progress)
        job["result"] = write_csv(table.header, table.rows, results)
        job["failed_rows"] = sum(1 for r in results if r["level"] == "")
        job["status"] = "successful"

    job["task"] = asyncio.get_running_loop().run_in_executor(None, run)
    url = str(request.url_for("batch_job", job_id=job_id))
    return JSONResponse(_job_json(job, url), status_code=202, headers={"Location": url})


def _jobs(request: Request) -> dict[str, dict[str, Any]]:
    if getattr(request.app.state, "geocode_jobs", None) is None:
        request.app.state.geocode_jobs = {}
    jobs: dict[str, dict[str, Any]] = request.app.state.geocode_jobs
    return jobs


def _job_json(job: dict[str, Any], url: str) -> dict[str, Any]:
    task = job.get("task")
    if task is not None and task.done() and task.exception() is not None:
        job["status"], job["error"] = "failed", str(task.exception())
    body: dict[str, Any] = {
        k: job[k] for k in ("id", "status", "rows", "done", "failed_rows", "error") if k in job
    }
    body["links"] = [{"rel": "self", "href": url}]
    if job["status"] == "successful":
        body["links"].append({"rel": "results", "href": url + "/result", "type": "text/csv"})
    return body


@router.get("/geocode/jobs/{job_id}", name="batch_job", summary="State of a batch geocoding job")
async def batch_job(job_id: str, request: Request) -> Response:
    job = _jobs(request).get(job_id)
    if job is None:
        raise NotFound(
            f"no geocoding job {job_id!r} (jobs live in the memory of the process that started them)"
        )
    return JSONResponse(_job_json(job, str(request.url_for("batch_job", job_id=job_id))))


@router.get("/geocode/jobs/{job_id}/result", summary="The CSV of a finished batch geocoding job")
async def batch_result(job_id: str, request: Request) -> Response:
    job = _jobs(request).get(job_id)
    if job is None or job["status"] != "successful":
        raise NotFound(f"job {job_id!r} has no result (yet)")
    return Response(
        job["result"],
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="geocoded-{job_id}.csv"'},
    )
