"""`onemap import components`: load survey files into the inventory, with a report."""

import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, cast

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from gis.cli import feeds
from gis.cli.context import CRS_HELP, SURVEY_FILES_HELP, options_checked, ready_database_url, settings_of
from gis.errors import ImportValidationError
from grid_codes.classes import Scheme
from layers.components import IMPORT_MODES

if TYPE_CHECKING:  # the import machinery (pandas, shapely, pyogrio, pyproj) loads when a command runs
    from layers.field_mapping import FieldMapping
    from layers.survey_import import ImportResult

app = typer.Typer(help="Import surveys into onemap's layers.", no_args_is_help=True)
app.command("cameras")(feeds.import_cameras_command)
app.command("vehicles")(feeds.import_vehicles_command)


def _progress() -> tuple[Progress, dict[str, TaskID]]:
    bar = Progress(TextColumn("{task.description:<9}"), BarColumn(),
                   TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                   disable=not sys.stderr.isatty(), transient=False)
    return bar, {}


@app.command()
def components(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help=SURVEY_FILES_HELP),
    class_code: str = typer.Option(None, "--class",
                                   help="class of every row, by code or standard name (else from a field "
                                        "or the id)"),
    scheme: str = typer.Option("gb47678", help="class scheme: legacy (4-digit) or gb47678 (5-digit)"),
    crs: str = typer.Option(None, help=CRS_HELP),
    mapping: Path = typer.Option(None, help="YAML mapping of contractor field names to standard ones, and of "
                                 "their class and state values (classes:, states:)"),
    mode: str = typer.Option("append", help=f"{' | '.join(IMPORT_MODES)}"),
    encoding: str = typer.Option(None, help="text encoding of .dbf/.csv files (else detected)"),
    layer: list[str] = typer.Option(
        None, help="layer of a GeoPackage / File Geodatabase / KML, CAD layer of a drawing, or sheet of a "
                   "workbook; repeatable (else every layer with geometries, the CAD layers named by a class, "
                   "or the first sheet that holds the data)"),
    duplicate_distance: float = typer.Option(
        0.5, "--duplicate-distance", min=0.0, max=50.0, metavar="METRES",
        help="rows of one class this close to each other or to a stored component are duplicates (0: only "
             "the same position)"),
    fill: list[str] = typer.Option(
        None, "--fill", metavar="FIELD=VALUE",
        help="give FIELD (a standard field or a name the mapping knows) this VALUE in every row that leaves "
             "it empty, e.g. --fill 主管部门名称=区城管局; repeatable"),
    dry_run: bool = typer.Option(False, "--dry-run", help="validate and report; change nothing"),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="load the valid rows, report the rest"),
    report: Path = typer.Option(None, help="report file (.json; a .csv of rejections and a .rejected.gpkg of "
                                            "the refused rows are written beside it)"),
) -> None:
    """Validate survey files and load them into the component inventory in one transaction."""
    from gis.crs import parse_crs
    from gis.database import connect
    from grid_codes.classes import default_table
    from layers.field_mapping import FieldMapping
    from layers.import_report import check_report_path, refused_rows_file, write_report
    from layers.survey_classes import given_class
    from layers.survey_import import ImportOptions, import_components

    settings = settings_of(ctx)
    with options_checked():  # before any file is read
        scheme = scheme.strip().lower()
        if scheme not in ("legacy", "gb47678"):
            raise ImportValidationError(f"scheme {scheme!r} is not legacy or gb47678")
        if class_code is not None:
            class_code = given_class(class_code, cast(Scheme, scheme), default_table())
        if report is not None:
            check_report_path(report, files)
        field_mapping = FieldMapping.from_yaml(mapping) if mapping else FieldMapping.default()
        options = ImportOptions(
            scheme=cast(Scheme, scheme),
            class_code=class_code, crs=parse_crs(crs, definitions=True) if crs else None, encoding=encoding,
            layers=tuple(layer or ()),
            mapping=field_mapping, mode=mode, dry_run=dry_run, skip_invalid=skip_invalid,
            duplicate_distance_m=duplicate_distance,
            fill=tuple(_fill(given, field_mapping) for given in fill or ()), timezone=settings.timezone)
    bar, tasks = _progress()

    def on_progress(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=max(total, 1))
        bar.update(tasks[stage], completed=done, total=max(total, 1))

    with connect(ready_database_url(settings), timeout_s=settings.connect_timeout_s) as conn, bar:
        conn.autocommit = True
        result = import_components(conn, files, options, on_progress)
    report_path = report or Path(f"onemap-import-{result.batch_id}.json")
    refused_path = _write_refused(result, refused_rows_file(report_path))
    write_report(report_path, result, [str(f) for f in files], refused_path)
    _summarise(result, report_path, dry_run)
    if refused_path is not None:
        typer.echo(f"the {len(result.refused or ())} refused row(s), with their reasons, to correct and "
                   f"import again: {refused_path}", err=True)
    nothing = "the import would load nothing" if dry_run else "nothing was loaded"
    if result.status == "rejected":
        raise ImportValidationError(
            f"{len(result.rejections)} problem(s) in {result.rows_read} rows; {nothing} "
            f"(see {report_path}; --skip-invalid loads the valid rows)")
    if result.rejections and not result.rows_loaded and not result.rows_unchanged:
        raise ImportValidationError(f"every one of the {result.rows_read} rows was rejected; {nothing} "
                                    f"(see {report_path})")


