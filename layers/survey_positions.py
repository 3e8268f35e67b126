"""Positions an upsert keeps from the inventory, and rows that lie where their component lies.

After an inspection round GIS staff often get a sheet of 部件标识码 and 部件状态 (or a new
maintainer) without coordinates. An upsert reads such a CSV file or sheet (layers.survey_tables) and
gives each of its rows the geometry of the current component with its identifier, before the
geometries are checked, so the rest of the import (validation, location, the unchanged comparison)
runs as for any other row.

A row of an upsert that lies where the current component of its identifier lies (an export imported
back) is no new double survey of anything: two covers stored 0.3 m apart stay two components.
"""

from collections.abc import Callable
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import psycopg
import shapely

from grid_codes.classes import Scheme
from layers.survey_rows import SurveyRows, per_file

PositionStep = Callable[[SurveyRows], list[str]]
InPlaceCheck = Callable[[np.ndarray, np.ndarray], np.ndarray]
# one position for the unchanged comparison (layers/sql/publish.sql), the duplicate checks of an upsert
# (layers/sql/staging_checks.sql and `stored_in_place`): equal, or within 1e-8° (about a millimetre)
SAME_POSITION_DEGREES = 1e-8


def stored_positions(conn: psycopg.Connection, scheme: Scheme, timezone: str) -> PositionStep:
    """The validation step that gives the rows of files without coordinate columns their stored positions
    (in place, with their identifiers read plainly) and returns a note counting them; a removal's date is
    told in the city's `timezone`."""

    def keep_positions(rows: SurveyRows) -> list[str]:
        wanting = ~per_file(rows, lambda columns: columns.positioned)  # files without coordinates
        if not wanting.any():
            return []
        ids = rows.fields["id"].to_numpy(dtype=object)
        named = sorted({str(ids[i]) for i in np.flatnonzero(wanting) if isinstance(ids[i], str)})
        found = _current_geometries(conn, scheme, named)
        removed = _removed(conn, scheme, sorted(set(named) - set(found)), ZoneInfo(timezone))
        geometries = rows.geometries.copy()
        problems = (rows.geometry_problems.copy() if rows.geometry_problems is not None
                    else np.full(len(rows), None, dtype=object))
        kept = 0
        for i in map(int, np.flatnonzero(wanting)):
            written = ids[i]
            if isinstance(written, str) and written in found:
                geometries[i] = found[written]
                kept += 1
            elif isinstance(written, str) and written in removed:
                problems[i] = (f"the file has no coordinate columns, and component {written} was removed "
                               f"{removed[written]}: a row without coordinates updates a current component; "
                               "give the row its coordinates to deliver the component again")
            elif isinstance(written, str):
                problems[i] = (f"the file has no coordinate columns, and no current component has identifier "
                               f"{written} to keep the position of")
            else:
                problems[i] = ("the file has no coordinate columns and the row no identifier: a row without "
                               "coordinates updates the component its identifier names")
        rows.geometries, rows.geometry_problems = geometries, problems
        return [f"{kept} row(s) of files without coordinate columns keep the position of the current "
                "component with their identifier (upsert)"] if kept else []

    return keep_positions


def stored_in_place(conn: psycopg.Connection, scheme: Scheme) -> InPlaceCheck:
    """The check of which rows (identifiers, geometries) lie where the current component of their
    identifier lies."""

    def in_place(ids: np.ndarray, geometries: np.ndarray) -> np.ndarray:
        stored = _current_geometries(conn, scheme, sorted({str(i) for i in ids if isinstance(i, str)}))
        theirs = np.array([stored.get(i) if isinstance(i, str) else None for i in ids], dtype=object)
        known = np.flatnonzero(pd.notna(theirs) & pd.notna(geometries))
        result = np.zeros(len(ids), dtype=bool)
        if len(known):
            a, b = geometries[known], theirs[known]
            result[known] = shapely.equals(a, b) | (
                (shapely.get_dimensions(a) == shapely.get_dimensions(b))
                & (shapely.hausdorff_distance(a, b) < SAME_POSITION_DEGREES))
        return result

    return in_place


def _current_geometries(conn: psycopg.Connection, scheme: Scheme,
                        ids: list[str]) -> dict[str, shapely.Geometry]:
    """The geometry of the current component of each identifier in `ids` that has one."""
    if not ids:
        return {}
    return {str(i): shapely.from_wkb(wkb) for i, wkb in conn.execute(
        "SELECT id, ST_AsBinary(geom) FROM onemap.component "
        "WHERE valid_to IS NULL AND scheme = %s AND id = ANY(%s)", (scheme, ids))}


def _removed(conn: psycopg.Connection, scheme: Scheme, ids: list[str], zone: ZoneInfo) -> dict[str, str]:
    """Of `ids` (none current), those the inventory had and removed: identifier -> when (the city's
    date) and by what."""
    if not ids:
        return {}
    latest = conn.execute(
        "SELECT DISTINCT ON (id) id, valid_to, close_source FROM onemap.component "
        "WHERE scheme = %s AND id = ANY(%s) AND valid_to IS NOT NULL ORDER BY id, valid_to DESC",
        (scheme, ids))
    return {i: f"on {closed.astimezone(zone):%Y-%m-%d} ({source or 'source not recorded'})"
            for i, closed, source in latest}
