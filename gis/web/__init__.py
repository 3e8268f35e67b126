"""The one-map web page: MapLibre GL JS (installed from npm) over onemap's own tiles."""

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from gis.errors import ConfigurationError
from gis.settings import Settings

_STATIC = Path(__file__).parent / "static"
_EXTENT_SQL = """
SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
FROM (SELECT ST_Extent(geom) AS e FROM onemap.admin_area WHERE level = 'county') AS s
"""


def page_response(settings: Settings) -> FileResponse:
    """The one-map page; served at `/` by gis.ogc, which negotiates it with the OGC landing page."""
    maplibre = settings.assets_dir / "maplibre-gl" / "dist"
    if not (maplibre / "maplibre-gl.js").is_file():
        raise ConfigurationError(f"MapLibre GL JS is not installed in {maplibre}: run `make setup` (npm ci)")
    return FileResponse(_STATIC / "index.html", headers={"Vary": "Accept, Authorization"})


def mount(app: FastAPI, settings: Settings) -> None:
    """Serve the page's script at `/static` (with pygeoapi's stylesheet and images, which its HTML pages ask
    for under the same path), MapLibre at `/assets/maplibre-gl`, the city extent."""
    maplibre = settings.assets_dir / "maplibre-gl" / "dist"

    @app.get("/map/extent.json", summary="Bounding box (EPSG:4490 lon/lat) of the loaded city")
    async def extent(request: Request) -> JSONResponse:
        async with request.app.state.pool.connection() as conn:
            row = await (await conn.execute(_EXTENT_SQL)).fetchone()
        bbox = list(row) if row and row[0] is not None else None
        return JSONResponse({"bbox": bbox})

    app.mount("/static", StaticFiles(directory=_STATIC, packages=[("pygeoapi", "static")]), name="static")
    app.mount("/assets/maplibre-gl", StaticFiles(directory=maplibre, check_dir=False),
              name="maplibre")
