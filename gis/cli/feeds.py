"""`onemap feeds prune|partitions|simulate` and `onemap import cameras|vehicles`: the live feeds' CLI."""

import csv
import io
import signal
import threading
from pathlib import Path

import psycopg
import typer

from gis.cli.context import CRS_HELP, LAYER_HELP, SURVEY_FILES_HELP, ready_database_url, settings_of
from gis.database import connect
from gis.errors import ImportValidationError, InvalidParameter
from gis.settings import REPOSITORY_ROOT

app = typer.Typer(
    help="Live feeds: GPS fix partitions and retention, the demo fleet simulator.", no_args_is_help=True
)
XIAMEN_TRACKS = REPOSITORY_ROOT.parent / "shared" / "data" / "gps_xiamen" / "xiamen_vehicle_tracks_wgs84.csv"


@app.command()
def prune(
    ctx: typer.Context,
    retention_days: int = typer.Option(
        None, help="keep this many days [default: ONEMAP_FEEDS_RETENTION_DAYS]"
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="list what would be dropped"),
) -> None:
    """Drop the day partitions of GPS fixes older than the retention period."""
    from layers import feeds_partitions  # shapely, pyproj

    settings = settings_of(ctx)
    days = retention_days if retention_days is not None else settings.feeds_retention_days
    if days < 1:
        raise InvalidParameter("--retention-days must be at least 1")
    with connect(ready_database_url(settings), timeout_s=settings.connect_timeout_s) as conn:
        dropped = feeds_partitions.prune(conn, retention_days=days, dry_run=dry_run)
    verb = "would drop" if dry_run else "dropped"
    shown = ", ".join(d.isoformat() for d in dropped) or "none"
    typer.echo(f"{verb} {len(dropped)} partition(s) older than {days} days: {shown}")


@app.command()
def partitions(ctx: typer.Context) -> None:
    """List the days that hold GPS fixes (one partition each)."""
    from layers import feeds_partitions

    settings = settings_of(ctx)
    with connect(ready_database_url(settings), timeout_s=settings.connect_timeout_s) as conn:
        for day in feeds_partitions.list_partitions(conn):
            typer.echo(day.isoformat())


@app.command()
def simulate(
    ctx: typer.Context,
    token: str = typer.Option(
        ..., envvar="ONEMAP_FEEDS_TOKEN", help="bearer token with ingest_feeds (dispatcher or admin)"
    ),
    url: str = typer.Option(None, help="onemap server [default: http://ONEMAP_HOST:ONEMAP_PORT]"),
    interval: float = typer.Option(10.0, min=0.5, help="seconds between two fixes of a vehicle"),
    duration: float = typer.Option(None, help="stop after this many seconds [default: until Ctrl-C]"),
    seed: int = typer.Option(7, help="random seed of the routes"),
    cases: bool = typer.Option(True, "--cases/--no-cases", help="also report and move demo cases"),
    real_speeds: Path = typer.Option(
        XIAMEN_TRACKS,
        help="gps_xiamen CSV whose real speed profiles the vehicles replay (skipped when absent)",
    ),
) -> None:
    """Drive the registered fleet along the demo roads, posting fixes through the ingest API."""
    from gis.demo import simulator  # FastAPI, httpx, shapely

    settings = settings_of(ctx)
    base = url or f"http://{settings.host}:{settings.port}"
    with connect(ready_database_url(settings), timeout_s=settings.connect_timeout_s) as conn:
        try:
            sim = simulator.from_database(conn, seed=seed, speeds_from=real_speeds)
        except ValueError as error:
            raise InvalidParameter(str(error)) from None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if cases:
        simulator.start_case_trickle(base, token, stop)
    typer.echo(
        f"simulating {len(sim.vehicles)} vehicles every {interval:g} s against {base}"
        f"{' and a trickle of cases' if cases else ''}; Ctrl-C stops"
    )

    def report(sent: int, accepted: int) -> None:
        typer.echo(f"posted {sent} fixes, {accepted} accepted")

    try:
        sim.run(base, token, interval_s=interval, duration_s=duration, stop=stop, on_tick=report)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()


