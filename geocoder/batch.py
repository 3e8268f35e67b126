"""Batch geocoding: a CSV/XLSX of addresses in, the same rows with the result columns out (CSV or GeoPackage).

A bad row (empty, too long, nothing found, a point outside the unit grid) gets its reason in the `reason`
column; the good rows are geocoded regardless, so one bad row never loses a file.
"""

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from geocoder.forward import geocode, outside_grid
from geocoder.gazetteer import Gazetteer
from gis.crs import CrsSpec, crs_name, xy_from_cgcs2000
from gis.errors import ImportValidationError, InvalidParameter, OnemapError
from layers.survey_csv import csv_records
from layers.survey_dbf import text_codec
from layers.survey_formats import DELIMITED_SUFFIXES, WORKBOOK_SUFFIXES
from layers.survey_workbooks import sheet_rows

ADDRESS_COLUMNS = ("address", "地址", "addr", "详细地址", "事发地址", "location", "位置")
RESULT_COLUMNS = (
    "level",
    "score",
    "lon",
    "lat",
    "grid_code",
    "community_code",
    "street_code",
    "county_code",
    "label",
    "normalized",
    "candidates",
    "reason",
)
_NUMBERS = frozenset({"score", "lon", "lat", "candidates"})  # null (None) in a row without them
# The columns of a result CSV: the CRS of lon/lat follows them (a GeoPackage declares its own).
CSV_COLUMNS = (*RESULT_COLUMNS[:4], "crs", *RESULT_COLUMNS[4:])
_FORMULA_STARTS = ("=", "+", "-", "@")


@dataclass(frozen=True)
class Table:
    """A table of addresses as read: header, rows (strings), the index of the address column."""

    header: list[str]
    rows: list[list[str]]
    address_column: int


@dataclass(frozen=True)
class Advice:
    """How messages about a table name it and the options that fix them: the CLI's, or the HTTP API's."""

    source: str | None  # how the table is named (None: by its file name)
    column: str  # how to name the address column
    encoding: str  # how to name the text encoding


CLI_ADVICE = Advice(None, "--column", "--encoding")
HTTP_ADVICE = Advice("the uploaded table", "?column= in the URL",
                     "a charset in the Content-Type, as text/csv; charset=gbk")


def _column(header: list[str], wanted: str | None, source: str, advice: Advice) -> int:
    """--column, else a usual address column name, else the one column whose name holds 地址 or 地点
    (案件地址, 发生地点: case exports name it after the case)."""
    folded = [h.strip().lower() for h in header]
    names = (wanted.strip().lower(),) if wanted else ADDRESS_COLUMNS
    for name in names:
        if name in folded:
            return folded.index(name)
    holding = [i for i, h in enumerate(folded) if "地址" in h or "地点" in h]
    if not wanted and len(holding) == 1:
        return holding[0]
    raise ImportValidationError(f"{source}: no address column ({', '.join(names)}) in the header "
                                f"{header[:12]}; name it with {advice.column}")


def read_table(
    data: bytes,
    name: str,
    *,
    column: str | None = None,
    encoding: str | None = None,
    advice: Advice = CLI_ADVICE,
) -> Table:
    """Parse CSV or tab-delimited text (in `encoding`, else UTF-8, GB18030 or UTF-16 with its byte order
    mark, as the survey import reads it), XLSX, XLS or ODS bytes; `name` decides the format. Messages name
    the table and the options that fix it as `advice` says. Blank lines are not rows."""
    try:
        return _read_table(data, name, column, encoding, advice)
    except ImportValidationError as error:
        if advice.source is None:  # the survey reader's messages name the file by its path
            raise
        raise ImportValidationError(str(error).replace(f"{name}: ", f"{advice.source}: ", 1)) from None


def _read_table(data: bytes, name: str, column: str | None, encoding: str | None, advice: Advice) -> Table:
    if name.lower().endswith(WORKBOOK_SUFFIXES):
        records = [["" if v is None else str(v) for v in cells]
                   for _, cells in sheet_rows(Path(name), None, data).rows]
    elif name.lower().endswith(DELIMITED_SUFFIXES):
        codec = text_codec(Path(name), encoding, advice.encoding) if encoding else None
        found, _ = csv_records(Path(name), data, codec, [], option=advice.encoding)
        records = [[str(cell) for cell in cells] for _, cells in found]
    else:
        raise ImportValidationError(f"{name}: unsupported file type; use .csv (or tab-delimited .txt/.tsv), "
                                    ".xlsx, .xls or .ods")
    if not records:
        raise ImportValidationError(f"{name}: the file is empty")
    header = [h.strip() for h in records[0]]
    return Table(
        header, [r + [""] * (len(header) - len(r)) for r in records[1:]],
        _column(header, column, name, advice),
    )


