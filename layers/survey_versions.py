"""The version an exported row was taken from, and the later edits an import of it would undo.

`onemap export components` writes, beside the standard fields, each component's `valid_from`: the start of
the version it exported (as the OGC API serves it; the API's ETag names the same instant). A file handed
back after the inventory changed holds rows of versions that are no longer current: imported with
--mode upsert or replace they would overwrite the later edit, or bring back a component removed since,
without a word. Such a row is refused with the change it would undo (staging_checks.sql); clearing the
row's valid_from cell imports it over the change on purpose.

A written time is compared at the precision it was written with: a spreadsheet or a GDAL driver that kept
milliseconds or whole seconds of the exported microseconds must not make every row look stale. A later
version that began within that precision of the exported one (a millisecond, for onemap's own exports)
is not told apart from it.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from layers.components import VERSION_FIELD
from layers.distinct_values import from_distinct
from layers.survey_rows import Collector, SurveyRows

VERSION_UNTIL = "version_until"  # staging column: the written time plus its precision (None: no check)


def exported_version(valid_from: datetime, timezone: str) -> str:
    """A version's start as an export writes it: the city's local time with its offset, to the microsecond."""
    return valid_from.astimezone(ZoneInfo(timezone)).isoformat(timespec="microseconds")


def version_limit(text: str, timezone: str) -> str | None:
    """The instant before which a current version is the one `text` names: the written time plus one unit
    of the precision it was written with (a millisecond at the finest), as ISO 8601 text; None when `text`
    is no time of day. A time without an offset is the city's."""
    text = text.strip()
    try:
        written = datetime.fromisoformat(text)
    except ValueError:
        return None
    if len(text) <= len("2026-01-02"):  # a date alone names no version
        return None
    if written.tzinfo is None:
        written = written.replace(tzinfo=ZoneInfo(timezone))
    step = 1_000_000  # microseconds: the coarsest unit that divides the written fraction of a second
    while step > 1000 and written.microsecond % step:
        step //= 10
    return (written + timedelta(microseconds=step)).isoformat()


def check_versions(rows: SurveyRows, timezone: str, out: Collector) -> None:
    """Read each row's valid_from into the VERSION_UNTIL column of `rows.fields`; a value that is no
    time a version could start at is refused, naming what to do."""
    if VERSION_FIELD not in rows.fields.columns:  # rows written through the API: If-Match is their check
        return
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
