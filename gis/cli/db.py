"""`onemap db up|down|status|url|migrate`: the database onemap uses."""

import typer

from gis.cli.context import ready_database_url, settings_of
from gis.database import connect, database_url, local_cluster, server_address, uses_local_cluster
from gis.errors import ConfigurationError
from gis.migrations import migrate as apply_migrations

app = typer.Typer(help="The project-local PostGIS cluster, or the external one in ONEMAP_DATABASE_URL.",
                  no_args_is_help=True)


def _require_local(ctx: typer.Context, action: str) -> None:
    if not uses_local_cluster(settings_of(ctx)):
        raise ConfigurationError(
            f"ONEMAP_DATABASE_URL is set, so onemap uses that server and will not {action} a "
            "local cluster; unset it to use the project-local one")


@app.command()
def up(ctx: typer.Context) -> None:
    """Create (once) and start the project-local cluster and its database; harmless when running."""
    _require_local(ctx, "start")
    settings = settings_of(ctx)
    url = local_cluster(settings).up()
    typer.echo(f"PostgreSQL is up at {server_address(url)}")


@app.command()
def down(ctx: typer.Context) -> None:
    """Stop the project-local cluster; harmless when it is not running."""
    _require_local(ctx, "stop")
    stopped = local_cluster(settings_of(ctx)).down()
    typer.echo("PostgreSQL stopped" if stopped else "PostgreSQL was not running")


@app.command()
def status(ctx: typer.Context) -> None:
    """Say where the database is and whether it answers; exit 1 when it does not."""
    settings = settings_of(ctx)
    if uses_local_cluster(settings):
        state = local_cluster(settings).status()
        typer.echo(f"cluster: {state.data_dir} ({'initialised' if state.initialised else 'not created'})")
        typer.echo(f"running: {'yes, pid ' + str(state.pid) if state.running else 'no'}")
        typer.echo(f"port: {state.port or '-'}")
        typer.echo(f"log: {state.log_file}")
        if not state.running:
            raise typer.Exit(1)
        url = database_url(settings)
    else:
        url = database_url(settings)
        typer.echo(f"external server: {server_address(url)}")
    with connect(url, timeout_s=settings.connect_timeout_s) as conn:
        row = conn.execute("SELECT postgis_lib_version()").fetchone()
    typer.echo(f"PostGIS: {row[0] if row else '?'}")


@app.command()
def url(ctx: typer.Context) -> None:
    """Print the connection URL (for psql and other tools)."""
    typer.echo(database_url(settings_of(ctx)))


@app.command()
def migrate(ctx: typer.Context) -> None:
    """Apply the pending schema migrations in order; a no-op when all are applied."""
    settings = settings_of(ctx)
    with connect(ready_database_url(settings), timeout_s=settings.connect_timeout_s) as conn:
        applied = apply_migrations(conn)
    if not applied:
        typer.echo("schema is up to date")
    for migration in applied:
        typer.echo(f"applied {migration.version:04d}_{migration.name}")
