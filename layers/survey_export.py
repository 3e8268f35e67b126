"""Export of component inventories, to hand data back to contractors in the formats they use.

Nothing is half written: the files are written in a temporary folder beside the target and moved
into place only when every one of them is complete. Text the chosen encoding cannot hold is refused
before writing, naming the component and field. A Shapefile holds one kind of geometry, text of at
most 254 bytes and field names of at most 10 bytes: an export of several kinds writes a Shapefile
per kind, and what the format cut is counted in notes.
"""

import codecs
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pyogrio
import shapely

from gis.crs import CGCS2000, CrsSpec, from_cgcs2000, unshifted_datum_note
from gis.errors import InvalidParameter, NotFound
from layers.components import EXPORT_FORMATS, GEOMETRY_KINDS, STANDARD_FIELDS

CLASS_FIELD = "XLDM"  # 小类代码: the class, beside the standard fields

_EXPORT_SQL = """
SELECT id, class_code, name, competent_dept_code, competent_dept_name, owner_dept_code,
       owner_dept_name, maintainer_dept_code, maintainer_dept_name, grid_code, state,
       to_char(initial_date, 'YYYYMMDD'), to_char(change_date, 'YYYYMMDD'), data_source, note,
       street_code, community_code, attributes, ST_AsBinary(geom)
FROM onemap.component
WHERE scheme = %(scheme)s
  AND (%(prefix)s::text IS NULL OR class_code LIKE %(prefix)s || '%%')
  AND valid_from <= coalesce(%(at)s, now()) AND (valid_to IS NULL OR valid_to > coalesce(%(at)s, now()))
ORDER BY id
"""
SHAPEFILE_TEXT_BYTES = 254
_COLUMNS = ["id", "class_code", "name", "competent_dept_code", "competent_dept_name",
            "owner_dept_code", "owner_dept_name", "maintainer_dept_code", "maintainer_dept_name",
            "grid_code", "state", "initial_date", "change_date", "data_source", "note",
            "street_code", "community_code"]


@dataclass(frozen=True)
class Exported:
    """What an export wrote: the components, the files (one per geometry kind for a Shapefile of
    several kinds), and notes on what the format changed."""

    count: int
    files: list[Path]
    notes: list[str]


def export_components(conn: psycopg.Connection, path: Path, *, scheme: str, fmt: str,
                      crs: CrsSpec, class_prefix: str | None = None, encoding: str | None = None,
                      as_of: datetime | None = None) -> Exported:
    """Write the components (current, or as of a date) to `path`."""
    if fmt not in EXPORT_FORMATS:
        raise InvalidParameter(f"format {fmt!r} is not one of {', '.join(EXPORT_FORMATS)}")
    codec = _codec(encoding)
    rows = conn.execute(_EXPORT_SQL, {"scheme": scheme, "prefix": class_prefix, "at": as_of}).fetchall()
    if not rows:
        raise NotFound(f"no {scheme} components{' of class ' + class_prefix if class_prefix else ''} "
                       "to export")
    attributes = pd.DataFrame([r[:-2] for r in rows], columns=_COLUMNS)
    attributes = attributes.rename(columns={**STANDARD_FIELDS, "class_code": CLASS_FIELD})
    # free attributes (jsonb) become columns of their own, as the survey delivered them
    extra = pd.DataFrame([r[-2] for r in rows], index=attributes.index)
    attributes = pd.concat([attributes, extra.drop(columns=list(attributes.columns), errors="ignore")],
                           axis=1)
    if encoding is not None:
        _refuse_unencodable(attributes, encoding, codec)
    geometries = from_cgcs2000(shapely.from_wkb(np.array([r[-1] for r in rows], dtype=object)), crs)
    parts = _parts(path, geometries) if fmt == "shp" else [(path, "", np.ones(len(rows), dtype=bool))]
    notes = [note] if (note := unshifted_datum_note(crs, to_cgcs2000=False)) is not None else []
    with _written_together(path.parent) as folder:
        for target, _, chosen in parts:
            part = attributes[chosen].reset_index(drop=True)
            if fmt == "csv":
                _write_csv(folder / target.name, part, geometries[chosen], encoding)
            elif fmt == "shp":
                notes += _write_shapefile(folder / target.name, part, geometries[chosen], crs, encoding,
                                          codec)
            else:
                _write_vector(folder / target.name, fmt, part, geometries[chosen], crs, encoding)
    if len(parts) > 1:
        notes.insert(0, "a Shapefile holds one kind of geometry: " + ", ".join(
            f"{int(chosen.sum())} {kind}s in {target.name}" for target, kind, chosen in parts))
    return Exported(len(rows), [target for target, _, _ in parts], notes)


