"""Mapbox Vector Tiles built in PostGIS from each layer's stored Web Mercator column."""

import functools

import morecantile
import psycopg
from psycopg import sql

from gis.errors import InvalidParameter
from layers.registry import Layer

EXTENT = 4096
BUFFER = 64
WEB_MERCATOR_QUAD = morecantile.tms.get("WebMercatorQuad")

_LAYER_TILE_SQL = """
WITH bounds AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS env)
SELECT ST_AsMVT(features, %(layer)s, {extent}, 'geom', 'fid')
FROM (
    SELECT {id} AS fid, {properties},
           ST_AsMVTGeom(t.geom_3857, bounds.env, {extent}, {buffer}, true) AS geom
    FROM {table} t, bounds
    WHERE t.geom_3857 && bounds.env {class_filter}
) AS features
WHERE geom IS NOT NULL
"""


def checked_tile(z: int, x: int, y: int) -> morecantile.Tile:
    """A WebMercatorQuad tile, or InvalidParameter naming the bad index."""
    if not 0 <= z <= WEB_MERCATOR_QUAD.maxzoom:
        raise InvalidParameter(f"zoom {z} is outside 0..{WEB_MERCATOR_QUAD.maxzoom}")
    limit = 2**z
    if not (0 <= x < limit and 0 <= y < limit):
        raise InvalidParameter(f"tile {z}/{x}/{y} does not exist: x and y must be in 0..{limit - 1}")
    return morecantile.Tile(x, y, z)


@functools.lru_cache(maxsize=512)
def _layer_query(layer: Layer) -> sql.Composed:
    """The tile query of one layer, composed once per layer definition."""
    # The id may be text (codes) or an integer; MVT feature ids are integers, so text ids are
    # hashed into a stable 53-bit integer that clients can use with feature-state.
    fid = sql.SQL(
        "CASE WHEN pg_typeof(t.{c})::text IN ('integer', 'bigint', 'smallint') "
        "THEN t.{c}::text::bigint ELSE ('x' || left(md5(t.{c}::text), 13))::bit(52)::bigint END"
    ).format(c=sql.Identifier(layer.id_column))
    return sql.SQL(_LAYER_TILE_SQL).format(
        extent=sql.Literal(EXTENT),
        buffer=sql.Literal(BUFFER),
        id=fid,
        properties=sql.SQL(", ").join(
            sql.SQL("t.{}").format(sql.Identifier(p)) for p in layer.properties),
        table=layer.table,
        class_filter=sql.SQL(
            "AND t.scheme = %(scheme)s AND t.class_code LIKE %(class_prefix)s || '%%'"
            if layer.class_prefix else ""),
    )


async def render(conn: psycopg.AsyncConnection, layers: list[Layer], tile: morecantile.Tile) -> bytes:
    """One MVT holding every given layer that is visible at the tile's zoom (concatenated)."""
    parts: list[bytes] = []
    for layer in layers:
        if not layer.min_zoom <= tile.z <= layer.max_zoom:
            continue
        cursor = await conn.execute(
            _layer_query(layer),
            {"z": tile.z, "x": tile.x, "y": tile.y, "layer": layer.name, "scheme": layer.scheme,
             "class_prefix": layer.class_prefix})
        row = await cursor.fetchone()
        if row and row[0]:
            parts.append(bytes(row[0]))
    return b"".join(parts)
