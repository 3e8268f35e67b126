"""The layer registry: what onemap publishes, read from ``onemap.layer``."""

from dataclasses import dataclass

import psycopg
from psycopg import sql

from gis.errors import NotFound


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

    @property
    def table(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.relation)


_LAYERS_SQL = """
SELECT l.name, l.title, l.kind, n.nspname, c.relname, l.id_column, l.properties,
       l.geometry_type, l.is_private, l.min_zoom, l.max_zoom, l.data_version, l.scheme,
       l.class_prefix
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
              max_zoom=r[10], data_version=r[11], scheme=r[12], class_prefix=r[13])
        for r in await cursor.fetchall()
    ]


async def get_layer(conn: psycopg.AsyncConnection, name: str) -> Layer:
    for layer in await list_layers(conn):
        if layer.name == name:
            return layer
    raise NotFound(f"layer {name!r} does not exist")
