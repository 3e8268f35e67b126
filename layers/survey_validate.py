"""Validation of survey rows before they reach the database: every reason names file, row and field.

Works on whole columns (numpy / pandas / shapely 2) so that a million rows validate in
seconds. The checks that need the inventory (identifier already present, duplicate of a
stored component) run in SQL at staging time (`layers.survey_import`).
"""

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePosixPath

import numpy as np
import pandas as pd
import shapely

from gis.crs import swapped_lon_lat
from grid_codes.classes import ClassInfo, ClassTable, Scheme
from grid_codes.component_id import ComponentId
from grid_codes.errors import InvalidCode
from layers.components import DEFAULT_STATE, GEOMETRY_KINDS, STANDARD_FIELDS, STATES
from layers.distinct_values import from_distinct
from layers.spreadsheet_errors import ERROR_VALUES, error_value_reason, holding_error_values
from layers.survey_classes import class_codes, class_named_by, unread_reason
from layers.survey_dates import Dates, date_cells_of_day_zero, parse_dates
from layers.survey_duplicates import earlier_duplicates
from layers.survey_locate import anchors

ID_LENGTH = {"legacy": 16, "gb47678": 17}
MANDATORY = ("competent_dept_name",)  # GB/T 47678.5 table 2: M fields with no default
_AS_NUMBER = re.compile(r"[0-9](\.[0-9]+)?[eE]\+?[0-9]+|[0-9]+\.0*")  # 4.4030401001e+16, 44030401001000000.0
# A Double field (a .dbf N field, a File Geodatabase Double) hands a whole number over as 4403040101000123.0:
# exact below 2^53, under which a double holds every whole number; a 17-digit code lies above and lost digits
_WHOLE_NUMBER_ID = re.compile(r"([0-9]+)\.0*")
_EXACT_IN_A_DOUBLE = 2**53
# 440304-01003-000001, 440304 01003 000001 (not a dot: 4403040100100001.0 is a number, see _WHOLE_NUMBER_ID)
_SEPARATED_DIGITS = re.compile(r"[0-9]+(?:[ \-_/][0-9]+)*")
_ID_SEPARATORS = re.compile(r"[ \-_/]")


@dataclass(frozen=True)
class Rejection:
    """One reason one row cannot be loaded."""

    file: str
    row: int
    field: str
    reason: str


@dataclass(frozen=True)
class FileColumns:
    """What one file's columns carry: the standard fields (after the mapping and --fill) and the free
    attributes, and whether it has coordinates. An upsert takes the fields, attributes and position a
    file does not carry from the stored version, so that a sheet of identifiers and states updates the
    states alone."""

    fields: frozenset[str]
    attributes: tuple[str, ...]
    positioned: bool = True


@dataclass
class SurveyRows:
    """All rows of one import, in onemap's standard fields, geometries in EPSG:4490."""

    files: np.ndarray  # source file name per row
    rows: np.ndarray  # row / feature number per row, as the user sees it in that file
    fields: pd.DataFrame  # one column per standard field (object dtype, None when absent)
    attributes: list[dict] | pd.DataFrame  # free attributes per row (jsonb): dicts, or a frame's columns
    geometries: np.ndarray  # shapely geometries in EPSG:4490 (None where absent)
    # per row, why its file gave no geometry although it held coordinates (None elsewhere)
    geometry_problems: np.ndarray | None = None
    # per row, the name of its layer or file: the class of rows that name none, when it names one
    sources: np.ndarray | None = None
    # per row, its file's FileColumns (None: every row carries every field, as a written feature does)
    columns: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class ValidationContext:
    scheme: Scheme
    table: ClassTable
    city: shapely.Geometry  # the loaded counties, EPSG:4490
    county_codes: frozenset[str]
    zone_epsg: int  # metric CRS for distances
    class_code: str | None = None  # --class: every row is of this class
    duplicate_distance_m: float = 0.5
    fill: tuple[tuple[str, str], ...] = ()  # --fill: (standard field, value) for rows that leave it empty
    # upsert: a mandatory field a row's file has no column for is taken from the stored version, so it
    # is checked after staging (layers.survey_import), not here
    carry_forward: bool = False
    # upsert: gives the rows of files without coordinate columns their stored positions, returns notes
    # (layers.survey_positions); runs once identifiers are read plainly, before geometries are checked
    keep_positions: Callable[[SurveyRows], list[str]] | None = None
    today: date = field(default_factory=date.today)


