"""Component inventories in PostGIS: standard fields, per-class layers and as-of queries."""

from dataclasses import dataclass
from datetime import datetime

import psycopg

from gis.local_time import with_offset
from grid_codes.classes import ClassTable, Scheme, default_table

# onemap's standard component fields (GB/T 47678.5-2026 table 2), in table order, and the
# standard's abbreviations, which exports use as field names (≤ 10 characters, so they
# survive a Shapefile).
STANDARD_FIELDS: dict[str, str] = {
    "id": "GLBJBSM",
    "name": "GLBJMC",
    "competent_dept_code": "ZGBMDM",
    "competent_dept_name": "ZGBMMC",
    "owner_dept_code": "QSDWDM",
    "owner_dept_name": "QSDWMC",
    "maintainer_dept_code": "YHDWDM",
    "maintainer_dept_name": "YHDWMC",
    "grid_code": "SZDYWGBSM",
    "state": "GLBJZT",
    "initial_date": "CSRQ",
    "change_date": "BGRQ",
    "data_source": "SJLY",
    "note": "BZ",
    "street_code": "SZJDDM",
    "community_code": "SZSQDM",
}
# Standard fields not stored, since onemap locates the street and community: a survey's names of them are
# read only to be compared with where its rows lie (layers.survey_locate.delivered_code_notes), and exports
# write them, under these abbreviations, from the located codes
PLACE_NAMES = {"street_name": "SZJDMC", "community_name": "SZSQMC"}
# onemap's own column beside the standard's, so named in exports, the OGC API and the mapping: the start of
# the version a row was exported from, which an import compares with the inventory (layers.survey_versions)
VERSION_FIELD = "valid_from"
# The fields a survey's rows carry beside the stored standard ones, read and compared, never stored, with the
# column names exports and returned rows give them
COMPARED_FIELDS = {**PLACE_NAMES, VERSION_FIELD: VERSION_FIELD}
# `onemap export components --format`: the GDAL driver of each
EXPORT_FORMATS = {"gpkg": "GPKG", "geojson": "GeoJSON", "shp": "ESRI Shapefile", "csv": "CSV",
                  "xlsx": "XLSX"}
IMPORT_MODES = ("append", "upsert", "replace")  # survey import: add, add or replace by id, replace classes
STATES = ("完好", "破损", "丢失", "废弃", "移除", "占用", "其他")
DEFAULT_STATE = "完好"
# the inventory's geometry_type of each shapely geometry type id it stores (Point, (Multi)LineString,
# (Multi)Polygon); other types have none
GEOMETRY_KINDS = {0: "point", 1: "line", 5: "line", 3: "polygon", 6: "polygon"}

_ENSURE_LAYER_SQL = """
INSERT INTO onemap.layer (name, title, description, kind, relation, id_column, properties,
                          geometry_type, min_zoom, max_zoom, sort_order, scheme, class_prefix)
VALUES (%(name)s, %(title)s, %(description)s, 'components', 'onemap.v_component', 'id',
        '{id,class_code,major_code,state}', %(geometry_type)s, %(min_zoom)s, 22,
        %(sort_order)s, %(scheme)s, %(prefix)s)
ON CONFLICT (name) DO NOTHING
"""
_AS_OF_SQL = """
SELECT id, class_code, name, state, grid_code, ST_AsText(geom), valid_from, valid_to, changed_by,
       change_source
FROM onemap.component
WHERE valid_from <= %(at)s AND (valid_to IS NULL OR valid_to > %(at)s)
  AND (%(scheme)s::text IS NULL OR scheme = %(scheme)s)
  AND (%(prefix)s::text IS NULL OR class_code LIKE %(prefix)s || '%%')
ORDER BY id
"""


def layer_name(scheme: str, class_prefix: str) -> str:
    """Registry name of the layer of one major (2 digits) or minor class."""
    return f"components_{scheme}_{class_prefix}"


def ensure_class_layers(conn: psycopg.Connection, scheme: Scheme, class_codes: set[str],
                        table: ClassTable | None = None) -> None:
    """Register the major- and minor-class layers of these classes (once; idempotent)."""
    table = table or default_table()
    rows = []
    for code in sorted(class_codes):
        info = table.lookup(scheme, "component", code, allow_local=True)
        major = code[:2]
        geometry = info.geometry_type_inferred or "point"
        rows.append({"name": layer_name(scheme, major), "title": info.major_name or major,
                     "description": f"Components of major class {major} ({scheme})",
                     "geometry_type": "mixed", "min_zoom": 14, "sort_order": 70,
                     "scheme": scheme, "prefix": major})
        rows.append({"name": layer_name(scheme, code), "title": info.name or code,
                     "description": f"Components of class {code} ({scheme})",
                     "geometry_type": geometry, "min_zoom": 15, "sort_order": 80,
                     "scheme": scheme, "prefix": code})
    with conn.cursor() as cur:
        cur.executemany(_ENSURE_LAYER_SQL, rows)


@dataclass(frozen=True)
class ComponentVersion:
    id: str
    class_code: str
    name: str
    state: str
    grid_code: str | None
    wkt: str
    valid_from: datetime
    valid_to: datetime | None
    changed_by: str
    change_source: str


def inventory_as_of(conn: psycopg.Connection, at: datetime, *, scheme: str | None = None,
                    class_prefix: str | None = None) -> list[ComponentVersion]:
    """The components as they stood at `at` (versions valid then; an aware datetime), optionally of one
    class."""
    params = {"at": with_offset(at, "as of"), "scheme": scheme, "prefix": class_prefix}
    rows = conn.execute(_AS_OF_SQL, params).fetchall()
    return [ComponentVersion(*row) for row in rows]


def bump_data_version(conn: psycopg.Connection, kind: str) -> None:
    """Tell caches that the layers of this kind changed."""
    conn.execute("UPDATE onemap.layer SET data_version = data_version + 1, updated_at = now() "
                 "WHERE kind = %s", (kind,))
