"""Export of component inventories, to hand data back to contractors in the formats they use."""

from datetime import datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import shapely

from gis.crs import CGCS2000, CrsSpec, from_cgcs2000
from gis.errors import InvalidParameter, NotFound
from layers.components import EXPORT_FORMATS, STANDARD_FIELDS

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
_COLUMNS = ["id", "class_code", "name", "competent_dept_code", "competent_dept_name",
            "owner_dept_code", "owner_dept_name", "maintainer_dept_code", "maintainer_dept_name",
            "grid_code", "state", "initial_date", "change_date", "data_source", "note",
            "street_code", "community_code"]


def export_components(conn: psycopg.Connection, path: Path, *, scheme: str, fmt: str,
                      crs: CrsSpec, class_prefix: str | None = None, encoding: str | None = None,
                      as_of: datetime | None = None) -> int:
    """Write the components (current, or as of a date) to `path`; return how many."""
    if fmt not in EXPORT_FORMATS:
        raise InvalidParameter(f"format {fmt!r} is not one of {', '.join(EXPORT_FORMATS)}")
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
    geometries = from_cgcs2000(shapely.from_wkb(np.array([r[-1] for r in rows], dtype=object)), crs)
    if fmt == "csv":
        _write_csv(path, attributes, geometries, encoding)
    else:
        frame = gpd.GeoDataFrame(attributes, geometry=geometries,
                                 crs=crs.epsg or crs.definition or CGCS2000)
        frame.to_file(path, driver=EXPORT_FORMATS[fmt], engine="pyogrio",
                      **({"encoding": encoding} if encoding else {}))
    return len(rows)


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
