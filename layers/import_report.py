"""Import reports: JSON for machines, CSV of rejected rows for the GIS staff's spreadsheet, and (component
imports) the refused rows themselves (layers.returned_rows)."""

import csv
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from gis.errors import InvalidParameter
from layers.survey_import import ImportResult


def rejections_table(report: Path) -> Path:
    return report.with_suffix(".csv")


def refused_rows_file(report: Path) -> Path:
    return report.with_suffix(".rejected.gpkg")


def check_report_path(report: Path, inputs: Sequence[Path]) -> None:
    """Refuse, before an import runs, a report that could not be written, or that would overwrite a file
    imported or be written inside a folder imported (whose next import would read it as a survey)."""
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
        "rows_unchanged": result.rows_unchanged,
        "components_removed": result.removed,
        "components_removed_per_class": result.removed_per_class,
        "rows_rejected": len({(r.file, r.row) for r in result.rejections}),
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
        writer.writerow(["file", "row", "field", "reason"])
        writer.writerows((r.file, r.row, r.field, r.reason) for r in result.rejections)
    return table
