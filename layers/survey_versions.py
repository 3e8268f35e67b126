"""The version an exported row was taken from, and the later edits an import of it would undo.

`onemap export components` writes, beside the standard fields, each component's `valid_from`: the start of
the version it exported (as the OGC API serves it; the API's ETag names the same instant). A file handed
back after the inventory changed holds rows of versions that are no longer current: imported with
--mode upsert or replace they would overwrite the later edit, or bring back a component removed since,
without a word. Such a row is refused with the change it would undo (staging_checks.sql); clearing the
row's valid_from cell imports it over the change on purpose. A replace also keeps, with a note, the
components of its classes that it does not hold and that changed or were added after the newest version it
carries: an old export would otherwise remove what was added since. A file without the column is noted as
unchecked.

A written time is compared at the precision it was written with: a spreadsheet or a GDAL driver that kept
milliseconds, whole seconds or (a Shapefile's date field) the day of the exported microseconds must not
make every row look stale. A later version that began within that precision of the exported one is not
told apart from it.
"""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import psycopg

from gis.local_time import local_instant, read_timestamp
from layers.components import VERSION_FIELD
from layers.distinct_values import from_distinct
from layers.survey_rows import Collector, SurveyRows, carries

VERSION_UNTIL = "version_until"  # staging column: the written time plus its precision (None: no check)
_WRITTEN = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})"
                      r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
                      r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?", re.IGNORECASE)


def exported_version(valid_from: datetime, timezone: str) -> str:
    """A version's start as an export writes it: the city's local time with its offset, to the microsecond."""
    return valid_from.astimezone(ZoneInfo(timezone)).isoformat(timespec="microseconds")


def version_limit(text: str, timezone: str) -> str | None:
    """The instant before which a current version is the one `text` names: the written time plus one unit
    of its last written part (a day, a minute, a second or a fraction of one; a fraction's trailing zeros
    are no precision), as ISO 8601 text; None when `text` is no date and time. Read: ISO 8601 and what
    spreadsheets and GDAL write of it (`2026/11/25 08:05:42.751+08`); a time without an offset is the
    city's."""
    written = _WRITTEN.fullmatch(text.strip())
    if written is None:
        return None
    year, month, day, hour, minute, second, fraction, offset = written.groups()
    iso = f"{year}-{int(month):02}-{int(day):02}"  # GDAL and spreadsheets write 2026/11/25, 8:05
    if hour is not None:
        iso += f"T{int(hour):02}:{minute}" + (f":{second}" if second else "")
        iso += f".{fraction}" if fraction else ""
    try:
        start = local_instant(read_timestamp(iso + (offset or "")), ZoneInfo(timezone))
    except ValueError:
        return None
    digits = (fraction or "").rstrip("0")[:6]
    step = (timedelta(days=1) if hour is None else timedelta(minutes=1) if second is None
            else timedelta(microseconds=10 ** (6 - len(digits))))
    return (start + step).isoformat()


def check_versions(rows: SurveyRows, timezone: str, out: Collector) -> None:
    """Read each row's valid_from into the VERSION_UNTIL column of `rows.fields`; a value that is no
    time a version could start at is refused, naming what to do."""
    if VERSION_FIELD not in rows.fields.columns:  # rows written through the API: If-Match is their check
        return
    identified = rows.fields["id"].notna().to_numpy()
    for file in pd.unique(rows.files[identified & ~carries(rows, VERSION_FIELD)]):
        out.notes.append(f"{file}: no {VERSION_FIELD} column, so its rows are not checked against the "
                         "changes made to their components since the file was exported (onemap's exports "
                         "have one)")
    written = rows.fields[VERSION_FIELD]
    limits = pd.Series(None, index=written.index, dtype=object)
    present = written.notna().to_numpy()
    if present.any():
        codes, distinct = pd.factorize(written[present])
        read = np.array([version_limit(str(v), timezone) for v in distinct], dtype=object)
        limits[present] = from_distinct(read, codes, None)
        bad = present.copy()
        bad[present] = pd.isna(limits[present]).to_numpy()
        out.reject(bad, VERSION_FIELD, [
            f"{VERSION_FIELD} {str(v)[:40]!r} is not the start of a version as an export writes it (such as "
            f"{exported_version(datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=ZoneInfo(timezone)), timezone)}"
            "): copy the cell from the export again, or clear it to import the row over the stored version"
            for v in written[bad]])
    rows.fields[VERSION_UNTIL] = limits


_UNKNOWN_TO_DELIVERY_SQL = """
SELECT c.id, to_char(c.valid_from AT TIME ZONE %(timezone)s, 'YYYY-MM-DD HH24:MI')
FROM onemap.component c
WHERE c.valid_to IS NULL AND c.scheme = %(scheme)s
  AND c.class_code IN (SELECT class_code FROM pg_temp.survey_staging)
  AND c.id NOT IN (SELECT id FROM pg_temp.survey_staging WHERE id IS NOT NULL)
  AND c.valid_from >= (SELECT max(version_until) FROM pg_temp.survey_staging)
ORDER BY c.id
"""


def unknown_to_delivery(conn: psycopg.Connection, scheme: str, timezone: str) -> tuple[list[str], list[str]]:
    """The components a replace keeps although the delivery does not hold them: of its classes, changed or
    added after the newest version it carries (after its export), so it cannot have known them; their
    identifiers, and a note naming them (none when the delivery carries no versions)."""
    found = conn.execute(_UNKNOWN_TO_DELIVERY_SQL, {"scheme": scheme, "timezone": timezone}).fetchall()
    if not found:
        return [], []
    named = ", ".join(f"{i} ({when})" for i, when in found[:5]) + (", …" if len(found) > 5 else "")
    return [i for i, _ in found], [
        f"replace: {len(found)} component(s) of the delivered classes that the delivery does not hold were "
        f"changed or added after the newest version it carries, so it cannot have known them: kept, not "
        f"removed: {named}; remove those that should go through the API or a later delivery"]
