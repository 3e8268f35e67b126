"""Mapbox Vector Tiles built in PostGIS (ST_AsMVT) from each layer's stored tile geometry column.

One MVT layer ("part") of a tile is one statement: the union of its registry layers' features,
each as raw features (attribute selection from the registry, lines and polygons simplified to
the tile's pixel size) or, for point layers at low zooms, one feature per grid cell of
`CLUSTER_CELLS`² cells carrying `count` (a cell holding a single feature keeps its attributes
and id). So a tile holds at most CLUSTER_CELLS² point features at any zoom, whatever the
density: the size budget (docs/tiles.md) holds by construction.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import morecantile
import psycopg
from psycopg import sql

from layers.registry import Layer
from tiles.tms import BUFFER, EXTENT, MatrixSet

TILE_BUDGET_BYTES = 500 * 1024  # documented size budget of one tile (docs/tiles.md)
CLUSTER_CELLS = 64  # per tile side: 4096 cells at most, 64 MVT units (≈ 8 px on a 512 px tile) each
SIMPLIFY_BELOW_ZOOM = 18  # from here on ST_AsMVTGeom's own snapping is enough
# Properties that summarise a cluster (the most common value), used by the style's colours.
SUMMARY_PROPERTIES = ("major_code", "deadline_state")
Mode = Literal["raw", "cluster", "summary"]
SUMMARY_TABLE = sql.Identifier("onemap", "tile_component_count")  # migration 0008
# Aggregates get ids above the 52-bit ids of features: 2^52 + global cell index at the zoom.
_CLUSTER_ID = sql.SQL("(4503599627370496 + (%(gx0)s + c.gx)::bigint * 16777216 + (%(gy0)s + c.gy)::bigint)")
_TEXTS: dict[tuple[Any, ...], str] = {}  # statement texts of unfiltered parts
_AGGREGATES = {"string": "min", "integer": "min", "number": "min", "date": "min", "date-time": "min",
               "boolean": "bool_or"}


@dataclass(frozen=True)
class Zooms:
    """When point layers are aggregated (from the settings)."""

    cluster_min: int
    cluster_max: int


@dataclass(frozen=True)
class Source:
    """One registry layer feeding a part, how it is drawn at this zoom, and its extra conditions."""

    layer: Layer
    mode: Mode
    columns: Mapping[str, str]  # the relation's columns and their JSON types
    condition: sql.Composable | None = None
    params: Mapping[str, Any] | None = None


def mode_at(layer: Layer, zoom: int, zooms: Zooms) -> Mode | None:
    """How a layer is drawn at a zoom, or None outside its zoom range; point layers appear
    (aggregated) from `cluster_min` even when their own range starts higher."""
    pointy = layer.geometry_type in ("point", "mixed")
    lowest = min(layer.min_zoom, zooms.cluster_min) if pointy else layer.min_zoom
    if not lowest <= zoom <= layer.max_zoom:
        return None
    return "cluster" if pointy and zoom <= zooms.cluster_max else "raw"


def _feature_id(expr: sql.Composable, id_type: str, namespace: str | None) -> sql.Composable:
    """A stable integer MVT feature id usable with MapLibre feature-state (< 2^53): integer ids
    as they are, text ids (and ids of parts mixing layers) as 52 bits of md5."""
    if namespace is None and id_type == "integer":
        return sql.SQL("{}::bigint").format(expr)
    key = expr if namespace is None else sql.SQL("{} || ':' || {}").format(sql.Literal(namespace), expr)
    return sql.SQL("('x' || left(md5(({})::text), 13))::bit(52)::bigint").format(key)


def _properties(source: Source) -> list[str]:
    return [p for p in source.layer.properties if p in source.columns]


def _raw(source: Source, geom: sql.Composable, *, fused: bool, simplify: bool,
         where: sql.Composable) -> sql.Composable:
    layer = source.layer
    column = sql.SQL("t.{}").format(sql.Identifier(layer.id_column))
    fid = _feature_id(column, source.columns.get(layer.id_column, "string"), layer.name if fused else None)
    if simplify and layer.geometry_type != "point":
        geom = sql.SQL("ST_Simplify({}, %(tolerance)s, true)").format(geom)
    shape = sql.SQL("ST_AsMVTGeom({}, bounds.env, {}, {}, true)").format(
        geom, sql.Literal(EXTENT), sql.Literal(BUFFER))
    names = _properties(source)
    if fused:
        pairs = [sql.SQL("'layer', {}").format(sql.Literal(layer.name))] + [
            sql.SQL("{}, t.{}").format(sql.Literal(p), sql.Identifier(p)) for p in names]
        props = sql.SQL("jsonb_build_object({}) AS props").format(sql.SQL(", ").join(pairs))
    else:
        props = sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(p)) for p in names)
    statement = "SELECT {fid} AS fid, {props}, {shape} AS geom FROM {table} t, bounds WHERE {where}"
    return sql.SQL(statement).format(
        fid=fid, props=props, shape=shape, table=layer.table, where=where)


def _cluster(source: Source, geom: sql.Composable, srid: int, *, fused: bool,
             where: sql.Composable) -> sql.Composable:
    layer = source.layer
    names = _properties(source)
    if layer.geometry_type == "point":
        x, y = sql.SQL("ST_X({})").format(geom), sql.SQL("ST_Y({})").format(geom)
    else:  # mixed: the centre of each feature's box
        x = sql.SQL("(ST_XMin({0}::box2d) + ST_XMax({0}::box2d)) / 2").format(geom)
        y = sql.SQL("(ST_YMin({0}::box2d) + ST_YMax({0}::box2d)) / 2").format(geom)
    inner = [sql.SQL("t.{} AS fid_key").format(sql.Identifier(layer.id_column)),
             sql.SQL("{} AS cx").format(x), sql.SQL("{} AS cy").format(y)]
    inner += [sql.SQL("t.{}").format(sql.Identifier(p)) for p in names]
    aggregates: list[sql.Composable] = [sql.SQL("count(*)::int AS n"), sql.SQL("min(s.fid_key) AS one_id"),
                                        sql.SQL("avg(s.cx) AS cx"), sql.SQL("avg(s.cy) AS cy"), _CELL]
    kept: list[str] = []
    for p in names:
        function = _AGGREGATES.get(source.columns.get(p, ""))
        if p in SUMMARY_PROPERTIES:
            aggregates.append(sql.SQL("mode() WITHIN GROUP (ORDER BY s.{0}) AS {0}").format(
                sql.Identifier(p)))
        elif function is not None:
            aggregates.append(sql.SQL("CASE WHEN count(*) = 1 THEN {f}(s.{p}) END AS {p}").format(
                f=sql.SQL(function), p=sql.Identifier(p)))
        else:
            continue
        kept.append(p)
    fid = sql.SQL("CASE WHEN c.n = 1 THEN {} ELSE {} END").format(
        _feature_id(sql.SQL("c.one_id"), source.columns.get(layer.id_column, "string"),
                    layer.name if fused else None), _CLUSTER_ID)
    if fused:
        pairs = [sql.SQL("'layer', {}").format(sql.Literal(layer.name)), sql.SQL("'count', c.n")] + [
            sql.SQL("{}, c.{}").format(sql.Literal(p), sql.Identifier(p)) for p in kept]
        props = sql.SQL("jsonb_strip_nulls(jsonb_build_object({})) AS props").format(
            sql.SQL(", ").join(pairs))
    else:
        props = sql.SQL(", ").join([sql.SQL("c.n AS count")]
                                   + [sql.SQL("c.{}").format(sql.Identifier(p)) for p in kept])
    return sql.SQL(
        "SELECT {fid} AS fid, {props}, "
        "ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(c.cx, c.cy), {srid}), bounds.env, {extent}, {buffer}, true) "
        "AS geom "
        "FROM (SELECT {aggregates} FROM (SELECT {inner} FROM {table} t, bounds WHERE {where}) s "
        "WHERE s.cx >= %(x0)s AND s.cx < %(x1)s AND s.cy > %(y0)s AND s.cy <= %(y1)s "
        "GROUP BY gx, gy) c, bounds"
    ).format(fid=fid, props=props, srid=sql.Literal(srid), extent=sql.Literal(EXTENT),
             buffer=sql.Literal(BUFFER), aggregates=sql.SQL(", ").join(aggregates),
             inner=sql.SQL(", ").join(inner), table=layer.table, where=where)


_CELL = sql.SQL("floor((s.cx - %(x0)s) / %(cell)s)::int AS gx, floor((%(y1)s - s.cy) / %(cell)s)::int AS gy")


def _summary(where: sql.Composable, *, fused: bool, name: str) -> sql.Composable:
    """Point aggregates of the components from their per-cell summary table (no row scan)."""
    props = (sql.SQL("jsonb_strip_nulls(jsonb_build_object('layer', {}, 'count', c.n, 'major_code', "
                     "c.major_code, 'class_code', c.class_code)) AS props").format(sql.Literal(name))
             if fused else sql.SQL("c.n AS count, c.major_code, c.class_code"))
    return sql.SQL(
        "SELECT {fid} AS fid, {props}, ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(c.cx, c.cy), 3857), bounds.env, "
        "{extent}, {buffer}, true) AS geom "
        "FROM (SELECT sum(s.n)::int AS n, sum(s.sum_x) / sum(s.n) AS cx, sum(s.sum_y) / sum(s.n) AS cy, "
        "(array_agg(s.major_code ORDER BY s.n DESC))[1] AS major_code, "
        "CASE WHEN min(s.class_code) = max(s.class_code) THEN min(s.class_code) END AS class_code, {cell} "
        "FROM (SELECT t.*, ST_X(t.geom_3857) AS cx, ST_Y(t.geom_3857) AS cy FROM {table} t, bounds "
        "WHERE {where}) s "
        "WHERE s.cx >= %(x0)s AND s.cx < %(x1)s AND s.cy > %(y0)s AND s.cy <= %(y1)s "
        "GROUP BY gx, gy) c, bounds"
    ).format(fid=_CLUSTER_ID, props=props, extent=sql.Literal(EXTENT), buffer=sql.Literal(BUFFER),
             cell=_CELL, table=SUMMARY_TABLE, where=where)


def part_params(name: str, sources: Sequence[Source], matrix_set: MatrixSet,
                tile: morecantile.Tile) -> dict[str, Any]:
    """The bound parameters of one MVT layer's statement: the tile's box and cells, the class
    layers' scheme and prefix, the filters' values."""
    box = matrix_set.bounds(tile)
    width = box.max_x - box.min_x
    params: dict[str, Any] = {"name": name, "x0": box.min_x, "y0": box.min_y, "x1": box.max_x,
                              "y1": box.max_y, "tolerance": width / EXTENT,
                              "cell": width / CLUSTER_CELLS, "gx0": tile.x * CLUSTER_CELLS,
                              "gy0": tile.y * CLUSTER_CELLS}
    for i, source in enumerate(sources):
        if source.layer.class_prefix is not None:
            params[f"scheme{i}"], params[f"prefix{i}"] = source.layer.scheme, source.layer.class_prefix
        params.update(source.params or {})
    return params


def part_statement(sources: Sequence[Source], matrix_set: MatrixSet, *, simplify: bool) -> sql.Composed:
    """The statement of one MVT layer of a tile (its values are bound: see part_params)."""
    fused = len(sources) > 1
    selects = []
    for i, source in enumerate(sources):
        geom = sql.SQL("t.{}").format(sql.Identifier(matrix_set.geometry_column))
        conditions: list[sql.Composable] = [sql.SQL("{} && bounds.env").format(geom)]
        layer = source.layer
        if layer.class_prefix is not None:
            conditions.append(sql.SQL("t.scheme = {s} AND t.class_code LIKE {p} || '%%'").format(
                s=sql.Placeholder(f"scheme{i}"), p=sql.Placeholder(f"prefix{i}")))
        if source.condition is not None:
            conditions.append(source.condition)
        where = sql.SQL(" AND ").join(conditions)
        if source.mode == "summary":
            selects.append(_summary(where, fused=fused, name=layer.name))
        elif source.mode == "cluster":
            selects.append(_cluster(source, geom, matrix_set.srid, fused=fused, where=where))
        else:
            selects.append(_raw(source, geom, fused=fused, where=where, simplify=simplify))
    return sql.SQL(
        "WITH bounds AS (SELECT ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, {srid}) AS env) "
        "SELECT ST_AsMVT(f, %(name)s, {extent}, 'geom', 'fid') FROM ({union}) AS f WHERE f.geom IS NOT NULL"
    ).format(srid=sql.Literal(matrix_set.srid), extent=sql.Literal(EXTENT),
             union=sql.SQL(" UNION ALL ").join(sql.SQL("({})").format(s) for s in selects))


async def render_part(conn: psycopg.AsyncConnection, name: str, sources: Sequence[Source],
                      matrix_set: MatrixSet, tile: morecantile.Tile) -> bytes:
    """One encoded MVT layer (b"" when the tile holds none of its features)."""
    simplify = tile.z < SIMPLIFY_BELOW_ZOOM
    query: str | sql.Composed
    if all(source.condition is None for source in sources):
        # unfiltered statements differ only by their parameters: compose their text once
        key = (tuple((s.layer, s.mode, tuple(s.columns.items())) for s in sources), matrix_set.id, simplify)
        cached = _TEXTS.get(key)
        if cached is None:
            if len(_TEXTS) > 4096:
                _TEXTS.clear()
            cached = _TEXTS[key] = part_statement(sources, matrix_set, simplify=simplify).as_string(conn)
        query = cached
    else:
        query = part_statement(sources, matrix_set, simplify=simplify)
    row = await (await conn.execute(query, part_params(name, sources, matrix_set, tile))).fetchone()
    return bytes(row[0]) if row and row[0] else b""
