"""HTTP API of the hot spot analysis (issue 9), mounted under /analysis.

GET  /analysis/hotspots   Gi* per unit (grid | community | street) as GeoJSON: cases, gi, z, p, bin
POST /analysis/hotspots   the same for the unit grid, stored as the `hotspots` map layer (handle_cases)
GET  /analysis/density    kernel density of the matching cases as a Cloud-Optimized GeoTIFF
"""

from datetime import date
from typing import Annotated, Any

import anyio
import numpy as np
import shapely
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from gis.analysis.aggregate import CaseFilter, counts_query, parse_counts, period, points_query
from gis.analysis.hotspots import COPY_SQL, DELETE_SQL, HotspotOptions, analyse, store_rows, to_geojson
from gis.analysis.kde import kernel_density, silverman_bandwidth, to_cog
from gis.auth import Principal, require
from gis.crs import CGCS2000, gauss_kruger_epsg, transform
from gis.errors import InvalidParameter

router = APIRouter(prefix="/analysis", tags=["analysis"])


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip()) if value else ()


def case_filter(
    date_from: Annotated[
        date | None, Query(alias="from", description="first day (default: 90 days before to)")
    ] = None,
    date_to: Annotated[
        date | None, Query(alias="to", description="last day, inclusive (default: today)")
    ] = None,
    class_codes: Annotated[
        str | None, Query(alias="class", description="class codes or prefixes, comma-separated")
    ] = None,
    kind: Annotated[str | None, Query(description="event | component")] = None,
    source: Annotated[str | None, Query(description="sources, comma-separated")] = None,
    state: Annotated[str | None, Query(description="case states, comma-separated")] = None,
) -> CaseFilter:
    return CaseFilter(*period(date_from, date_to), _split(class_codes), kind, _split(source), _split(state))


Filter = Annotated[CaseFilter, Depends(case_filter)]


def hotspot_options(
    permutations: Annotated[int, Query(ge=0, le=99999)] = 999,
    seed: Annotated[int, Query(ge=0)] = 0,
    fdr: Annotated[bool, Query(description="Benjamini–Hochberg cut-offs for the bins")] = False,
    inference: Annotated[str, Query(pattern="^(permutation|analytic)$")] = "permutation",
    weights: Annotated[str, Query(pattern="^(queen|distance)$")] = "queen",
) -> HotspotOptions:
    return HotspotOptions(permutations, seed, fdr, inference, weights)  # type: ignore[arg-type]


Options = Annotated[HotspotOptions, Depends(hotspot_options)]


async def _hotspots(request: Request, level: str, filters: CaseFilter, options: HotspotOptions) -> Any:
    statement, params = counts_query(level, filters)
    async with request.app.state.pool.connection() as conn:
        rows = await (await conn.execute(statement, params)).fetchall()
    return await anyio.to_thread.run_sync(analyse, parse_counts(level, rows), options)


@router.get("/hotspots", summary="Getis-Ord Gi* hot spots of cases per unit (GeoJSON)")
async def get_hotspots(
    request: Request,
    filters: Filter,
    options: Options,
    level: Annotated[str, Query(pattern="^(grid|community|street)$")] = "grid",
) -> JSONResponse:
    result = await _hotspots(request, level, filters, options)
    return JSONResponse(to_geojson(result, filters), media_type="application/geo+json")


@router.post(
    "/hotspots", summary="Recompute the unit grid hot spots and publish them as the `hotspots` layer"
)
async def refresh_hotspots(
    request: Request,
    filters: Filter,
    options: Options,
    _: Annotated[Principal, Depends(require("handle_cases"))],
) -> JSONResponse:
    result = await _hotspots(request, "grid", filters, options)
    rows = store_rows(result, filters)
    async with request.app.state.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
        await cur.execute(DELETE_SQL)
        async with cur.copy(COPY_SQL) as copy:
            for row in rows:
                await copy.write_row(row)
    bins = np.bincount(result.bins + 3, minlength=7).tolist()
    return JSONResponse(
        {
            "cells": len(rows),
            "bins": dict(zip(range(-3, 4), bins, strict=True)),
            "cases": int(result.units.cases.sum()),
        }
    )


@router.get(
    "/density",
    summary="Kernel density of cases (Cloud-Optimized GeoTIFF, Gauss-Krüger zone)",
    response_class=Response,
    responses={200: {"content": {"image/tiff": {}}}},
)
async def get_density(
    request: Request,
    filters: Filter,
    cell_size: Annotated[float, Query(gt=1, le=1000, description="metres")] = 10.0,
    bandwidth: Annotated[float | None, Query(gt=0, le=20000, description="metres")] = None,
) -> Response:
    statement, params = points_query(filters)
    async with request.app.state.pool.connection() as conn:
        points = await (await conn.execute(statement, params)).fetchall()
        extent = await (
            await conn.execute(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                "(SELECT ST_Extent(geom) AS e FROM onemap.v_unit_grid) AS s"
            )
        ).fetchone()
    if extent is None or extent[0] is None:
        raise InvalidParameter("no unit grid is loaded: the density has no extent")
    body = await anyio.to_thread.run_sync(_density_cog, points, extent, cell_size, bandwidth)
    return Response(
        body, media_type="image/tiff", headers={"Content-Disposition": 'inline; filename="case_density.tif"'}
    )


def _density_cog(
    points: list[tuple[float, float]],
    extent: tuple[float, float, float, float],
    cell_size: float,
    bandwidth: float | None,
) -> bytes:
    zone = gauss_kruger_epsg((extent[0] + extent[2]) / 2)
    box = transform(shapely.box(*extent), CGCS2000, zone)
    lonlat = np.array(points, dtype=np.float64).reshape(-1, 2)
    xy = shapely.get_coordinates(transform(shapely.points(lonlat), CGCS2000, zone)).reshape(-1, 2)
    h = bandwidth or silverman_bandwidth(xy) or 200.0  # metres; 200 m when there is nothing to estimate from
    minx, miny, maxx, maxy = np.array(box.bounds) + np.array([-h, -h, h, h])
    cells = (maxx - minx) * (maxy - miny) / cell_size**2
    if cells > 25e6:
        raise InvalidParameter(
            f"a {cell_size:g} m raster of the city would have {cells:.0f} cells (at most 25 million)"
        )
    bounds = (float(minx), float(miny), float(maxx), float(maxy))
    return to_cog(kernel_density(xy, epsg=zone, cell_size=cell_size, bandwidth=h, bounds=bounds))