def _codec(encoding: str | None) -> str:
    try:
        return codecs.lookup(encoding or "utf-8").name
    except LookupError:
        raise InvalidParameter(f"encoding {encoding!r} is unknown; e.g. gbk, gb18030 or utf-8") from None


def _refuse_unencodable(attributes: pd.DataFrame, encoding: str, codec: str) -> None:
    """Refuse, before writing, text the encoding has no bytes for (GDAL would write '?' for it)."""
    for column in attributes.columns:
        for text in [str(column), *pd.unique(attributes[column].dropna())]:
            if not isinstance(text, str):
                continue
            try:
                text.encode(codec)
            except UnicodeEncodeError as error:
                char = text[error.start]
                if text == column:
                    where = f"the free attribute name {text!r}"
                else:  # the first column is the identifier
                    component = attributes.iloc[:, 0][attributes[column] == text].iloc[0]
                    where = f"component {component}, field {column}"
                raise InvalidParameter(
                    f"{where} holds {char!r} (U+{ord(char):04X}), which {encoding} cannot encode: export "
                    "with --encoding gb18030, which encodes every character, or without --encoding "
                    "(UTF-8)") from None


def _parts(path: Path, geometries: np.ndarray) -> list[tuple[Path, str, np.ndarray]]:
    """A file per geometry kind present, with its kind and rows: path itself for one kind, else
    path_point, path_line …"""
    kinds = pd.Series(shapely.get_type_id(geometries)).map(GEOMETRY_KINDS).to_numpy(dtype=object)
    present = [kind for kind in ("point", "line", "polygon") if (kinds == kind).any()]
    if len(present) == 1:
        return [(path, present[0], np.ones(len(geometries), dtype=bool))]
    return [(path.with_name(f"{path.stem}_{kind}{path.suffix}"), kind, kinds == kind) for kind in present]


def _write_vector(path: Path, fmt: str, attributes: pd.DataFrame, geometries: np.ndarray, crs: CrsSpec,
                  encoding: str | None) -> None:
    gpd.GeoDataFrame(attributes, geometry=geometries, crs=crs.epsg or crs.definition or CGCS2000).to_file(
        path, driver=EXPORT_FORMATS[fmt], engine="pyogrio", **({"encoding": encoding} if encoding else {}))


def _write_shapefile(path: Path, attributes: pd.DataFrame, geometries: np.ndarray, crs: CrsSpec,
                     encoding: str | None, codec: str) -> list[str]:
    """Write one Shapefile; notes name the text and field names the format cut."""
    notes = []
    for column in attributes.columns:
        values = attributes[column]
        longer = [v for v in pd.unique(values.dropna())  # each distinct text measured once
                  if isinstance(v, str) and len(v.encode(codec)) > SHAPEFILE_TEXT_BYTES]
        if longer:
            too_long = values[values.isin(longer)]
            first = attributes.iloc[:, 0][too_long.index[0]]  # the first column is the identifier
            notes.append(f"{path.name}: {len(too_long)} value(s) of field {column} cut to the "
                         f"{SHAPEFILE_TEXT_BYTES} bytes a Shapefile field holds (first: component {first}); "
                         "a GeoPackage keeps them whole")
    with warnings.catch_warnings():  # the notes above say it in onemap's words
        for said in (".*has been truncated to 254", ".*Normalized/laundered field name"):
            warnings.filterwarnings("ignore", message=said, category=RuntimeWarning)
        _write_vector(path, "shp", attributes, geometries, crs, encoding)
    written = pyogrio.read_info(path, encoding=encoding)["fields"]
    cut = [f"{name!r} as {short!r}" for name, short in zip(attributes.columns, written, strict=True)
           if str(name) != short]
    if cut:
        notes.append(f"{path.name}: field names cut to the 10 bytes a Shapefile allows: {', '.join(cut)}")
    return notes


@contextmanager
def _written_together(folder: Path) -> Iterator[Path]:
    """A temporary folder beside the target; its files are moved into `folder` when all are written."""
    if not folder.is_dir():
        raise InvalidParameter(f"folder {folder} does not exist")
    temporary = Path(tempfile.mkdtemp(prefix=".onemap-export-", dir=folder))
    try:
        yield temporary
        for written in temporary.iterdir():
            os.replace(written, folder / written.name)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def _write_csv(path: Path, attributes: pd.DataFrame, geometries: np.ndarray,
               encoding: str | None) -> None:
    """Points as lon/lat columns; other geometries as WKT."""
    table = attributes.copy()
    if bool(np.all(shapely.get_type_id(geometries) == 0)):
        table["lon"] = shapely.get_x(geometries)
        table["lat"] = shapely.get_y(geometries)
    else:
        table["wkt"] = shapely.to_wkt(geometries, rounding_precision=8)
    table.to_csv(path, index=False, encoding=encoding or "utf-8-sig")
