"""Validation of survey rows before they reach the database: every reason names file, row and field.

Works on whole columns (numpy / pandas / shapely 2) so that a million rows validate in
seconds. The checks that need the inventory (identifier already present, duplicate of a
stored component) run in SQL at staging time (`layers.survey_import`).
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePosixPath

import numpy as np
import pandas as pd
import shapely

from gis.crs import metres_to, swapped_lon_lat
from grid_codes.classes import ClassInfo, ClassTable, Scheme
from grid_codes.errors import InvalidCode
from layers.components import DEFAULT_STATE, GEOMETRY_KINDS, STANDARD_FIELDS, STATES
from layers.credit_codes import is_credit_code
from layers.distinct_values import from_distinct
from layers.spreadsheet_errors import ERROR_VALUES, error_value_reason, holding_error_values
from layers.survey_classes import class_codes, class_named_by, listed_class, unread_reason
from layers.survey_dates import Dates, date_cells_of_day_zero, parse_dates
from layers.survey_duplicates import earlier_duplicates
from layers.survey_identifiers import check_identifiers, plain_identifiers, refuse_lost_digits
from layers.survey_locate import anchors
from layers.survey_lost_text import lost_value
from layers.survey_rows import Collector, Rejection, SurveyRows, carries, counted, per_file
from layers.survey_versions import check_versions

MANDATORY = ("competent_dept_name",)  # GB/T 47678.5 table 2: M fields with no default


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
    # upsert: which rows (identifiers, geometries) lie where their current component lies; such a row is
    # not refused as a duplicate (layers.survey_positions)
    in_place: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
    today: date = field(default_factory=date.today)
    # upsert, replace: rows carry the version they were exported from, compared with the inventory at
    # staging (layers.survey_versions); a time written without an offset is the city's (timezone)
    versions: bool = False
    timezone: str = "Asia/Shanghai"


@dataclass
class Validated:
    """Rows after validation: the columns ready to load, which rows are valid, and why not."""

    rows: SurveyRows
    class_codes: np.ndarray
    geometry_types: np.ndarray
    valid: np.ndarray
    rejections: list[Rejection]
    notes: list[str] = field(default_factory=list)  # per file, values read from another written form


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
    out = Collector(rows)
    date_cells_of_day_zero(rows.fields)
    f = rows.fields = rows.fields.apply(_text)
    _check_error_values(rows, out)
    if ctx.versions:
        check_versions(rows, ctx.timezone, out)
    plain_identifiers(rows, out)
    lost = refuse_lost_digits(rows, out)
    if ctx.keep_positions is not None:
        out.notes.extend(ctx.keep_positions(rows))
    _check_geometries(rows, ctx, out, lost)
    classes = _check_classes(rows, ctx, out, lost)
    types = _check_geometry_types(rows, classes, ctx, out)
    check_identifiers(rows, classes, ctx.scheme, ctx.county_codes, out, lost=lost)
    _fill_defaults(f, classes, ctx, out)
    _check_attributes(rows, ctx, out)
    _check_duplicates(rows, classes, types, ctx, out)
    return Validated(rows, classes, types, out.valid, out.rejections, out.notes)


def _check_error_values(rows: SurveyRows, out: Collector) -> None:
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


def _check_geometries(rows: SurveyRows, ctx: ValidationContext, out: Collector, lost: np.ndarray) -> None:
    """`lost`: rows whose identifier became a number; one of a file without coordinates has no position
    because of it, which the identifier's reason says."""
    geoms = rows.geometries
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    problems = rows.geometry_problems
    told = missing & lost
    if told.any():  # a per-file pass only when an identifier became a number
        told &= ~per_file(rows, lambda columns: columns.positioned)
    out.reject(missing & ~told, "geometry", [
        (problems[i] if problems is not None else None) or "no geometry or coordinates"
        for i in np.flatnonzero(missing & ~told)])
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
    located = anchors(geoms[outside])
    beyond = ~shapely.covers(ctx.city, located)
    outside[outside] = beyond
    away = metres_to(ctx.city, located[beyond]) if beyond.any() else np.zeros(0)
    # the point named is the one measured from, which lies on the row's geometry (a centroid may not)
    out.reject(outside, "geometry", [
        f"outside the city (at {x:.6f}, {y:.6f}){_how_far(metres)}"
        for (x, y), metres in zip(shapely.get_coordinates(located[beyond]), away, strict=True)])
    out.notes.extend(_files_outside(rows, present, outside, away))


