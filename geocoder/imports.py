"""`onemap import addresses|roads|pois`: gazetteer files through the survey reader (formats, encodings, CRS).

Rows are upserted by (source, source_id), so re-importing a corrected file updates in place
(incremental); `replace=True` also deletes the source's rows the file no longer has. One transaction
per file: a rejected file changes nothing unless the caller skips invalid rows.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import shapely
from psycopg import sql

from geocoder.normalize import normalize
from geocoder.parse import _HOUSE_NUMBER, door_number, plate_address
from gis.crs import CrsSpec, to_cgcs2000
from layers.spreadsheet_errors import error_values_by_row
from layers.survey_import import ImportResult
from layers.survey_read import SurveyFrame, read_survey
from layers.survey_rows import Rejection

_NAMES = {
    "id": ("id", "source_id", "编号", "门牌编号", "fid"),
    "road": ("road", "road_name", "路名", "街路巷", "道路名称"),
    "number": ("number", "house_number", "门牌号", "号"),
    "sub_number": ("sub_number", "附号"),
    "address": ("address", "地址", "门牌地址", "full_address"),
    "name": ("name", "名称", "poi_name", "道路名称", "building"),
    "category": ("category", "类别", "type", "kind", "highway"),
}
_SQL = {
    "addresses": """
INSERT INTO onemap.door_plate (source, source_id, road_name, number, sub_number, name, address, geom)
VALUES (%s, %s, %s, %s, %s, %s, %s, ST_SetSRID(ST_GeomFromWKB(%s), 4490))
ON CONFLICT (source, source_id) DO UPDATE SET road_name = excluded.road_name, number = excluded.number,
    sub_number = excluded.sub_number, name = excluded.name, address = excluded.address, geom = excluded.geom,
    updated_at = now()""",
    "pois": """
INSERT INTO onemap.poi (source, source_id, name, category, address, geom)
VALUES (%s, %s, %s, %s, %s, ST_SetSRID(ST_GeomFromWKB(%s), 4490))
ON CONFLICT (source, source_id) DO UPDATE SET name = excluded.name, category = excluded.category,
    address = excluded.address, geom = excluded.geom, updated_at = now()""",
    "roads": """