def import_cameras_command(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help=SURVEY_FILES_HELP),
    crs: str = typer.Option(None, help=CRS_HELP),
    encoding: str = typer.Option(None, help="text encoding of .csv/.dbf files (else detected)"),
    layer: str = typer.Option(None, help=LAYER_HELP),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="load the valid rows, report the rest"),
) -> None:
    """Load cameras (GB/T 28181 ids, position, heading, field of view, range, owner, status, stream URL)."""
    from gis.crs import parse_crs
    from layers.cameras_import import import_cameras  # the survey reader: pandas, geopandas, openpyxl

    settings = settings_of(ctx)
    with connect(ready_database_url(settings), timeout_s=settings.connect_timeout_s) as conn:
        result = import_cameras(
            conn, files, crs=parse_crs(crs, definitions=True) if crs else None, encoding=encoding,
            layer=layer, skip_invalid=skip_invalid,
        )
    for note in result.notes:
        typer.echo(f"note: {note}")
    for rejection in result.rejections[:50]:
        typer.echo(f"{rejection.file} row {rejection.row} {rejection.field}: {rejection.reason}", err=True)
    if result.rejections and not skip_invalid:
        raise ImportValidationError(
            f"{len(result.rejections)} problem(s) in {result.rows_read} rows; nothing "
            f"was loaded (--skip-invalid loads the valid rows)"
        )
    typer.echo(f"loaded {result.loaded} of {result.rows_read} cameras")


def import_vehicles_command(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="CSV with columns id, plate, type, department"),
) -> None:
    """Register vehicles (or update them by id) from a CSV (UTF-8, or GB18030 as Chinese Excel saves it)."""
    from layers.survey_csv import decode_text
    from layers.vehicles import VEHICLE_ID, VEHICLE_TYPES, Vehicle, register_vehicles  # shapely, pyproj

    if not file.is_file():
        raise ImportValidationError(f"{file}: no such file")
    vehicles, problems = [], []
    notes: list[str] = []
    text, _ = decode_text(file, file.read_bytes(), None, notes)
    for note in notes:
        typer.echo(f"note: {file}: {note}")
    with io.StringIO(text, newline="") as handle:
        for row_number, row in enumerate(csv.DictReader(handle), start=1):
            missing = [name for name in ("id", "plate", "type") if not (row.get(name) or "").strip()]
            if missing:
                problems.append(f"{file} row {row_number} {missing[0]}: missing")
            elif not VEHICLE_ID.fullmatch(row["id"].strip()):
                problems.append(
                    f"{file} row {row_number} id: {row['id']!r} is not 1-64 letters, digits, _.:-"
                )
            elif row["type"].strip() not in VEHICLE_TYPES:
                problems.append(
                    f"{file} row {row_number} type: {row['type']!r} is not one of {', '.join(VEHICLE_TYPES)}"
                )
            else:
                vehicles.append(
                    Vehicle(
                        row["id"].strip(),
                        row["plate"].strip(),
                        row["type"].strip(),
                        (row.get("department") or "").strip(),
                    )
                )
    if problems:
        for problem in problems[:50]:
            typer.echo(problem, err=True)
        raise ImportValidationError(f"{len(problems)} problem(s) in {file}; nothing was loaded")
    settings = settings_of(ctx)
    with connect(ready_database_url(settings), timeout_s=settings.connect_timeout_s) as conn:
        try:
            count = register_vehicles(conn, vehicles)
        except psycopg.errors.UniqueViolation as error:
            raise ImportValidationError(
                f"{file}: a plate belongs to another vehicle id: {error.diag.message_detail}"
            ) from None
    typer.echo(f"registered {count} vehicles")