def _write_refused(result: "ImportResult", path: Path) -> Path | None:
    """The refused rows as a GeoPackage at `path` when there are any; else no file there (an earlier
    import's of the same report name is removed). A file that cannot be written is named in a note: the
    report that follows lists the rows all the same."""
    import pyogrio.errors

    from layers.returned_rows import write_refused

    if result.refused is not None and len(result.refused):
        try:
            write_refused(path, result.refused, result.rejections)
            return path
        except (OSError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as error:
            typer.echo(f"note: the refused rows were not written to {path}: {error}", err=True)
    path.unlink(missing_ok=True)
    return None


# Fields --fill does not give: onemap allocates identifiers and locates the cell, street and community;
# --class gives the class
_NOT_FILLED = ("id", "class_code", "grid_code", "street_code", "community_code")


def _fill(given: str, mapping: "FieldMapping") -> tuple[str, str]:
    """A --fill FIELD=VALUE as (standard field, value)."""
    name, sep, value = (part.strip() for part in given.partition("="))
    field = mapping.field_named(name)
    if not sep or not value:
        raise ImportValidationError(f"--fill {given!r}: write FIELD=VALUE, e.g. --fill 主管部门名称=区城管局")
    if field is None:
        raise ImportValidationError(f"--fill {given!r}: {name!r} is neither a standard field nor a column "
                                    "name the mapping knows (主管部门名称, ZGBMMC, competent_dept_name …)")
    if field in _NOT_FILLED:
        raise ImportValidationError(f"--fill {given!r}: {field} is not filled in: onemap allocates "
                                    "identifiers and locates grid cells, streets and communities; --class "
                                    "gives the class")
    return field, value


def _summarise(result: "ImportResult", report_path: Path, dry_run: bool) -> None:
    for note in result.notes:
        typer.echo(f"note: {note}")
    for rejection in result.rejections[:20]:
        typer.echo(f"{rejection.file} row {rejection.row} {rejection.field}: {rejection.reason}",
                   err=True)
    if len(result.rejections) > 20:
        typer.echo(f"… and {len(result.rejections) - 20} more in {report_path}", err=True)
    if result.rejections:
        per_field = Counter(r.field for r in result.rejections).most_common()
        typer.echo("problems per field: " + ", ".join(f"{field} {n}" for field, n in per_field), err=True)
    verb = "would load" if dry_run else "loaded"
    count = result.rows_loaded if result.status != "rejected" else 0
    per_class = ", ".join(f"{code}: {n}" for code, n in sorted(result.loaded_per_class.items()))
    unchanged = ""
    if result.rows_replaced and result.status != "rejected":
        replacing = "replacing" if dry_run else "replaced"
        unchanged = (f", {count - result.rows_replaced} new and {result.rows_replaced} {replacing} their "
                     "current version")
    unchanged += f", {result.rows_unchanged} unchanged" if result.rows_unchanged else ""
    if result.removed and result.status != "rejected":
        removes = "would remove" if dry_run else "removed"
        removed = ", ".join(f"{code}: {n}" for code, n in sorted(result.removed_per_class.items()))
        unchanged += (f"; {removes} {result.removed} component(s) of the delivered classes that the "
                      f"delivery no longer holds (replace: {removed})")
    typer.echo(f"batch {result.batch_id}: {verb} {count} of {result.rows_read} rows"
               f"{' (' + per_class + ')' if per_class else ''}{unchanged}; report {report_path}")
