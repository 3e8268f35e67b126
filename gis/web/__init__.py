"""The one-map web page: MapLibre GL JS (installed from npm) over onemap's own tiles; the npm assets of
every HTML page onemap serves, so that none needs the internet."""

from collections.abc import Mapping
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
ASSETS_PATH = "/assets"
# npm package (package.json) -> the directory of it served at ASSETS_PATH/{package}: MapLibre for the
# one-map page, the others for pygeoapi's HTML pages (gis.ogc.pages points their CDN URLs here)
NPM_ASSETS: Mapping[str, str] = {
    "maplibre-gl": "maplibre-gl/dist",
    "bootstrap": "bootstrap/dist",
    "leaflet": "leaflet/dist",
    "leaflet.markercluster": "leaflet.markercluster/dist",
    "swagger-ui-dist": "swagger-ui-dist",
    "redoc": "redoc/bundles",
}


def page_response(settings: Settings) -> FileResponse:
    """The one-map page; served at `/` by gis.ogc, which negotiates it with the OGC landing page."""
    maplibre = settings.assets_dir / NPM_ASSETS["maplibre-gl"]
    if not (maplibre / "maplibre-gl.js").is_file():
        raise ConfigurationError(f"MapLibre GL JS is not installed in {maplibre}: run `make setup` (npm ci)")
    return FileResponse(_STATIC / "index.html", headers={"Vary": "Accept"})  # and Authorization: gis.app


def mount(app: FastAPI, settings: Settings) -> None:
    """Serve the page's script at `/static` (with pygeoapi's stylesheet and images, which its HTML pages ask
    for under the same path), each of NPM_ASSETS at `/assets/{package}`, the city extent."""

    @app.get("/map/extent.json", summary="Bounding box (EPSG:4490 lon/lat) of the loaded city")
    async def extent(request: Request) -> JSONResponse:
        async with request.app.state.pool.connection() as conn:
            row = await (await conn.execute(_EXTENT_SQL)).fetchone()
        bbox = list(row) if row and row[0] is not None else None
        return JSONResponse({"bbox": bbox})

    app.mount("/static", StaticFiles(directory=_STATIC, packages=[("pygeoapi", "static")]), name="static")
    for package, directory in NPM_ASSETS.items():
        app.mount(f"{ASSETS_PATH}/{package}", StaticFiles(directory=settings.assets_dir / directory,
                                                          check_dir=False), name=f"assets-{package}")
