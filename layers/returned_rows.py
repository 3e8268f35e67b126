"""The rows an import refused, as a GeoPackage to hand back to the contractor for correction (退回整改).

Each refused row is written as the survey delivered it (before validation read its dates or filled in
defaults), under the standard's field names (as exports write them), with its free attributes, its
geometry in EPSG:4490, and three columns saying where it came from and why it was refused. Corrected
and imported again it loads like any survey: the import leaves those three columns out of the free
attributes. One file holds the rows of every file of the import, points, lines and polygons alike, and
rows whose coordinates could not be read (with no geometry). Found in a folder or an archive imported (beside
the report, by default in the working folder) it is not read: its rows are those of the surveys beside it.
"""

import os
from collections import defaultdict
from datetime import datetime, time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from gis.crs import CGCS2000
from layers.components import COMPARED_FIELDS, STANDARD_FIELDS
from layers.distinct_values import from_distinct, is_missing
from layers.survey_export import CLASS_FIELD
from layers.survey_rows import Rejection, SurveyRows

SOURCE_FILE = "原文件"  # the file (and layer) of the import the row came from
SOURCE_ROW = "原行号"  # its row or feature number there, as the report names it
REASONS = "退回原因"  # every reason it was refused, as "field: reason; …"
RETURN_COLUMNS = (SOURCE_FILE, SOURCE_ROW, REASONS)
LAYER = "rejected"
# the GeoPackage's feature id and geometry columns, named so that no survey column is in their way (FID and
# geom are common ones); the frame's geometry column is 'geometry'
FID_COLUMN, GEOMETRY_COLUMN = "onemap_fid", "onemap_geom"
_RESERVED = ("geometry", FID_COLUMN, GEOMETRY_COLUMN)


def holds_refused_rows(path: Path, layers: list[str]) -> bool:
    """Whether `path`, of the `layers`, is a GeoPackage of refused rows as written here (its layer holds the
    reasons)."""
    return (path.suffix.lower() == ".gpkg" and LAYER in layers
            and REASONS in pyogrio.read_info(path, layer=LAYER)["fields"])


def refused_rows(rows: SurveyRows, refused: np.ndarray, delivered: pd.DataFrame) -> SurveyRows:
    """The rows `refused` (indices into `rows`) with their fields as delivered: `delivered` holds the
    fields as read of those validation refused (indexed like `rows.fields`); the others, refused by the
    checks against the inventory, passed validation and keep the fields it read."""
    refused = np.sort(refused)
    fields = rows.fields.iloc[refused].copy()
    as_read = delivered.index.intersection(fields.index)
    columns = delivered.columns.intersection(fields.columns)
    fields.loc[as_read, columns] = delivered.loc[as_read, columns]
    attributes = (rows.attributes.iloc[refused].reset_index(drop=True)
                  if isinstance(rows.attributes, pd.DataFrame) else [rows.attributes[i] for i in refused])
    return SurveyRows(rows.files[refused], rows.rows[refused], fields.reset_index(drop=True), attributes,
                      rows.geometries[refused])


def write_refused(path: Path, refused: SurveyRows, rejections: list[Rejection]) -> None:
    """Write the refused rows to the GeoPackage `path` (replacing it once written), each with its reasons."""
    reasons: dict[tuple[str, int], list[str]] = defaultdict(list)
    for rejection in rejections:
        reasons[(rejection.file, rejection.row)].append(f"{rejection.field}: {rejection.reason}")
    table = pd.DataFrame({
        SOURCE_FILE: refused.files.astype(object),
        SOURCE_ROW: refused.rows.astype(np.int64),
        REASONS: ["; ".join(reasons[(str(file), int(row))])
                  for file, row in zip(refused.files, refused.rows, strict=True)],
    })
    names = {"class_code": CLASS_FIELD, **STANDARD_FIELDS, **COMPARED_FIELDS}
    for field, name in names.items():
        if field in refused.fields.columns:
            table[name] = _as_text(refused.fields[field])
    extra = (refused.attributes if isinstance(refused.attributes, pd.DataFrame)
             else pd.DataFrame(refused.attributes))
    for position in range(extra.shape[1]):  # by position: a file may repeat a column name
        table[_free_name(str(extra.columns[position]), table.columns)] = _as_text(extra.iloc[:, position])
    frame = gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(refused.geometries, crs=CGCS2000))
    partial = path.with_name(f".{path.stem}.partial.gpkg")
    partial.unlink(missing_ok=True)
    try:
        frame.to_file(partial, driver="GPKG", layer=LAYER, engine="pyogrio", use_arrow=True,
                      layer_options={"FID": FID_COLUMN, "GEOMETRY_NAME": GEOMETRY_COLUMN})
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _as_text(values: pd.Series) -> np.ndarray:
    """Each value as the text a contractor would type: a whole number without '.0', missing as None; each
    distinct value converted once."""
    written = values.to_numpy(dtype=object)
    try:
        codes, distinct = pd.factorize(written)
    except TypeError:  # values that cannot be told apart by hashing (a GeoJSON property holding a list)
        return np.array([_text(value) for value in written], dtype=object)
    return from_distinct(np.array([_text(value) for value in distinct], dtype=object), codes, None)


def _text(value: object) -> str | None:
    if is_missing(value):
        return None
    if isinstance(value, datetime) and value.tzinfo is None and value.time() == time(0):
        return value.date().isoformat()  # a workbook's date cell, read as midnight of its day
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _free_name(name: str, taken: pd.Index) -> str:
    """A free attribute's name, numbered where the table already has a column of that name."""
    folded = {str(column).casefold() for column in (*taken, *_RESERVED)}  # GeoPackage ignores case
    chosen, number = name, 1
    while chosen.casefold() in folded:
        number += 1
        chosen = f"{name}_{number}"
    return chosen