def geocode_rows(
    gaz: Gazetteer,
    addresses: Iterable[str],
    *,
    crs: CrsSpec | None = None,
    on_row: Callable[[int], None] | None = None,
) -> list[dict[str, object]]:
    """One result row per address: the best candidate's columns, or a reason."""

    out: list[dict[str, object]] = []
    placed: list[tuple[dict[str, object], float, float]] = []  # rows with a point: converted at the end
    for i, address in enumerate(addresses):
        row: dict[str, object] = {c: None if c in _NUMBERS else "" for c in RESULT_COLUMNS}
        try:
            result = geocode(gaz, address, limit=3)
        except OnemapError as error:
            row["reason"] = str(error)
        else:
            row["normalized"] = result.normalized
            row["candidates"] = len(result.candidates)
            if result.candidates:
                best = result.candidates[0]
                placed.append((row, best.lon, best.lat))
                row.update(
                    level=best.level,
                    score=best.score,
                    grid_code=best.grid_code or "",
                    community_code=best.community_code or "",
                    street_code=best.street_code or "",
                    county_code=best.county_code or "",
                    label=best.label,
                )
                reasons = [result.reason] if result.reason else []
                if len(result.candidates) > 1 and result.candidates[1].score >= best.score - 0.05:
                    reasons.append("ambiguous: several places fit equally well")
                row["reason"] = "; ".join(reasons)
            else:
                row["reason"] = result.reason or "no match"
        out.append(row)
        if on_row:
            on_row(i + 1)
    if placed:
        x, y = xy_from_cgcs2000(np.array([p[1] for p in placed]), np.array([p[2] for p in placed]), crs)
        for (row, _, _), xi, yi in zip(placed, x.tolist(), y.tolist(), strict=True):
            row["lon"], row["lat"] = round(xi, 7), round(yi, 7)
    return out


def is_outside_grid(row: dict[str, object]) -> bool:
    """A row of geocode_rows answered at a point that no unit grid cell holds (it has a reason)."""
    return outside_grid(str(row["level"]), str(row["grid_code"]))


def check_output(path: Path, crs: CrsSpec | None) -> None:
    """Refuse an output file of geocode_rows that cannot be written, before the work."""
    if path.suffix.lower() not in (".csv", ".gpkg"):
        raise InvalidParameter(f"--output {path}: use a .csv or .gpkg file name")
    if path.suffix.lower() == ".gpkg" and crs is not None and crs.offset:
        raise InvalidParameter(f"--output {path}: a GeoPackage cannot be written in {crs}, which no EPSG "
                               "code names; use a .csv file, or --crs with an EPSG code")


def write_csv(
    header: list[str], rows: list[list[str]], results: list[dict[str, object]], crs: CrsSpec | None
) -> bytes:
    """The rows with the result columns, and `crs` (the CRS of lon/lat) after lat in each row with a point.

    Text that a spreadsheet would run as a formula (=, +, -, @ first) is written as text (see as_text)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*header, *CSV_COLUMNS])
    named = crs_name(crs)
    for row, result in zip(rows, results, strict=True):
        cells = {**result, "crs": named if result["lon"] is not None else ""}
        writer.writerow([as_text(v) for v in (*row, *(cells[c] for c in CSV_COLUMNS))])
    return buffer.getvalue().encode("utf-8-sig")


def as_text(value: object) -> object:
    """A cell that Excel, WPS or LibreOffice would run as a formula, prefixed with ' so they show it as text
    (CSV injection, OWASP); numbers, also negative ones, stay as they are."""
    if not isinstance(value, str) or not value.startswith(_FORMULA_STARTS):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value


def write_gpkg(
    path: Path,
    header: list[str],
    rows: list[list[str]],
    results: list[dict[str, object]],
    crs: CrsSpec | None,
) -> None:
    """A point layer `geocoded` (rows without a point keep an empty geometry and their reason).

    GCJ-02 / BD-09 are no CRS a GeoPackage can declare: callers ask for an EPSG code or none."""
    import geopandas as gpd
    import shapely

    check_output(path, crs)
    columns = {name: [r[i] for r in rows] for i, name in enumerate(_unique(header))}
    for c in RESULT_COLUMNS:
        columns[c] = ["" if r[c] is None else str(r[c]) for r in results]
    points = [
        shapely.Point(float(str(r["lon"])), float(str(r["lat"]))) if r["lon"] is not None else None
        for r in results
    ]
    epsg = crs.epsg if crs is not None and crs.epsg else 4490
    gpd.GeoDataFrame(columns, geometry=points, crs=f"EPSG:{epsg}").to_file(
        path, layer="geocoded", driver="GPKG", engine="pyogrio"
    )


def _unique(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for h in header:
        name = h or "column"
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return [f"input_{h}" if h in RESULT_COLUMNS else h for h in out]