INSERT INTO onemap.road (source, source_id, name, kind, geom)
VALUES (%s, %s, %s, %s, ST_SetSRID(ST_GeomFromWKB(%s), 4490))
ON CONFLICT (source, source_id) DO UPDATE SET name = excluded.name, kind = excluded.kind,
    geom = excluded.geom""",
}
_TABLES = {"addresses": "door_plate", "pois": "poi", "roads": "road"}
_GEOMETRY = {"addresses": "Point", "pois": "Point", "roads": "LineString"}


@dataclass(frozen=True)
class GazetteerImport:
    kind: str
    source: str
    crs: CrsSpec | None = None
    encoding: str | None = None
    replace: bool = False
    skip_invalid: bool = False
    dry_run: bool = False
    layer: str | None = None  # of a multi-layer file, or the sheet of a workbook


def _column_name(frame: pd.DataFrame, role: str) -> str | None:
    folded = {str(c).strip().lower(): c for c in frame.columns}
    return next((folded[name] for name in _NAMES[role] if name in folded), None)


def _column(frame: pd.DataFrame, role: str) -> pd.Series | None:
    name = _column_name(frame, role)
    return None if name is None else frame[name].astype("string").fillna("").str.strip()


def _rows(
    kind: str, frame: pd.DataFrame, numbers: np.ndarray, file: str
) -> tuple[list[tuple[object, ...]], list[Rejection]]:
    ids = _column(frame, "id")
    values: dict[str, pd.Series | None] = {role: _column(frame, role) for role in _NAMES}
    out: list[tuple[object, ...]] = []
    rejections = []
    error_values = error_values_by_row(frame, [c for role in _NAMES if (c := _column_name(frame, role))])
    for i, row_number in enumerate(numbers):
        if i in error_values:
            rejections += [Rejection(file, int(row_number), column, why) for column, why in error_values[i]]
            continue

        def get(role: str, i: int = i) -> str:
            series = values[role]
            return str(series.iloc[i]) if series is not None else ""

        source_id = get("id") if ids is not None and get("id") else str(row_number)
        if kind == "addresses":
            road, number, sub = normalize(get("road")).text, get("number"), get("sub_number")
            if not road or not number:
                parsed = _split_address(get("address"))
                if parsed is None:
                    rejections.append(
                        Rejection(
                            file,
                            int(row_number),
                            "address",
                            "no road + house number (columns road/number or address)",
                        )
                    )
                    continue
                road, number, sub = parsed
            door = door_number(normalize(number).text)  # 12, 12号, 12-3 (door plate 12, sub-number 3)
            if not door:
                rejections.append(Rejection(file, int(row_number), "number", f"{number!r} is not a number"))
                continue
            sub = sub or door[1]
            out.append(
                (
                    source_id,
                    road,
                    door[0],
                    sub,
                    get("name") or None,
                    get("address") or plate_address(road, door[0], sub),
                )
            )
        else:
            name = get("name")
            if not name and kind == "pois":
                rejections.append(Rejection(file, int(row_number), "name", "a POI needs a name"))
                continue
            out.append(
                (
                    source_id,
                    name,
                    get("category") or ("poi" if kind == "pois" else "road"),
                    get("address") or None,
                )
                if kind == "pois"
                else (source_id, name or None, get("category") or "road")
            )
    return out, rejections


def _split_address(address: str) -> tuple[str, str, str] | None:
    """吕岭路21号 → (吕岭路, 21, ''); the road is the text before the first house number."""
    text = normalize(address).text
    for pos in range(1, len(text)):
        match = _HOUSE_NUMBER.match(text[pos:])
        if match and text[pos - 1] in "路街巷道弄里":
            return text[:pos], match[1], match[2] or ""
    return None


def import_file(conn: psycopg.Connection, path: Path, options: GazetteerImport,
                label: str | None = None) -> ImportResult:
    """Read, validate and upsert one file in one transaction; reports name it `label` (else its path)."""
    frame = read_survey(path, crs=options.crs, encoding=options.encoding, layer=options.layer)
    file = label or str(path)
    geoms = to_cgcs2000(frame.geometries, frame.source_crs)
    rows, rejections = _rows(options.kind, frame.attributes, frame.row_numbers, file)
    kept_rows, kept_geoms = [], []
    problems = frame.geometry_problems
    for row, at in zip(rows, _positions(frame, rows), strict=True):
        geom = geoms[at] if at is not None else None
        if geom is None or shapely.get_type_id(geom) != shapely.GeometryType[_GEOMETRY[options.kind].upper()]:
            why = problems[at] if at is not None and problems is not None else None
            rejections.append(Rejection(file, int(frame.row_numbers[at]) if at is not None else 0, "geometry",
                                        why or f"needs a {_GEOMETRY[options.kind]}"))
            continue
        kept_rows.append(row)
        kept_geoms.append(geom)
    status = (
        "rejected"
        if rejections and not options.skip_invalid
        else ("dry-run" if options.dry_run else "committed")
    )
    if status == "committed":
        with conn.transaction():
            conn.cursor().executemany(
                _SQL[options.kind],
                [
                    (options.source, *row, shapely.to_wkb(g))
                    for row, g in zip(kept_rows, kept_geoms, strict=True)
                ],
            )
            if options.replace:
                conn.execute(
                    sql.SQL("DELETE FROM {} WHERE source = %s AND NOT (source_id = ANY(%s))").format(
                        sql.Identifier("onemap", _TABLES[options.kind])
                    ),
                    (options.source, [r[0] for r in kept_rows]),
                )
    return ImportResult(
        0,
        status,
        len(frame),
        len(kept_rows) if status == "committed" else 0,
        rejections,
        {options.kind: len(kept_rows)},
        list(frame.notes),
    )


def _positions(frame: SurveyFrame, rows: list[tuple[object, ...]]) -> list[int | None]:
    """Each kept row's position in the file's frame (rows keep the file's order; rejected rows are
    skipped), found by its source id: the id column's value, else the row number."""
    ids = [str(n) for n in frame.row_numbers]
    id_column = _column(frame.attributes, "id")
    keys = [v or ids[i] for i, v in enumerate(id_column)] if id_column is not None else ids
    position = {k: i for i, k in enumerate(keys)}
    return [position.get(str(r[0])) for r in rows]
