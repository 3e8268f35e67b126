"""OGC API - Features for every registry layer: pygeoapi mounted in the onemap app.

Part of the composition root (it wires gis, layers and pygeoapi together): `mount` adds the
routes (gis.ogc.routes) and the lazily built pygeoapi APIs (gis.ogc.service); `start` and
`stop`, called by the app's lifespan, register and release the synchronous connection pool
that onemap's pygeoapi provider borrows from (layers.ogc_context, the one seam).
"""

import logging

from fastapi import FastAPI
from psycopg_pool import AsyncConnectionPool
from starlette.concurrency import run_in_threadpool

from gis.ogc.routes import router
from gis.ogc.service import OgcService
from gis.settings import Settings
from layers.ogc_context import pool_key, register_pool, release_pool


def mount(app: FastAPI, settings: Settings, pool: AsyncConnectionPool, url: str) -> None:
    """Add the OGC routes (before the web page: `/` is negotiated here); nothing touches the database."""
    # pygeoapi logs every client error (404, bad parameter) at ERROR with a traceback; onemap
    # answers those itself and logs real failures in gis.ogc.routes.
    logging.getLogger("pygeoapi").setLevel(logging.CRITICAL)
    app.state.ogc = OgcService(pool, pool_key(url), ttl_s=settings.registry_ttl_s,
                               threads=settings.ogc_threads, timezone=settings.timezone)
    app.state.ogc_database_url = url
    app.include_router(router)


def start(app: FastAPI, settings: Settings) -> None:
    """Register the providers' pool. It opens connections only when OGC requests come: an idle
    connection held across a restart of the project-local cluster would keep its port busy."""
    register_pool(app.state.ogc_database_url, min_size=0, max_size=settings.pool_max_size,
                  timeout_s=settings.connect_timeout_s)


async def stop(app: FastAPI) -> None:
    await run_in_threadpool(release_pool, pool_key(app.state.ogc_database_url))