@dataclass
class Validated:
    """Rows after validation: the columns ready to load, which rows are valid, and why not."""

    rows: SurveyRows
    class_codes: np.ndarray
    geometry_types: np.ndarray
    valid: np.ndarray
    rejections: list[Rejection]
    notes: list[str] = field(default_factory=list)  # per file, values read from another written form


class _Collector:
    def __init__(self, rows: SurveyRows) -> None:
        self.rows = rows
        self.valid = np.ones(len(rows), dtype=bool)
        self.rejections: list[Rejection] = []
        self.notes: list[str] = []
        self.error_values: dict[str, np.ndarray] = {}  # per standard field, the rows that held #N/A &c.

    def reject(self, mask: np.ndarray, field_name: str, reasons: Sequence[str] | str) -> None:
        indices = np.flatnonzero(mask)
        if isinstance(reasons, str):
            reasons = [reasons] * len(indices)
        for i, reason in zip(indices, reasons, strict=True):
            self.rejections.append(Rejection(str(self.rows.files[i]), int(self.rows.rows[i]),
                                             field_name, reason))
        self.valid[indices] = False


def _text(column: pd.Series) -> pd.Series:
    """Strings stripped, with blanks and NaN as None."""
    kind = pd.api.types.infer_dtype(column, skipna=True)
    if kind == "empty":
        return pd.Series(pd.NA, index=column.index, dtype=object)
    if kind == "string":  # strip each distinct value once
        codes, distinct = pd.factorize(column)
        if len(distinct) * 2 <= len(column):
            cleaned = _text(pd.Series(distinct, dtype=object)).to_numpy(dtype=object)
            return pd.Series(from_distinct(cleaned, codes, pd.NA), index=column.index, dtype=object)
    as_text = column.astype("string").str.strip()
    return as_text.where(as_text.notna() & (as_text != ""), None).astype(object)


def validate(rows: SurveyRows, ctx: ValidationContext) -> Validated:
    """Check every row; return what is loadable and a rejection per failed check."""
    out = _Collector(rows)
    date_cells_of_day_zero(rows.fields)
    f = rows.fields = rows.fields.apply(_text)
    _check_error_values(rows, out)
    _plain_identifiers(rows, out)
    if ctx.keep_positions is not None:
        out.notes.extend(ctx.keep_positions(rows))
    _check_geometries(rows, ctx, out)
    classes = _check_classes(rows, ctx, out)
    types = _check_geometry_types(rows, classes, ctx, out)
    _check_identifiers(rows, classes, ctx, out)
    _fill_defaults(f, classes, ctx, out)
    _check_attributes(rows, ctx, out)
    _check_duplicates(rows, classes, types, ctx, out)
    return Validated(rows, classes, types, out.valid, out.rejections, out.notes)


def _check_error_values(rows: SurveyRows, out: _Collector) -> None:
    """A row holding an Excel error value (#N/A) is rejected; its field is then read as empty, so that no
    other check reports the same cell again."""
    for name, found in holding_error_values(rows.fields):
        out.reject(found, name, [error_value_reason(name, v) for v in rows.fields[name][found]])
        rows.fields.loc[found, name] = None
        out.error_values[name] = found
    if isinstance(rows.attributes, pd.DataFrame):
        for name, found in holding_error_values(rows.attributes):
            out.reject(found, name, [error_value_reason(name, v) for v in rows.attributes[name][found]])
        return
    for i, attributes in enumerate(rows.attributes):
        for name, value in attributes.items():
            if isinstance(value, str) and value in ERROR_VALUES:
                out.reject(np.arange(len(rows)) == i, name, error_value_reason(name, value))