def _files_outside(rows: SurveyRows, present: np.ndarray, outside: np.ndarray, away: np.ndarray) -> list[str]:
    """A note for each file whose every row with a geometry lies outside the city, with how far: one reason
    then explains them all (a survey of another place, or coordinates read in the wrong CRS)."""
    notes = []
    distances = np.full(len(outside), np.nan)
    distances[outside] = away
    for file in pd.unique(rows.files[outside]):
        mine = rows.files == file
        if (outside[mine] == present[mine]).all() and outside[mine].sum() > 1:
            far = distances[mine & outside]
            span = (f", {_distance(np.nanmin(far))} to {_distance(np.nanmax(far))} from its boundary"
                    if np.isfinite(far).any() else "")
            count = int(outside[mine].sum())
            notes.append(f"{file}: every one of its {count} rows lies outside the city{span}: a survey of "
                         "another place, or coordinates in another CRS than the one they were read in "
                         "(--crs)")
    return notes


def _distance(metres: float) -> str:
    return f"{metres:.0f} m" if metres < 1000 else f"{metres / 1000:.1f} km"


def _how_far(metres: float) -> str:
    """How far a row outside the city lies from it: a few metres is a point on the boundary or a city
    extent drawn short, a few kilometres a typo in a digit, hundreds of kilometres the wrong CRS."""
    return f", {_distance(metres)} from its boundary" if np.isfinite(metres) else ""


def _check_classes(rows: SurveyRows, ctx: ValidationContext, out: Collector, lost: np.ndarray) -> np.ndarray:
    """The class of each row (None where none is given); `lost`: rows whose identifier became a number, which
    are not refused again for want of the class the identifier would give."""
    f = rows.fields
    if ctx.class_code is None:
        written, notes = class_codes(f["class_code"].to_numpy(dtype=object), rows.files, ctx.scheme,
                                     ctx.table)
        out.notes.extend(notes)
        given = pd.Series(written, index=f.index, dtype=object)
    else:
        given = pd.Series([ctx.class_code] * len(rows), index=f.index, dtype=object)
        _check_given_class(rows, ctx.class_code, ctx, out)
    size = 4 if ctx.scheme == "legacy" else 5
    ids = f["id"].astype(object)
    from_id = ids.str.slice(6, 6 + size).where((ids.str.len() > 6 + size) & ids.str.fullmatch("[0-9]+"), None)
    codes = given.where(given.notna(), from_id).to_numpy(dtype=object)
    if rows.sources is not None and pd.isna(codes).any():
        codes = _classes_from_sources(codes, rows, ctx, out)
    if pd.isna(codes).any():
        codes = _classes_from_names(codes, rows, ctx, out)
    conflicting = (pd.notna(rows.class_problems) if rows.class_problems is not None and ctx.class_code is None
                   else np.zeros(len(rows), dtype=bool))
    if conflicting.any():
        assert rows.class_problems is not None
        codes = np.where(conflicting, None, codes)
        out.reject(conflicting, "class_code", list(rows.class_problems[conflicting]))
    out.reject(pd.isna(codes) & ~conflicting & ~lost, "class_code",
               "no class code: give --class, a class field, an identifier, or a layer, file or delivery "
               "folder named by the class")
    known: dict[str, str | None] = {}
    for code in pd.unique(codes[~pd.isna(codes)]):
        try:
            ctx.table.lookup(ctx.scheme, "component", str(code))
            known[code] = None
        except InvalidCode as error:
            garbled = lost_value(code)
            known[code] = (f"class {garbled}, not a class name for a mapping to read: correct the row from "
                           "the original survey" if garbled is not None
                           else unread_reason(str(code), ctx.scheme, ctx.table) or str(error))
    bad = np.array([isinstance(c, str) and known.get(c) is not None for c in codes], dtype=bool)
    out.reject(bad, "class_code", [str(known[c]) for c in codes[bad]])
    return codes


