"""Import reports: JSON for machines, CSV of rejected rows for the GIS staff's spreadsheet, and (component
imports) the refused rows themselves (layers.returned_rows)."""

import csv
import json
from collections import Counter
from collections.abc import Sequence
from itertools import count
from pathlib import Path

import pyogrio
import pyogrio.errors

from gis.errors import ImportValidationError, InvalidParameter
from layers.returned_rows import holds_refused_rows
from layers.survey_import import ImportResult
from layers.survey_rows import rows_rejected

REJECTIONS_HEADER = ("file", "row", "field", "reason")  # the CSV of rejections' first line


def rejections_table(report: Path) -> Path:
    return report.with_suffix(".csv")


def refused_rows_file(report: Path) -> Path:
    return report.with_suffix(".rejected.gpkg")


def check_report_path(report: Path, inputs: Sequence[Path]) -> None:
    """Refuse, before an import runs, a report that could not be written, that would overwrite a file
    imported or be written inside a folder imported (whose next import would read it as a survey), or whose
    CSV or GeoPackage beside it would overwrite (or remove) a file no report wrote."""
    if report.suffix.lower() != ".json":
        raise InvalidParameter(f"--report {report}: name it .json ({report.with_suffix('.json').name}); the "
                               "CSV of rejections is written beside it")
    if not report.parent.is_dir():
        raise InvalidParameter(f"--report {report}: folder {report.parent} does not exist")
    written = {report.resolve(): "report", rejections_table(report).resolve(): "CSV of rejections",
               refused_rows_file(report).resolve(): "file of refused rows"}
    for given in inputs:
        imported = given.resolve()
        if imported in written:
            raise InvalidParameter(f"--report {report}: its {written[imported]} would overwrite {given}, a "
                                   "file to import; name the report otherwise")
        if imported.is_dir() and imported in report.resolve().parents:
            raise InvalidParameter(f"--report {report} lies in {given}, a folder to import, where the next "
                                   "import of it would read the report as a survey; write it elsewhere")
    for companion, fate in ((rejections_table(report), "CSV of rejections would overwrite it"),
                            (refused_rows_file(report), "file of refused rows would overwrite or remove it")):
        if companion.exists() and not _written_by_a_report(companion):
            raise ImportValidationError(
                f"--report {report}: {companion} exists and no onemap report wrote it: the report's {fate}; "
                f"name the report otherwise, e.g. --report {_unused_name(report)}")


def _written_by_a_report(companion: Path) -> bool:
    """Whether `companion` is an earlier report's: a CSV whose first line is the rejections' header, or a
    GeoPackage of refused rows (layers.returned_rows)."""
    if not companion.is_file():
        return False
    if companion.suffix == ".csv":
        with companion.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            return handle.readline(200).rstrip("\r\n") == ",".join(REJECTIONS_HEADER)
    try:
        return holds_refused_rows(companion, [str(name) for name, _ in pyogrio.list_layers(companion)])
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError):
        return False


def _unused_name(report: Path) -> Path:
    """report-2.json, report-3.json …: the first of them that neither is nor has a companion file."""
    named = (report.with_name(f"{report.stem}-{number}{report.suffix}") for number in count(2))
    return next(name for name in named
                if not any(p.exists() for p in (name, rejections_table(name), refused_rows_file(name))))


def write_report(path: Path, result: ImportResult, sources: list[str], refused: Path | None = None) -> Path:
    """Write `path` (JSON) and the rejections as CSV beside it; return the CSV's path. `refused`: the file
    of the refused rows (layers.returned_rows), named in the JSON."""
    reasons = Counter(r.field for r in result.rejections)
    document = {
        "batch": result.batch_id,
        "status": result.status,
        "sources": sources,
        "rows_read": result.rows_read,
        "rows_loaded": result.rows_loaded,
        "rows_replaced": result.rows_replaced,
        "rows_unchanged": result.rows_unchanged,
        "components_removed": result.removed,
        "components_removed_per_class": result.removed_per_class,
        "rows_rejected": rows_rejected(result.rejections),
        "loaded_per_class": result.loaded_per_class,
        "rejections_per_field": dict(sorted(reasons.items())),
        "notes": result.notes,
        "refused_rows_file": str(refused) if refused is not None else None,
        "rejections": [{"file": r.file, "row": r.row, "field": r.field, "reason": r.reason}
                       for r in result.rejections],
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    table = rejections_table(path)
    with table.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(REJECTIONS_HEADER)
        writer.writerows((r.file, r.row, r.field, r.reason) for r in result.rejections)
    return table
