"""The `onemap` command line: one Typer app; every OnemapError becomes a message and an exit code.

Each command imports what only it needs (scipy, FastAPI, the CQL parser, the demo city …) when it
runs, so that `onemap --help` and quick commands start fast (tests/gis/test_cli_startup.py)."""

import sys

import typer
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from gis.cli import analysis, cases, db, demo, export, feeds, geocode, grid, imports, serve, tiles, tokens
from gis.errors import ConfigurationError, OnemapError, mapping_for
from gis.settings import Settings

app = typer.Typer(
    name="onemap",
    help="onemap: spatial data service and one-map tile server of 数字城管.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db.app, name="db")
app.add_typer(grid.app, name="grid")
app.add_typer(imports.app, name="import")
geocode.register(app, imports.app)
app.add_typer(export.app, name="export")
app.add_typer(tokens.app, name="token")
app.add_typer(feeds.app, name="feeds")
app.command("serve")(serve.serve)
app.add_typer(tiles.app, name="tiles")
app.command("demo")(demo.demo)
app.add_typer(cases.app, name="cases")
app.command("evaluate")(cases.evaluate)
app.add_typer(analysis.app, name="analysis")


@app.callback()
def _settings(ctx: typer.Context) -> None:
    """Build the settings once; every command reads them from the context."""
    try:
        ctx.obj = Settings()
    except ValidationError as error:
        raise ConfigurationError("; ".join(_setting_problem(problem) for problem in error.errors())) from None


def _setting_problem(problem: ErrorDetails) -> str:
    """One invalid setting, by the environment variable that set it."""
    name = str(problem["loc"][0]) if problem["loc"] else ""
    variable = name if name.startswith("ONEMAP_") else f"ONEMAP_{name.upper()}"
    return f"{variable}: {problem['msg'].removeprefix('Value error, ')}"


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except OnemapError as error:
        typer.secho(f"onemap: error: {error}", fg=typer.colors.RED, err=True)
        sys.exit(mapping_for(error).exit_code)
