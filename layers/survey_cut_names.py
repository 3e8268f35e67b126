"""Free-attribute names a Shapefile cut to its 10 bytes, read back as the full names the components store.

An export hands a free attribute 安装年份 to a contractor as 安装年 (12 bytes in UTF-8; 灯杆材质说明 is
灯杆材质说 even in GBK), and GDAL numbers a cut that repeats an earlier one (安装_1). Imported back, such a
column would be a new attribute beside the stored one, so an upsert left a component with both 安装年份
and 安装年. The stored names are the authority on what was cut: a column of a Shapefile is read as the
one free attribute stored on the current components of the file's identifiers that, cut to the .dbf's
bytes in UTF-8 or GBK (numbered as GDAL numbers), reads that column's name. That serves every Shapefile
the components come back in, an earlier export's or one a contractor's GIS saved again, which would
leave out a file of full names written beside the .shp: so the export writes none. Where two stored
names read the column (安装年份 and 安装年月, or the column's own name is stored too), or two columns
read one stored name, the column keeps its name and a note says so: a guess would put one attribute's
values under another's name.
"""

import re

import numpy as np
import pandas as pd
import psycopg

from grid_codes.classes import Scheme
from layers.distinct_values import is_missing
from layers.field_mapping import DBF_NAME_BYTES, cut_to_bytes, fold
from layers.survey_rows import FileColumns, SurveyRows

_SHAPEFILE_SUFFIXES = (".shp", ".dbf")
_CODECS = ("utf-8", "gb18030")  # the .dbf encodings onemap writes and contractors' GIS write
_WIDEST_CHARACTER = 4  # bytes: a cut on a character boundary drops at most this many less one
_NUMBERED = re.compile(r"(.+)(_[0-9]{1,2})", re.DOTALL)  # GDAL's cut name repeating another: %.8s_%d


def restore_cut_names(conn: psycopg.Connection, rows: SurveyRows, scheme: Scheme) -> list[str]:
    """Rename, in place, each Shapefile column that is the cut name of one free attribute stored on the
    components the file's identifiers name; a note per column renamed, or kept for a doubt."""
    frame, columns = rows.attributes, rows.columns
    if (columns is None or not isinstance(frame, pd.DataFrame)
            or not any(_may_be_cut(str(name)) for name in frame.columns)):
        return []
    repeated = {name for name, count in frame.columns.value_counts().items() if count > 1}
    notes: list[str] = []
    for label in pd.unique(rows.files):
        if not str(label).lower().endswith(_SHAPEFILE_SUFFIXES):
            continue
        in_file = rows.files == label
        carried: FileColumns = columns[np.flatnonzero(in_file)[0]]
        if not [name for name in carried.attributes if name not in repeated and _may_be_cut(name)]:
            continue
        ids = sorted({str(i) for i in rows.fields["id"].to_numpy(dtype=object)[in_file] if not is_missing(i)})
        stored = _stored_names(conn, scheme, ids) - repeated
        renames = _renames(carried.attributes, repeated, stored, str(label), notes)
        if renames:
            _rename(frame, in_file, renames)
            named = tuple(renames.get(column, column) for column in carried.attributes)
            columns[in_file] = FileColumns(carried.fields, named, carried.positioned)
    return notes


def _may_be_cut(name: str) -> bool:
    """Whether `name` fills enough of a .dbf name's bytes to be a cut of a longer one."""
    return any(DBF_NAME_BYTES - _WIDEST_CHARACTER < len(name.encode(codec)) <= DBF_NAME_BYTES
               for codec in _CODECS)


def _stored_names(conn: psycopg.Connection, scheme: Scheme, ids: list[str]) -> set[str]:
    """The free-attribute names of the current components of `ids`."""
    if not ids:
        return set()
    return {name for (name,) in conn.execute(
        "SELECT DISTINCT jsonb_object_keys(attributes) FROM onemap.component "
        "WHERE valid_to IS NULL AND scheme = %s AND id = ANY(%s)", (scheme, ids))}


def _renames(columns: tuple[str, ...], repeated: set[str], stored: set[str], label: str,
             notes: list[str]) -> dict[str, str]:
    """Column -> the one stored name it is the cut of; a column with a doubt is kept, with a note.
    `repeated`: names of columns a file repeats, which are left as they are."""
    whole = {fold(column) for column in columns}  # a stored name the file carries whole is no cut one
    readings = {column: [name for name in sorted(stored) if fold(name) not in whole and _cut_to(name, column)]
                for column in columns if column not in repeated and _may_be_cut(column)}
    renames: dict[str, str] = {}
    for column, names in readings.items():
        rivals = [other for other, theirs in readings.items() if other != column and set(theirs) & set(names)]
        if len(names) == 1 and column not in stored and not rivals:
            renames[column] = names[0]
            notes.append(f"{label}: column {column!r} read as the free attribute {names[0]!r} stored on its "
                         f"components, whose name the Shapefile cut to {DBF_NAME_BYTES} bytes")
        elif names:
            if column in stored:
                doubt = f"its components store {column!r} too"
            elif len(names) > 1:
                doubt = "its components store each of them"
            else:
                doubt = f"{' and '.join(map(repr, rivals))} may be cut from it too"
            notes.append(f"{label}: column {column!r} is kept under its own name, though it may be the "
                         f"Shapefile's cut of {' or '.join(map(repr, names))}: {doubt}; to update those, "
                         "deliver the data in a GeoPackage, which keeps names whole")
    return renames


def _cut_to(name: str, column: str) -> bool:
    """Whether a .dbf in UTF-8 or GBK cuts the longer `name` to `column`: at its bytes, or numbered as
    GDAL numbers a cut that repeats another."""
    starts = [(column, DBF_NAME_BYTES)]
    if numbered := _NUMBERED.fullmatch(column):
        starts.append((numbered[1], DBF_NAME_BYTES - len(numbered[2])))
    return any(len(name.encode(codec)) > DBF_NAME_BYTES
               and fold(cut_to_bytes(name, codec, size)) == fold(start)
               for codec in _CODECS for start, size in starts)


def _rename(frame: pd.DataFrame, in_file: np.ndarray, renames: dict[str, str]) -> None:
    """Move the values of each renamed column of the file's rows to the column of the full name."""
    for column, name in renames.items():
        if name not in frame.columns:
            frame[name] = pd.Series(None, index=frame.index, dtype=object)
        frame.loc[in_file, name] = frame.loc[in_file, column]
        frame.loc[in_file, column] = None
        if frame[column].isna().all():  # no other file's column of that name
            del frame[column]
