"""`onemap demo`: prepare the database and load the demo city (Shenzhen Futian)."""

import tempfile
import time
from pathlib import Path

import typer

from gis.cli.context import ready_database_url, settings_of
from gis.database import connect
from gis.errors import ImportValidationError
from gis.migrations import migrate


def demo(ctx: typer.Context) -> None:
    """Start the database if local, migrate, and (re)load the demo city; safe to repeat."""
    from gis.demo import cases_history, fleet, futian  # geopandas, pyogrio, the survey import

    settings = settings_of(ctx)
    started = time.perf_counter()
    with connect(ready_database_url(settings), timeout_s=settings.connect_timeout_s) as conn:
        for migration in migrate(conn):
            typer.echo(f"applied migration {migration.version:04d}_{migration.name}")
        typer.echo("generating street and community polygons from the road network …")
        city = futian.build(settings.data_dir)
        counts = futian.load(conn, city)
        typer.echo("dividing the communities into unit grids along the roads …")
        grid = futian.divide_grid(conn, city)
        counts["grid cells"] = grid.inserted + grid.kept
        typer.echo("generating the component census and importing it …")
        conn.autocommit = True
        with tempfile.TemporaryDirectory() as workdir:
            census = futian.load_components(conn, city, Path(workdir))
        if census.status != "committed":
            raise ImportValidationError(
                f"the demo census did not load: {census.rejections[:3]} (batch {census.batch_id})")
        counts["components"] = census.rows_loaded + census.rows_unchanged
        typer.echo("placing demo cameras at junctions and registering the demo fleet …")
        live = fleet.load(conn)
        counts["cameras"], counts["vehicles"] = live.cameras, live.vehicles
        typer.echo("generating twelve months of case history and its hot spots …")
        counts["historical cases"] = cases_history.load(conn)
        cases_history.publish_hotspots(conn)
    summary = ", ".join(f"{n} {what}" for what, n in counts.items())
    typer.echo(f"loaded {city.county_name} ({city.county_code}): {summary} "
               f"in {time.perf_counter() - started:.1f} s")
