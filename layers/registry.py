"""The layer registry: what onemap publishes, read from ``onemap.layer``."""

import time
from collections.abc import Iterable
from dataclasses import dataclass

import psycopg
from psycopg import sql

from gis.errors import NotFound

# a layer's geometry_type (point, line, polygon; or mixed) as a geometry dimension (PostGIS ST_Dimension)
GEOMETRY_DIMENSIONS = {"point": 0, "line": 1, "polygon": 2}


@dataclass(frozen=True)
class Layer:
    """One published layer: a relation with a Web Mercator column and the properties a map needs."""

    name: str
    title: str
    kind: str
    schema: str
    relation: str
    id_column: str
    properties: tuple[str, ...]
    geometry_type: str
    is_private: bool
    min_zoom: int
    max_zoom: int
    data_version: int
    scheme: str | None = None
    class_prefix: str | None = None  # component layers: the major or minor class they show
    description: str = ""

    @property
    def table(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.relation)


_LAYERS_SQL = """
SELECT l.name, l.title, l.kind, n.nspname, c.relname, l.id_column, l.properties,
       l.geometry_type, l.is_private, l.min_zoom, l.max_zoom, l.data_version, l.scheme,
       l.class_prefix, l.description
FROM onemap.layer l
JOIN pg_class c ON c.oid = l.relation
JOIN pg_namespace n ON n.oid = c.relnamespace
ORDER BY l.sort_order, l.name
"""


async def list_layers(conn: psycopg.AsyncConnection) -> list[Layer]:
    """Every registered layer, in map drawing order (bottom first)."""
    cursor = await conn.execute(_LAYERS_SQL)
    return [
        Layer(name=r[0], title=r[1], kind=r[2], schema=r[3], relation=r[4], id_column=r[5],
              properties=tuple(r[6]), geometry_type=r[7], is_private=r[8], min_zoom=r[9],
              max_zoom=r[10], data_version=r[11], scheme=r[12], class_prefix=r[13],
              description=r[14])
        for r in await cursor.fetchall()
    ]


async def get_layer(conn: psycopg.AsyncConnection, name: str) -> Layer:
    return find_layer(await list_layers(conn), name)


def visible(layers: Iterable[Layer], *, sees_private: bool) -> list[Layer]:
    """The layers a caller sees: every one with read_private, else the public ones."""
    return [layer for layer in layers if sees_private or not layer.is_private]


def private_kinds(layers: Iterable[Layer]) -> frozenset[str]:
    """The kinds with a private layer: their feeds are as private as it (docs/feeds.md)."""
    return frozenset(layer.kind for layer in layers if layer.is_private)


def find_layer(layers: list[Layer], name: str) -> Layer:
    for layer in layers:
        if layer.name == name:
            return layer
    raise NotFound(f"layer {name!r} does not exist")


class LayerCache:
    """The registry's layers for hot paths (tiles): re-read only when the registry signature
    changed, and that signature checked at most every `ttl_s` seconds."""

    def __init__(self, ttl_s: float) -> None:
        self._ttl_s = ttl_s
        self._layers: list[Layer] | None = None
        self._signature: tuple[object, ...] = ()
        self._checked_at = -float("inf")

    @property
    def ttl_s(self) -> float:
        return self._ttl_s

    async def layers(self, conn: psycopg.AsyncConnection) -> list[Layer]:
        if self._layers is not None and time.monotonic() - self._checked_at < self._ttl_s:
            return self._layers
        signature = await registry_signature(conn)
        if self._layers is None or signature != self._signature:
            self._layers, self._signature = await list_layers(conn), signature
        self._checked_at = time.monotonic()
        return self._layers


_SIGNATURE_SQL = """
SELECT count(*), max(updated_at), md5(string_agg(concat_ws('|', name, title, description, kind, relation,
       id_column, properties, is_private, data_version, updated_at, scheme, class_prefix), ',' ORDER BY name))
FROM onemap.layer
"""
_COLUMNS_SQL = """
SELECT l.name, a.attname, t.typname, t.typcategory
FROM onemap.layer l
JOIN pg_attribute a ON a.attrelid = l.relation AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
ORDER BY l.name, a.attnum
"""
# PostgreSQL type -> JSON-schema-like type of a queryable property
_TYPES = {"int2": "integer", "int4": "integer", "int8": "integer", "float4": "number",
          "float8": "number", "numeric": "number", "bool": "boolean", "date": "date",
          "timestamptz": "date-time", "timestamp": "date-time", "json": "object", "jsonb": "object"}


async def registry_signature(conn: psycopg.AsyncConnection) -> tuple[object, ...]:
    """Changes whenever a layer is added, removed, edited (even without touching updated_at) or
    written to (data_version)."""
    row = await (await conn.execute(_SIGNATURE_SQL)).fetchone()
    return tuple(row) if row else ()


async def column_types(conn: psycopg.AsyncConnection) -> dict[str, dict[str, str]]:
    """Per layer, its relation's columns and their types (string, integer, number, boolean, date,
    date-time, object, array; geometry columns as geometry)."""
    found: dict[str, dict[str, str]] = {}
    for layer, column, typname, category in await (await conn.execute(_COLUMNS_SQL)).fetchall():
        kind = "array" if category == "A" else _TYPES.get(typname, "geometry" if typname == "geometry"
                                                           else "string")
        found.setdefault(layer, {})[column] = kind
    return found


_CLASS_EXTENTS_SQL = """
SELECT scheme, class_code, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
FROM (SELECT scheme, class_code, ST_Extent(geom) AS e FROM onemap.v_component GROUP BY 1, 2) AS s
"""
BBox = tuple[float, float, float, float]


def _union(boxes: list[BBox]) -> BBox | None:
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
            max(b[3] for b in boxes))


async def layer_extents(conn: psycopg.AsyncConnection, layers: list[Layer]) -> dict[str, BBox | None]:
    """The lon/lat bounding box of each layer (None when empty); class layers from one grouped scan."""
    extents: dict[str, BBox | None] = {}
    classes: list[tuple[str, str, BBox]] | None = None
    for layer in layers:
        if layer.class_prefix is not None:
            if classes is None:
                rows = await (await conn.execute(_CLASS_EXTENTS_SQL)).fetchall()
                classes = [(r[0], r[1], (r[2], r[3], r[4], r[5])) for r in rows]
            extents[layer.name] = _union([box for scheme, code, box in classes
                                          if scheme == layer.scheme and code.startswith(layer.class_prefix)])
            continue
        statement = sql.SQL("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
                            "FROM (SELECT ST_Extent(geom) AS e FROM {}) AS s").format(layer.table)
        row = await (await conn.execute(statement)).fetchone()
        extents[layer.name] = (row[0], row[1], row[2], row[3]) if row and row[0] is not None else None
    return extents
