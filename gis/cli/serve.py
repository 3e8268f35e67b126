"""`onemap serve`: run the ASGI application on uvicorn.

The application (FastAPI, pygeoapi, the CQL parser …) is imported when the command runs, not when
the `onemap` command line starts: every other command starts about a second sooner."""

import os
import signal
from typing import TYPE_CHECKING

import psycopg
import typer

from gis.cli.context import ready_database_url, settings_of
from gis.cli.feeds import XIAMEN_TRACKS
from gis.errors import InvalidParameter
from gis.settings import Settings

if TYPE_CHECKING:
    from gis.demo.live import LiveDemo


def serve(
    ctx: typer.Context,
    host: str = typer.Option(None, help="interface to listen on [default: ONEMAP_HOST or 127.0.0.1]"),
    port: int = typer.Option(None, help="port to listen on [default: ONEMAP_PORT or 8000]"),
    workers: int = typer.Option(1, min=1, help="worker processes (each with its own pools and caches)"),
    simulate: bool = typer.Option(False, help="also drive the demo fleet and a trickle of demo cases "
                                              "through the APIs (what `make demo` shows)"),
) -> None:
    """Serve the one map, OGC APIs and tiles (starts the local database when it is the one in use)."""
    settings = settings_of(ctx)
    url = ready_database_url(settings)
    updates = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = settings.model_copy(update=updates)
    typer.echo(f"onemap serving on http://{settings.host}:{settings.port}")
    live = _live_demo(settings, url) if simulate else None
    if live is not None:
        # uvicorn re-raises the SIGTERM it handled once it has shut down; turned into SystemExit
        # here, it unwinds through `finally`, so the simulator's token is revoked on `kill` too
        signal.signal(signal.SIGTERM, _exit)
    try:
        _run(settings, url, workers)
    finally:
        if live is not None:
            live.stop()


def _exit(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _live_demo(settings: Settings, url: str) -> "LiveDemo":
    from gis.demo.live import DEMO_FIX_INTERVAL_S, LiveDemo

    try:
        live = LiveDemo(url, f"http://{settings.host}:{settings.port}", interval_s=DEMO_FIX_INTERVAL_S,
                        speeds_from=XIAMEN_TRACKS, connect_timeout_s=settings.connect_timeout_s)
    except (ValueError, psycopg.errors.UndefinedTable) as error:
        raise InvalidParameter(f"cannot simulate: {error}; load the demo first (onemap demo)") from None
    live.start()
    typer.echo(f"simulating the demo fleet (a fix every {DEMO_FIX_INTERVAL_S:g} s per vehicle) "
               "and a trickle of demo cases")
    return live


def _run(settings: Settings, url: str, workers: int) -> None:
    import uvicorn

    from gis.app import create_app

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