def _check_geometries(rows: SurveyRows, ctx: ValidationContext, out: _Collector) -> None:
    geoms = rows.geometries
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    problems = rows.geometry_problems
    out.reject(missing, "geometry", [
        (problems[i] if problems is not None else None) or "no geometry or coordinates"
        for i in np.flatnonzero(missing)])
    present = ~missing
    # a point is its own centroid and point on surface: only other geometries are computed
    kinds = np.where(shapely.get_type_id(geoms) == 0, "point", "other")
    shaped = present & (kinds != "point")
    centre_points = geoms.copy()
    centre_points[shaped] = shapely.centroid(geoms[shaped])
    centres = np.full((len(geoms), 2), np.nan)
    centres[present] = shapely.get_coordinates(centre_points[present])
    swapped = present & swapped_lon_lat(centres[:, 0], centres[:, 1])
    out.reject(swapped, "geometry", [
        f"longitude and latitude look swapped (x={x:.6f}, y={y:.6f})" for x, y in centres[swapped]])
    checkable = present & ~swapped
    invalid = checkable.copy()
    invalid[checkable] = ~shapely.is_valid(geoms[checkable])
    out.reject(invalid, "geometry", [f"invalid geometry: {shapely.is_valid_reason(g)}"
                                     for g in geoms[invalid]])
    shapely.prepare(ctx.city)
    outside = checkable & ~invalid
    outside[outside] = ~shapely.covers(ctx.city, anchors(geoms[outside], kinds[outside]))
    out.reject(outside, "geometry", [
        f"outside the city (at {x:.6f}, {y:.6f})" for x, y in centres[outside]])


def _check_classes(rows: SurveyRows, ctx: ValidationContext, out: _Collector) -> np.ndarray:
    f = rows.fields
    if ctx.class_code is None:
        written, notes = class_codes(f["class_code"].to_numpy(dtype=object), rows.files, ctx.scheme,
                                     ctx.table)
        out.notes.extend(notes)
        given = pd.Series(written, index=f.index, dtype=object)
    else:
        given = pd.Series([ctx.class_code] * len(rows), index=f.index, dtype=object)
    size = 4 if ctx.scheme == "legacy" else 5
    ids = f["id"].astype(object)
    from_id = ids.str.slice(6, 6 + size).where((ids.str.len() > 6 + size) & ids.str.fullmatch("[0-9]+"), None)
    codes = given.where(given.notna(), from_id).to_numpy(dtype=object)
    if rows.sources is not None and pd.isna(codes).any():
        codes = _classes_from_sources(codes, rows, ctx, out)
    out.reject(pd.isna(codes), "class_code",
               "no class code: give --class, a class field, an identifier, or a layer, file or delivery "
               "folder named by the class")
    known: dict[str, str | None] = {}
    for code in pd.unique(codes[~pd.isna(codes)]):
        try:
            ctx.table.lookup(ctx.scheme, "component", str(code))
            known[code] = None
        except InvalidCode as error:
            known[code] = unread_reason(str(code), ctx.scheme, ctx.table) or str(error)
    bad = np.array([isinstance(c, str) and known.get(c) is not None for c in codes], dtype=bool)
    out.reject(bad, "class_code", [str(known[c]) for c in codes[bad]])
    return codes


def _classes_from_sources(written: np.ndarray, rows: SurveyRows, ctx: ValidationContext,
                          out: _Collector) -> np.ndarray:
    """The class codes, where a row names none the class its layer or file is named by (a census
    delivered as a layer or a Shapefile per class, 污水井盖.shp), else the class the nearest folder
    around its file within the delivery is named by (01013园林井盖/福田街道.shp), with a note per file."""
    assert rows.sources is not None
    codes = written.copy()
    missing = pd.isna(codes)
    notes: list[tuple[int, str]] = []  # (first row, note): in the order of the files
    for source in pd.unique(rows.sources[missing]):
        code = class_named_by(str(source), ctx.scheme, ctx.table)
        if code is not None:
            _take(codes, missing & (rows.sources == source), code, f"the name {source!r}", rows, ctx, notes)
    missing = pd.isna(codes)
    for file in pd.unique(rows.files[missing]):
        folder, code = next(((name, code) for name in reversed(PurePosixPath(str(file)).parent.parts)
                             if (code := class_named_by(name, ctx.scheme, ctx.table)) is not None),
                            (None, None))
        if code is not None:
            _take(codes, missing & (rows.files == file), code, f"the folder {folder!r}", rows, ctx, notes)
    out.notes.extend(note for _, note in sorted(notes))
    return codes