def _check_given_class(rows: SurveyRows, class_code: str, ctx: ValidationContext, out: Collector) -> None:
    """Rows whose own class column names another listed class than --class gives are refused: --class is
    for files without a class, and silently recoding a lamp as a manhole cover loses what the survey said.
    Values that name no listed class (another scheme's codes, notes) give way to --class."""
    written = rows.fields["class_code"].to_numpy(dtype=object)
    if pd.isna(written).all():
        return
    read, _ = class_codes(written, rows.files, ctx.scheme, ctx.table)
    codes, distinct = pd.factorize(read)
    other = from_distinct(np.array([code != class_code and ctx.table.get(ctx.scheme, "component", str(code))
                                    is not None for code in distinct], dtype=bool), codes, False)
    out.reject(other, "class_code", [
        f"the row's class {value if value == code else f'{value!r} ({code})'} is not {class_code}, the class "
        "--class gives" for value, code in zip(written[other], read[other], strict=True)])


def _classes_from_sources(written: np.ndarray, rows: SurveyRows, ctx: ValidationContext,
                          out: Collector) -> np.ndarray:
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


def _classes_from_names(written: np.ndarray, rows: SurveyRows, ctx: ValidationContext,
                        out: Collector) -> np.ndarray:
    """The class codes, where a row names no class otherwise the class whose standard name its 部件名称 is
    (污水井盖, or 01002污水井盖): forms whose only column for what a component is is its name. One note."""
    names = rows.fields["name"].to_numpy(dtype=object)
    missing = pd.isna(written) & pd.notna(names)
    if not missing.any():
        return written
    codes, distinct = pd.factorize(names[missing])
    named = [None if str(name).isdigit() else listed_class(str(name), ctx.scheme, ctx.table)
             for name in distinct]
    result = written.copy()
    result[missing] = from_distinct(np.array(named, dtype=object), codes, None)
    taken = missing & pd.notna(result)
    if taken.any():
        first = int(np.argmax(taken))
        what = "row(s) without a class take the class whose standard name their name (部件名称) is"
        out.notes.append(counted(taken, rows, what, first, f"{names[first]} → {result[first]}"))
    return result


def _take(codes: np.ndarray, taken: np.ndarray, code: str, origin: str, rows: SurveyRows,
          ctx: ValidationContext, notes: list[tuple[int, str]]) -> None:
    """Give the `taken` rows the class `code`, with a note per file of them."""
    codes[taken] = code
    what = f"without a class take {code} ({_name_of(ctx.table.get(ctx.scheme, 'component', code))})"
    for file in pd.unique(rows.files[taken]):
        in_file = taken & (rows.files == file)
        notes.append((int(np.argmax(in_file)), f"{file}: {int(in_file.sum())} row(s) {what} from {origin}"))


def _check_geometry_types(rows: SurveyRows, classes: np.ndarray, ctx: ValidationContext,
                          out: Collector) -> np.ndarray:
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


def _areas_of_closed_lines(rows: SurveyRows, lines: np.ndarray, actual: np.ndarray, out: Collector) -> None:
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


def _fill_defaults(f: pd.DataFrame, classes: np.ndarray, ctx: ValidationContext, out: Collector) -> None:
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


def _check_attributes(rows: SurveyRows, ctx: ValidationContext, out: Collector) -> None:
    f = rows.fields
    for name in MANDATORY:
        empty = f[name].isna().to_numpy() & ~out.error_values.get(name, False)
        if ctx.carry_forward:
            empty = empty & carries(rows, name)
        out.reject(empty, name, mandatory_empty(name))
    bad_state = ~f["state"].isin(STATES).to_numpy()
    out.reject(bad_state, "state", [f"state {s!r} is not one of {'/'.join(STATES)}"
                                    for s in f["state"][bad_state]])
    if bad_state.any():
        out.notes.append(_unknown_states_note(f["state"][bad_state]))
    out.notes.extend(_department_code_notes(rows))
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


