"""`onemap serve`: run the ASGI application on uvicorn."""

import typer
import uvicorn

from gis.app import create_app
from gis.cli.context import ready_database_url, settings_of


def serve(
    ctx: typer.Context,
    host: str = typer.Option(None, help="interface to listen on [default: ONEMAP_HOST or 127.0.0.1]"),
    port: int = typer.Option(None, help="port to listen on [default: ONEMAP_PORT or 8000]"),
) -> None:
    """Serve the one map, OGC APIs and tiles (starts the local database when it is the one in use)."""
    settings = settings_of(ctx)
    ready_database_url(settings)
    updates = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = settings.model_copy(update=updates)
    typer.echo(f"onemap serving on http://{settings.host}:{settings.port}")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port,
                log_level=settings.log_level)
