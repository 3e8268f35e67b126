"""The app factory: one ASGI application that mounts every onemap service.

Mount points (each filled by its room):
    /healthz            gis.health
    /                   negotiated: the one-map web page (gis.web) for browsers, else the OGC landing page
    /ogc, /collections, /conformance, /openapi    OGC API - Features (pygeoapi, gis.ogc)
    /tiles              vector tiles (tiles, issue 6)
    /geocode            geocoder (geocoder, issue 8)
    /feeds              authenticated live feeds (layers, issue 7)
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geocoder.jobs import JobStore
from geocoder.routes import router as geocoder_router
from gis import ogc, web
from gis.analysis.api import router as analysis_router
from gis.cases_api import router as cases_router
from gis.database import create_pool, database_url
from gis.errors import OnemapError, mapping_for
from gis.head_requests import AnswerHeadAsGet, allowing_head
from gis.health import router as health_router
from gis.ogc.negotiation import NormaliseNegotiation
from gis.settings import Settings
from layers.feeds_routes import router as feeds_router
from layers.registry import LayerCache
from tiles.routes import router as tiles_router

log = logging.getLogger("onemap")
_HTTP_CODES = {404: "NotFound", 405: "MethodNotAllowed", 401: "Unauthorized", 403: "Forbidden"}
GZIP_MINIMUM_BYTES = 1024  # smaller bodies (most geocoder answers) go out as they are
GZIP_LEVEL = 5  # a middle level: Starlette's default of 9 spends the most CPU per byte saved


def error_response(error: OnemapError) -> JSONResponse:
    """An OGC API exception body (code, description) with the mapped HTTP status, and the headers of its
    kind and of the error itself (a ServiceBusy's Retry-After)."""
    mapping = mapping_for(error)
    headers = dict(mapping.headers) | dict(getattr(error, "headers", ()))
    return JSONResponse({"code": mapping.ogc_code, "description": str(error)},
                        status_code=mapping.status, headers=headers)


class RefuseNulCharacters:
    """Answers 400 to a path or query string carrying a NUL character (%00), before any route reads it:
    PostgreSQL text cannot hold one, so such a value could only fail later, in the database."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and ("\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")):
            refusal = "the path or query contains a NUL character"
            await JSONResponse({"code": "InvalidParameterValue", "description": refusal}, status_code=400)(
                scope, receive, send)
            return
        await self.app(scope, receive, send)


class CommonHeaders:
    """The headers every response carries, whatever route, error or middleware made it.

    `X-Content-Type-Options: nosniff`: a browser takes a body only as the type it is served as, so feature
    text holding markup in a JSON or CSV body is never read as HTML. `Vary: Authorization`, and for a
    request carrying credentials `Cache-Control: private` unless its route chose its caching (a public
    layer's tile is everyone's): what a token sees differs from what the anonymous see (private layers are
    404 or left out, stream URLs, tracks), so a shared cache (an nginx proxy_cache in front of onemap)
    never gives one caller's answer to another.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        credentials = any(name == b"authorization" for name, _ in scope["headers"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                vary = [name.strip() for field in headers.getlist("vary") for name in field.split(",")]
                vary = [name for name in vary if name]
                if not {"authorization", "*"} & {name.lower() for name in vary}:
                    headers["Vary"] = ", ".join([*vary, "Authorization"])
                if credentials and "cache-control" not in headers:
                    headers["Cache-Control"] = "private"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(settings: Settings) -> FastAPI:
    """Build the application for these settings; the database pool opens in the lifespan."""
    url = database_url(settings)
    pool = create_pool(url, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # wait=False: the service starts (and /healthz answers 503) while the database is
        # down; the pool keeps reconnecting in the background and recovers by itself.
        await pool.open(wait=False)
        ogc.start(app, settings)
        try:
            yield
        finally:
            app.state.geocode_jobs.close()
            await ogc.stop(app)
            await pool.close()

    app = FastAPI(title="onemap", version="0.1.0", lifespan=lifespan,
                  description="Spatial data service and one-map tile server of 数字城管")
    app.state.settings = settings
    app.state.pool = pool
    app.state.layers = LayerCache(settings.registry_ttl_s)
    app.state.geocode_jobs = JobStore(max_jobs=settings.geocode_jobs_max,
                                      concurrency=settings.geocode_jobs_concurrency,
                                      ttl_s=settings.geocode_job_ttl_s)
    app.add_middleware(NormaliseNegotiation)  # inside RefuseNulCharacters: a NUL is refused before
    app.add_middleware(RefuseNulCharacters)
    # JSON and GeoJSON pages shrink several times over (tests/gis/test_compression.py); tiles carry
    # their own Content-Encoding and event streams are left alone
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=GZIP_LEVEL)
    app.add_middleware(AnswerHeadAsGet)  # outside GZip: a HEAD's headers are those of the (compressed) GET
    if settings.cors_origin_list:  # web maps of other origins read the features, tiles and geocoder
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origin_list,
                           allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                           allow_headers=["Authorization", "Content-Type", "Content-Crs", "Accept-Language",
                                          "If-None-Match", "If-Match", "Last-Event-ID"],
                           expose_headers=["Content-Crs", "Content-Language", "ETag", "Location"],
                           max_age=3600)
    app.add_middleware(CommonHeaders)  # outermost: every response, a CORS preflight's too; sees GZip's Vary

    @app.exception_handler(OnemapError)
    async def _onemap_error(_: Request, error: OnemapError) -> JSONResponse:
        return error_response(error)

    # Unmatched routes, wrong methods and unparsable path parameters answer with OGC exception
    # bodies too, like every other error of the service.
    @app.exception_handler(HTTPException)
    async def _http_error(_: Request, error: HTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(error.status_code, "InvalidParameterValue" if error.status_code < 500
                               else "ServerError")
        return JSONResponse({"code": code, "description": str(error.detail)}, status_code=error.status_code,
                            headers=allowing_head(error.headers))

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0] if error.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        description = f"{where}: {first.get('msg', 'invalid request')}"
        return JSONResponse({"code": "InvalidParameterValue", "description": description}, status_code=400)

    app.include_router(health_router)
    app.include_router(tiles_router)
    app.include_router(geocoder_router)
    app.include_router(feeds_router)
    app.include_router(cases_router)
    app.include_router(analysis_router)
    ogc.mount(app, settings, pool, url)
    web.mount(app, settings)
    return app


def create_app_from_environment() -> FastAPI:
    """The app of the ONEMAP_* environment (what each worker of `onemap serve --workers N` runs)."""
    return create_app(Settings())