def _take(codes: np.ndarray, taken: np.ndarray, code: str, origin: str, rows: SurveyRows,
          ctx: ValidationContext, notes: list[tuple[int, str]]) -> None:
    """Give the `taken` rows the class `code`, with a note per file of them."""
    codes[taken] = code
    what = f"without a class take {code} ({_name_of(ctx.table.get(ctx.scheme, 'component', code))})"
    for file in pd.unique(rows.files[taken]):
        in_file = taken & (rows.files == file)
        notes.append((int(np.argmax(in_file)), f"{file}: {int(in_file.sum())} row(s) {what} from {origin}"))


def _check_geometry_types(rows: SurveyRows, classes: np.ndarray, ctx: ValidationContext,
                          out: _Collector) -> np.ndarray:
    geoms = rows.geometries
    ok = out.valid.copy()
    type_ids = np.full(len(geoms), -1)
    type_ids[ok] = shapely.get_type_id(geoms[ok])
    actual = pd.Series(type_ids).map(GEOMETRY_KINDS).fillna("other").to_numpy(dtype=object)
    inferred = {c: ctx.table.lookup(ctx.scheme, "component", c).geometry_type_inferred or "point"
                for c in pd.unique(classes[ok])}
    expected = np.full(len(geoms), None, dtype=object)
    expected[ok] = [inferred[c] for c in classes[ok]]
    _areas_of_closed_lines(rows, np.flatnonzero((actual == "line") & (expected == "polygon")), actual, out)
    wrong = ok & (actual != expected)
    out.reject(wrong, "geometry", [f"class {classes[i]} expects a {expected[i]}, got a {geoms[i].geom_type}"
                                   for i in np.flatnonzero(wrong)])
    return expected


def _areas_of_closed_lines(rows: SurveyRows, lines: np.ndarray, actual: np.ndarray, out: _Collector) -> None:
    """Lines of a class that is an area whose every part closes on itself (a CAD polyline drawn round a
    public toilet) become the polygons they enclose, in place, with a note per file; a ring that encloses
    no valid area stays a line, for the geometry type check to refuse."""
    areas: dict[int, shapely.Geometry] = {}
    for i in lines:
        parts = shapely.get_parts(rows.geometries[i])
        if all(part.is_closed and len(part.coords) >= 4 for part in parts):
            polygons = [shapely.Polygon(part.coords) for part in parts]
            area = polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)
            if area.is_valid:
                areas[int(i)] = area
    for i, area in areas.items():
        rows.geometries[i] = area
        actual[i] = "polygon"
    for file, count in Counter(str(rows.files[i]) for i in areas).items():
        out.notes.append(f"{file}: {count} closed line(s) of an area class read as the areas they enclose")


def _plain_identifiers(rows: SurveyRows, out: _Collector) -> None:
    """Identifiers written in forms that lose nothing of the code read as its digits, in place, with a note
    per form: full-width digits (a Chinese input method), a leading apostrophe (Excel's mark for text that
    would otherwise become a number), separators between the code's parts (440304-01003-000001), and a whole
    number below 2^53 that a Double field holds exactly (4403040101000123.0). Other separated digits that are
    not 16 or 17 digits, and numbers that lost digits, are left as written, for the identifier check to
    explain."""
    ids = rows.fields["id"]
    given = ids.notna().to_numpy()
    if not given.any():  # the database allocates them all
        return
    written = given & ~ids.astype(object).str.fullmatch("[0-9]+").fillna(True).to_numpy(bool)
    separated: dict[str, str] = {}
    numbers: dict[str, str] = {}
    for text in pd.unique(ids[written]):
        plain = unicodedata.normalize("NFKC", str(text)).strip().removeprefix("'")
        if (number := _WHOLE_NUMBER_ID.fullmatch(plain)) and int(number[1]) < _EXACT_IN_A_DOUBLE:
            numbers[str(text)] = number[1]
        elif _SEPARATED_DIGITS.fullmatch(plain) and len(digits := _ID_SEPARATORS.sub("", plain)) in (16, 17):
            separated[str(text)] = digits
    _read_identifiers(rows, separated, out, "identifier(s) written with full-width digits, a leading "
                                            "apostrophe or separators read as their digits")
    _read_identifiers(rows, numbers, out, "identifier(s) stored as numbers read as their digits")


