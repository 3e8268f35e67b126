"""`onemap serve`: run the ASGI application on uvicorn."""

import os

import typer
import uvicorn

from gis.app import create_app
from gis.cli.context import ready_database_url, settings_of


def serve(
    ctx: typer.Context,
    host: str = typer.Option(None, help="interface to listen on [default: ONEMAP_HOST or 127.0.0.1]"),
    port: int = typer.Option(None, help="port to listen on [default: ONEMAP_PORT or 8000]"),
    workers: int = typer.Option(1, min=1, help="worker processes (each with its own pools and caches)"),
) -> None:
    """Serve the one map, OGC APIs and tiles (starts the local database when it is the one in use)."""
    settings = settings_of(ctx)
    url = ready_database_url(settings)
    updates = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = settings.model_copy(update=updates)
    typer.echo(f"onemap serving on http://{settings.host}:{settings.port}")
    if workers == 1:
        uvicorn.run(create_app(settings), host=settings.host, port=settings.port,
                    log_level=settings.log_level)
        return
    # uvicorn starts each worker from an import string; the workers read their settings from
    # the environment, with the database URL resolved here (the local cluster is already up)
    os.environ["ONEMAP_DATABASE_URL"] = url
    # (a generous health-check timeout: a worker importing pygeoapi on a busy machine answers late)
    uvicorn.run("gis.app:create_app_from_environment", factory=True, workers=workers,
                host=settings.host, port=settings.port, log_level=settings.log_level,
                timeout_worker_healthcheck=60)
