"""`onemap geocode FILE` (batch) and `onemap import addresses|roads|pois FILE` (the gazetteer)."""

import sys
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from geocoder import KINDS
from gis.cli.context import (
    CRS_HELP,
    LAYER_HELP,
    SURVEY_FILES_HELP,
    options_checked,
    ready_database_url,
    settings_of,
)
from gis.database import connect
from gis.errors import ImportValidationError


def geocode(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="CSV or XLSX with an address column"),
    output: Path = typer.Option(
        None, "--output", "-o", help="result file, .csv or .gpkg (default FILE.geocoded.csv)"
    ),
    column: str = typer.Option(None, help="name of the address column (else address/地址/… is looked for)"),
    crs: str = typer.Option(
        None, help="CRS of the result coordinates: EPSG:4490 (default), EPSG:4326, gcj02"
    ),
    encoding: str = typer.Option(None, help="text encoding of a .csv/.txt/.tsv file (else detected: UTF-8, "
                                 "GB18030, UTF-16 with its byte order mark)"),
) -> None:
    """Geocode every row of a table; bad rows get a reason, good rows their point and codes."""
    from geocoder import gazetteer  # scipy
    from geocoder.batch import check_output, geocode_rows, is_outside_grid, read_table, write_csv, write_gpkg
    from gis.crs import output_crs

    if not file.is_file():
        raise ImportValidationError(f"{file}: no such file")
    out = output or file.with_suffix(".geocoded.csv")
    with options_checked():
        target = output_crs(crs)
        check_output(out, target)
    table = read_table(file.read_bytes(), file.name, column=column, encoding=encoding)
    settings = settings_of(ctx)
    with connect(ready_database_url(settings), timeout_s=settings.connect_timeout_s) as conn:
        gaz = gazetteer.load(conn)
    bar = Progress(
        TextColumn("geocoding"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        disable=not sys.stderr.isatty(),
    )
    with bar:
        task = bar.add_task("geocoding", total=max(len(table.rows), 1))
        results = geocode_rows(
            gaz,
            [r[table.address_column] for r in table.rows],
            crs=target,
            on_row=lambda n: bar.update(task, completed=n) if n % 200 == 0 else None,
        )
    if out.suffix.lower() == ".gpkg":
        write_gpkg(out, table.header, table.rows, results, target)
    else:
        out.write_bytes(write_csv(table.header, table.rows, results, target))
    outside = sum(1 for r in results if is_outside_grid(r))
    found = sum(1 for r in results if r["level"] != "") - outside
    problems = [(n, r) for n, r in enumerate(results, start=2) if r["level"] == "" or is_outside_grid(r)]
    for number, result in problems[:20]:
        typer.echo(f"{file} row {number} {table.header[table.address_column]}: {result['reason']}", err=True)
    beyond = f", {outside} more outside the unit grid (placed, with no grid cell: see their reason)"
    typer.echo(f"geocoded {found} of {len(results)} rows{beyond if outside else ''} → {out}")


def _importer(kind: str):
    def command(
        ctx: typer.Context,
        files: list[Path] = typer.Argument(..., help=SURVEY_FILES_HELP),
        source: str = typer.Option(None, help="name of the data source (default: the file name)"),
        crs: str = typer.Option(None, help=CRS_HELP),
        encoding: str = typer.Option(None, help="text encoding of .dbf/.csv files (else detected)"),
        layer: str = typer.Option(None, help=LAYER_HELP),
        replace: bool = typer.Option(False, help="also delete the source's rows missing from the file"),
        skip_invalid: bool = typer.Option(
            False, "--skip-invalid", help="load the valid rows, report the rest"
        ),
        dry_run: bool = typer.Option(False, "--dry-run", help="validate and report; change nothing"),
        report: Path = typer.Option(None, help="report file (.json; a .csv of rejections beside it)"),
    ) -> None:
        from geocoder.imports import GazetteerImport, import_file
        from gis.crs import parse_crs
        from layers.import_report import check_report_path, write_report
        from layers.survey_deliveries import passed_over_note, survey_files

        if report is not None:
            check_report_path(report, files)
        settings = settings_of(ctx)
        with (connect(ready_database_url(settings), timeout_s=settings.connect_timeout_s) as conn,
              survey_files(files) as found):
            conn.autocommit = True
            for member in found:
                if (unread := passed_over_note(member, encoding)) is not None:
                    typer.echo(f"note: {unread}")
                    continue
                file = member.path
                options = GazetteerImport(
                    kind,
                    source or file.stem,
                    parse_crs(crs, definitions=True) if crs else None,
                    encoding,
                    replace,
                    skip_invalid,
                    dry_run,
                    layer,
                )
                result = import_file(conn, file, options, member.label)
                report_path = report or Path(f"onemap-import-{kind}-{file.stem}.json")
                write_report(report_path, result, [member.label])
                for note in result.notes:
                    typer.echo(f"note: {note}")
                for r in result.rejections[:20]:
                    typer.echo(f"{r.file} row {r.row} {r.field}: {r.reason}", err=True)
                if result.status == "rejected":
                    raise ImportValidationError(
                        f"{len(result.rejections)} problem(s) in {member.label}; nothing was "
                        f"loaded (see {report_path}; --skip-invalid loads the rest)"
                    )
                typer.echo(
                    f"{member.label}: {result.status}, {result.rows_loaded} of {result.rows_read} {kind}; "
                    f"report {report_path}"
                )

    command.__doc__ = f"Load {kind} into the geocoding gazetteer (upsert by source and id)."
    return command


def register(app: typer.Typer, import_app: typer.Typer) -> None:
    """Add `onemap geocode` and `onemap import addresses|roads|pois`."""
    app.command("geocode")(geocode)
    for kind in KINDS:
        import_app.command(kind)(_importer(kind))