def _read_identifiers(rows: SurveyRows, read: dict[str, str], out: _Collector, what: str) -> None:
    """Replace the identifiers written as a key of `read` by its value, in place, with a note counting
    them."""
    if not read:
        return
    ids = rows.fields["id"]
    changed = ids.isin(list(read)).to_numpy()
    first = int(np.argmax(changed))
    out.notes.append(_counted(changed, rows, what, first, f"{ids.iloc[first]!r} as {read[ids.iloc[first]]}"))
    rows.fields.loc[changed, "id"] = ids[changed].map(read)


def _check_identifiers(rows: SurveyRows, classes: np.ndarray, ctx: ValidationContext,
                       out: _Collector) -> None:
    ids = rows.fields["id"].to_numpy(dtype=object)
    given = ~pd.isna(ids)
    reasons: dict[int, str] = {}
    for i in map(int, np.flatnonzero(given)):
        text = ids[i]
        if _AS_NUMBER.fullmatch(text):
            reasons[i] = (f"identifier {text} was stored as a number, which keeps 15 significant digits "
                          "and so loses a 16- or 17-digit code: store the column as text and enter the "
                          "codes again")
            continue
        try:
            parsed = ComponentId.parse(text)
        except InvalidCode as error:
            reasons[i] = str(error)
            continue
        if len(text) != ID_LENGTH[ctx.scheme]:
            reasons[i] = (f"identifier {text} has {len(text)} digits; the {ctx.scheme} scheme uses "
                          f"{ID_LENGTH[ctx.scheme]}")
        elif isinstance(classes[i], str) and parsed.class_code.code != classes[i]:
            reasons[i] = (f"identifier {text} is of class {parsed.class_code.code}, "
                          f"the row of class {classes[i]}")
        elif text[:6] not in ctx.county_codes:
            reasons[i] = f"identifier {text} belongs to county {text[:6]}, not a loaded county"
    mask = np.zeros(len(ids), dtype=bool)
    mask[list(reasons)] = True
    out.reject(mask, "id", [reasons[int(i)] for i in np.flatnonzero(mask)])
    series = pd.Series(ids)
    repeated = (given & series.duplicated(keep="first").to_numpy())
    if not repeated.any():
        return
    first_of = {v: i for i, v in reversed(list(enumerate(ids))) if isinstance(v, str)}
    out.reject(repeated, "id", [
        f"identifier {ids[i]} is also used in {rows.files[first_of[ids[i]]]} row "
        f"{rows.rows[first_of[ids[i]]]}" for i in np.flatnonzero(repeated)])


def _fill_defaults(f: pd.DataFrame, classes: np.ndarray, ctx: ValidationContext, out: _Collector) -> None:
    """--fill's values first, each with a note; then 名称 defaults to the class's standard name (GB/T
    47678.5: 标准名称) and state to 完好."""
    for name, value in ctx.fill:
        empty = f[name].isna()
        if empty.any():
            f[name] = f[name].where(~empty, value)
            out.notes.append(f"{int(empty.sum())} row(s) without {name} take {value!r} (--fill)")
    present = pd.unique(classes[~pd.isna(classes)])
    names = {c: ctx.table.get(ctx.scheme, "component", c) for c in present}
    default_names = pd.Series([_name_of(names.get(c)) if isinstance(c, str) else None
                               for c in classes], index=f.index, dtype=object)
    f["name"] = f["name"].where(f["name"].notna(), default_names)
    f["state"] = f["state"].where(f["state"].notna(), DEFAULT_STATE)


def _name_of(info: ClassInfo | None) -> str | None:
    return info.name if info is not None else None


