"""`onemap export components`: hand inventories back to contractors."""

from datetime import datetime
from pathlib import Path

import typer

from gis.cli.context import ready_database_url, settings_of
from gis.database import connect
from gis.local_time import local_instant
from layers.components import EXPORT_FORMATS

app = typer.Typer(help="Export onemap's layers to files.", no_args_is_help=True)


@app.command()
def components(
    ctx: typer.Context,
    out: Path = typer.Argument(..., help="file to write"),
    class_code: str = typer.Option(None, "--class", help="a major (2-digit) or minor class code"),
    scheme: str = typer.Option("gb47678", help="legacy or gb47678"),
    fmt: str = typer.Option(None, "--format", help=f"{' | '.join(EXPORT_FORMATS)} (else the extension's; an "
                            "extension naming another format is refused)"),
    crs: str = typer.Option("EPSG:4490", help="EPSG:xxxx, gcj02, bd09, a PROJ string or a .prj file"),
    encoding: str = typer.Option(None, help="text encoding of a Shapefile or CSV, e.g. gbk (a GeoPackage, "
                                 "GeoJSON or XLSX workbook is always UTF-8)"),
    as_of: datetime = typer.Option(None, help="the inventory as it stood at this date/time (the city's local "
                                  "time, ONEMAP_TIMEZONE, unless an offset is given)"),
) -> None:
    """Write the component inventory (or one class of it) in standard field names."""
    from gis.crs import parse_crs
    from layers.survey_export import export_components

    settings, target = settings_of(ctx), parse_crs(crs, definitions=True)
    with connect(ready_database_url(settings), timeout_s=settings.connect_timeout_s) as conn:
        exported = export_components(conn, out, scheme=scheme, fmt=fmt, crs=target, class_prefix=class_code,
                                     encoding=encoding,
                                     as_of=local_instant(as_of, settings.zone) if as_of else None,
                                     timezone=settings.timezone)
    for note in exported.notes:
        typer.echo(f"note: {note}")
    typer.echo(f"wrote {exported.count} components to {', '.join(map(str, exported.files))}")