def _unknown_states_note(written: pd.Series) -> str:
    """How to read a contractor's own states (待修, 正常使用) as standard ones: the refused rows' states, the
    most frequent first, and the mapping section that reads them; never for a value that lost its Chinese
    (??, å®Œå¥½), which no mapping line should read."""
    counts = written.astype(str).value_counts()
    listed = ", ".join(f"{value} ×{count}" for value, count in counts.head(5).items())
    more = f" and {len(counts) - 5} other(s)" if len(counts) > 5 else ""
    note = f"{len(written)} row(s) refused for a state that is none of {'/'.join(STATES)} ({listed}{more})"
    lost = {value: why for value in counts.index if (why := lost_value(value)) is not None}
    if mappable := [value for value in counts.index if value not in lost]:
        note += (": a states: section in the mapping (--mapping) reads such a value as a standard state, a "
                 f"line each ({mappable[0]}: 破损)")
    if lost:
        note += (f"; {next(iter(lost.values()))}, which no states: line should read: correct such rows from "
                 "the original survey")
    return note


def _department_code_notes(rows: SurveyRows) -> list[str]:
    """A note per department code column counting the codes that are no unified social credit code, which
    GB/T 47678.5 asks for: the rows load, since a city may code its departments otherwise."""
    notes = []
    for column in ("competent_dept_code", "owner_dept_code", "maintainer_dept_code"):
        codes, distinct = pd.factorize(rows.fields[column])
        if not len(distinct):
            continue
        wrong = from_distinct(np.array([not is_credit_code(str(v)) for v in distinct]), codes, False)
        if wrong.any():
            first = int(np.argmax(wrong))
            notes.append(counted(wrong, rows, f"row(s) with a {column} that is no unified social credit code "
                                              "(18 characters with their check character, GB 32100)", first,
                                 repr(rows.fields[column].iloc[first])))
    return notes


def mandatory_empty(name: str) -> str:
    return f"mandatory {STANDARD_FIELDS[name]} ({name}) is empty"


def _date_notes(column: str, text: pd.Series, dates: Dates, rows: SurveyRows) -> list[str]:
    """A note for each form of date cell read otherwise than as written, counting its rows."""
    forms = ((dates.no_date, f"{column} value(s) that say there is no date read as empty", False),
             (dates.day_zero, f"row(s) with {column} 1899-12-30, the empty date of ArcGIS and Excel, read as "
                              "no date", False),
             (dates.day_number, f"{column} value(s) written as a spreadsheet's day number (a date cell that "
                                "lost its format) read as that day", True),
             (dates.month_only, f"{column} value(s) giving only a year and month read as the month's "
                                "first day", True))
    notes = []
    for mask, what, shown_as_read in forms:
        if mask.any():
            first = int(np.argmax(mask))
            detail = (f"{text.iloc[first]} as {dates.iso_text.iloc[first]}" if shown_as_read
                      else repr(text.iloc[first]))
            notes.append(counted(mask, rows, what, first, detail))
    return notes


def _check_duplicates(rows: SurveyRows, classes: np.ndarray, types: np.ndarray,
                      ctx: ValidationContext, out: Collector) -> None:
    """A double survey of one object (`layers.survey_duplicates`): the later row is refused, naming
    the earliest row of its class near it, unless it is an upsert's row where its component lies."""
    candidates = np.flatnonzero(out.valid)
    # rows of one class share a geometry type (checked above): points and the rest are paired apart
    pairs = []
    for points in (True, False):
        chosen = candidates[(types[candidates] == "point") == points]
        pairs.append(chosen[earlier_duplicates(rows.geometries[chosen], classes[chosen], points,
                                               ctx.zone_epsg, ctx.duplicate_distance_m)])
    earlier, later = np.concatenate(pairs, axis=1)
    if ctx.in_place is not None and len(later):
        moved = ~ctx.in_place(rows.fields["id"].to_numpy(dtype=object)[later], rows.geometries[later])
        earlier, later = earlier[moved], later[moved]
    of = dict(zip(later.tolist(), earlier.tolist(), strict=True))
    mask = np.zeros(len(rows), dtype=bool)
    mask[later] = True
    out.reject(mask, "geometry", [
        f"duplicate: same class {classes[i]} as {rows.files[of[i]]} row {rows.rows[of[i]]} "
        f"within {ctx.duplicate_distance_m} m" for i in map(int, np.flatnonzero(mask))])