def _check_attributes(rows: SurveyRows, ctx: ValidationContext, out: _Collector) -> None:
    f = rows.fields
    for name in MANDATORY:
        empty = f[name].isna().to_numpy() & ~out.error_values.get(name, False)
        if ctx.carry_forward:
            empty = empty & carries(rows, name)
        out.reject(empty, name, mandatory_empty(name))
    bad_state = ~f["state"].isin(STATES).to_numpy()
    out.reject(bad_state, "state", [f"state {s!r} is not one of {'/'.join(STATES)}"
                                    for s in f["state"][bad_state]])
    too_long = (f["note"].astype(object).str.len() > 1000).to_numpy()
    out.reject(too_long, "note", "note is longer than 1000 characters")
    parsed = {}
    for column in ("initial_date", "change_date"):
        text = f[column]
        dates = parse_dates(text)
        out.notes.extend(_date_notes(column, text, dates, rows))
        text = text.where(~(dates.no_date | dates.day_zero), None)
        unreadable = text.notna().to_numpy() & dates.parsed.isna().to_numpy()
        out.reject(unreadable, column, [f"{column} {v!r} is not a date (YYYYMMDD, YYYY-MM-DD, YYYY/MM/DD, "
                                        "YYYY.MM.DD or YYYY年MM月DD日)"
                                        for v in text[unreadable]])
        future = (dates.parsed > pd.Timestamp(ctx.today)).to_numpy(dtype=bool)
        out.reject(future, column, [f"{column} {v} lies in the future" for v in text[future]])
        f[column] = dates.iso_text
        parsed[column] = dates.parsed
    backwards = (parsed["change_date"] < parsed["initial_date"]).to_numpy(dtype=bool)
    out.reject(backwards, "change_date", "change_date is before initial_date")


def carries(rows: SurveyRows, name: str) -> np.ndarray:
    """Per row, whether its file has a column for the standard field `name`."""
    return per_file(rows, lambda columns: name in columns.fields)


def per_file(rows: SurveyRows, test: Callable[[FileColumns], bool]) -> np.ndarray:
    """Per row, `test` of its file's FileColumns, worked out once per file; True for rows without
    FileColumns (a written feature carries every field)."""
    if rows.columns is None:
        return np.ones(len(rows), dtype=bool)
    codes, distinct = pd.factorize(rows.columns)
    return from_distinct(np.array([test(c) for c in distinct], dtype=bool), codes, True)


def mandatory_empty(name: str) -> str:
    return f"mandatory {STANDARD_FIELDS[name]} ({name}) is empty"


def _counted(mask: np.ndarray, rows: SurveyRows, what: str, first: int, detail: str) -> str:
    """A note counting the rows of `mask`, with the file and row of the `first` of them and its `detail`."""
    return f"{int(mask.sum())} {what} (first: {rows.files[first]} row {rows.rows[first]}: {detail})"


def _date_notes(column: str, text: pd.Series, dates: Dates, rows: SurveyRows) -> list[str]:
    """A note for each form of date cell read otherwise than as written, counting its rows."""
    forms = ((dates.no_date, f"{column} value(s) that say there is no date read as empty", False),
             (dates.day_zero, f"row(s) with {column} 1899-12-30, the empty date of ArcGIS and Excel, read as "
                              "no date", False),
             (dates.day_number, f"{column} value(s) written as a spreadsheet's day number (a date cell that "
                                "lost its format) read as that day", True))
    notes = []
    for mask, what, shown_as_read in forms:
        if mask.any():
            first = int(np.argmax(mask))
            detail = (f"{text.iloc[first]} as {dates.iso_text.iloc[first]}" if shown_as_read
                      else repr(text.iloc[first]))
            notes.append(_counted(mask, rows, what, first, detail))
    return notes


def _check_duplicates(rows: SurveyRows, classes: np.ndarray, types: np.ndarray,
                      ctx: ValidationContext, out: _Collector) -> None:
    """A double survey of one object (`layers.survey_duplicates`): the later row is refused, naming
    the earliest row of its class near it."""
    candidates = np.flatnonzero(out.valid)
    # rows of one class share a geometry type (checked above): points and the rest are paired apart
    pairs = []
    for points in (True, False):
        chosen = candidates[(types[candidates] == "point") == points]
        pairs.append(chosen[earlier_duplicates(rows.geometries[chosen], classes[chosen], points,
                                               ctx.zone_epsg, ctx.duplicate_distance_m)])
    earlier, later = np.concatenate(pairs, axis=1)
    of = dict(zip(later.tolist(), earlier.tolist(), strict=True))
    mask = np.zeros(len(rows), dtype=bool)
    mask[later] = True
    out.reject(mask, "geometry", [
        f"duplicate: same class {classes[i]} as {rows.files[of[i]]} row {rows.rows[of[i]]} "
        f"within {ctx.duplicate_distance_m} m" for i in map(int, np.flatnonzero(mask))])
