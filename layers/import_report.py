"""Import reports: JSON for machines, CSV of rejected rows for the GIS staff's spreadsheet."""

import csv
import json
from collections import Counter
from pathlib import Path

from layers.survey_import import ImportResult


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
        "rows_rejected": len({(r.file, r.row) for r in result.rejections}),
        "loaded_per_class": result.loaded_per_class,
        "rejections_per_field": dict(sorted(reasons.items())),
        "notes": result.notes,
        "refused_rows_file": str(refused) if refused is not None else None,
        "rejections": [{"file": r.file, "row": r.row, "field": r.field, "reason": r.reason}
                       for r in result.rejections],
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    table = path.with_suffix(".csv")
    with table.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "row", "field", "reason"])
        writer.writerows((r.file, r.row, r.field, r.reason) for r in result.rejections)
    return table
