"""Feature queries over one registered layer, with GeoJSON built in PostgreSQL.

Every identifier comes from the registry and is quoted by psycopg.sql; every value is a
named, bound parameter. Output coordinates are transformed in the query (ST_Transform /
the stored geom_3857 column / ST_FlipCoordinates for CRSs whose EPSG axis order is
latitude first), so no feature is reprojected in Python.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NamedTuple

import psycopg
from psycopg import sql

from gis.crs import CGCS2000, WEB_MERCATOR, CrsRef
from layers.components import STANDARD_FIELDS
from layers.registry import Layer

# numberMatched is always an exact count (OGC API - Features: "the number of features ... matching the
# selection parameters"), and it is optional: when more than this many features match, a page leaves it
# out rather than count a large table on every page (?count=exact counts anyway): a count stops at
# the cap, so no page counts more than COUNT_CAP + 1 rows.
COUNT_CAP = 100_000
MAX_OFFSET = 2**63 - 1  # PostgreSQL's OFFSET is a bigint: a larger one is a NumericValueOutOfRange
# queryable type -> JSON schema of the property (pygeoapi's `fields`)
FIELD_SCHEMAS: Mapping[str, dict[str, str]] = {
    "date": {"type": "string", "format": "date"},
    "date-time": {"type": "string", "format": "date-time"},
}


@dataclass(frozen=True)
class LayerSpec:
    """What a provider needs to know of a registry layer; travels in pygeoapi's provider options."""

    name: str
    kind: str
    schema: str
    relation: str
    id_column: str
    fields: Mapping[str, str]  # property -> queryable type (string, integer, number, date, date-time …)
    scheme: str | None = None
    class_prefix: str | None = None
    time_field: str | None = None  # the property `datetime` filters
    time_since: bool = False  # the time field starts a period lasting to now (a version, a status)
    grid_column: str | None = None  # column holding a unit-grid or admin code, for ?grid=
    editable: bool = False
    geometry_type: str = "mixed"  # point, line, polygon, or mixed (?geometry_type= then picks one)

    @property
    def table(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.relation)

    @property
    def id_type(self) -> str:
        return self.fields.get(self.id_column, "string")

    def to_options(self) -> dict[str, Any]:
        return {**self.__dict__, "fields": dict(self.fields)}

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> "LayerSpec":
        return cls(**{k: options[k] for k in cls.__dataclass_fields__ if k in options})

    def json_schemas(self) -> dict[str, dict[str, str]]:
        """pygeoapi's `fields`: property -> JSON schema (fresh dicts: pygeoapi mutates them)."""
        return {name: dict(FIELD_SCHEMAS.get(kind, {"type": kind})) for name, kind in self.fields.items()}


@dataclass(frozen=True)
class ItemQuery:
    """One page of items: every filter already parsed and checked."""

    offset: int = 0
    limit: int = 10
    output: CrsRef | None = None  # None: storage CRS, EPSG:4490 in its (lat, lon) axis order
    bbox: tuple[float, float, float, float] | None = None  # lon/lat in EPSG:4490
    interval: tuple[datetime | None, datetime | None] | None = None  # on the layer's time field
    equals: tuple[tuple[str, Any], ...] = ()
    sortby: tuple[tuple[str, bool], ...] = ()  # (property, descending)
    select: tuple[str, ...] | None = None
    skip_geometry: bool = False
    condition: sql.Composable | None = None  # compiled CQL2 filter
    condition_params: Mapping[str, Any] = field(default_factory=dict)
    grid_prefix: str | None = None
    class_prefix: str | None = None
    as_of: datetime | None = None
    dimension: int | None = None  # 0 points, 1 lines, 2 polygons (?geometry_type=)
    count: Literal["auto", "exact"] = "auto"
    hits_only: bool = False


class _Params:
    def __init__(self, initial: Mapping[str, Any] | None = None) -> None:
        self.values: dict[str, Any] = dict(initial or {})

    def bind(self, value: Any) -> sql.Placeholder:
        name = f"p{len(self.values)}"
        while name in self.values:
            name += "_"
        self.values[name] = value
        return sql.Placeholder(name)


def _column(name: str) -> sql.Composable:
    return sql.SQL("t.{}").format(sql.Identifier(name))


def _geometry(output: CrsRef | None, params: _Params) -> tuple[sql.Composable, int]:
    """The output geometry expression and its GeoJSON decimal digits (1e-8 degree ≈ 1 mm)."""
    if output is None or output.epsg in (CGCS2000, 4326):  # WGS84 ≈ CGCS2000 to a few centimetres
        north_first = output is None or output.north_first
        return (sql.SQL("ST_FlipCoordinates(t.geom)") if north_first else sql.SQL("t.geom")), 8
    if output.epsg == WEB_MERCATOR:
        return sql.SQL("t.geom_3857"), 3
    projected = sql.SQL("ST_Transform(t.geom, {}::int)").format(params.bind(output.epsg))
    if output.north_first:
        projected = sql.SQL("ST_FlipCoordinates({})").format(projected)
    return projected, 3


def _feature(spec: LayerSpec, query: ItemQuery, params: _Params) -> sql.Composable:
    """A feature as compact GeoJSON text (row_to_json writes no blanks; json_build_object does). The row
    is passed as `p.*`: a bare `p` would name a property column called p (the hot-spot layer has one)."""
    names = list(spec.fields) if query.select is None else [n for n in spec.fields if n in query.select]
    geometry: sql.Composable
    if query.skip_geometry:
        geometry = sql.SQL("'null'")
    else:
        expression, digits = _geometry(query.output, params)
        geometry = sql.SQL("coalesce(ST_AsGeoJSON({}, {}, 0), 'null')").format(
            expression, sql.Literal(digits))
    return sql.SQL("""concat('{{"type":"Feature","id":', coalesce(to_json({id})::text, 'null'), """
                   """',"geometry":', {geometry}, ',"properties":', """
                   "(SELECT row_to_json(p.*) FROM (SELECT {props}) p), '}}')").format(
        id=_column(spec.id_column), geometry=geometry,
        props=sql.SQL(", ").join(_column(n) for n in names))


def _source(spec: LayerSpec, query: ItemQuery, params: _Params) -> sql.Composable:
    """FROM clause: the layer's relation, or the component history at `as_of`."""
    if query.as_of is None:
        return spec.table
    at = params.bind(query.as_of)
    return sql.SQL("(SELECT * FROM onemap.component WHERE valid_from <= {at} "
                   "AND (valid_to IS NULL OR valid_to > {at}))").format(at=at)


def _where(spec: LayerSpec, query: ItemQuery, params: _Params) -> sql.Composable:
    parts: list[sql.Composable] = []
    if spec.class_prefix is not None:
        parts.append(sql.SQL("t.scheme = {} AND t.class_code LIKE {}").format(
            params.bind(spec.scheme), params.bind(spec.class_prefix + "%")))
    if query.class_prefix is not None:
        parts.append(sql.SQL("t.class_code LIKE {}").format(params.bind(query.class_prefix + "%")))
    if query.grid_prefix is not None and spec.grid_column is not None:
        parts.append(sql.SQL("{} LIKE {}").format(_column(spec.grid_column),
                                                  params.bind(query.grid_prefix + "%")))
    if query.dimension is not None:
        parts.append(sql.SQL("ST_Dimension(t.geom) = {}").format(params.bind(query.dimension)))
    if query.bbox is not None:
        parts.append(sql.SQL("ST_Intersects(t.geom, ST_MakeEnvelope({}, {}, {}, {}, 4490))").format(
            *[params.bind(v) for v in query.bbox]))
    if query.interval is not None and spec.time_field is not None:
        # OGC API - Features: a feature matches when its time intersects the interval; a period that
        # lasts to now intersects every interval ending after it starts
        start, end = query.interval
        if start is not None and not spec.time_since:
            parts.append(sql.SQL("{} >= {}").format(_column(spec.time_field), params.bind(start)))
        if end is not None:
            parts.append(sql.SQL("{} <= {}").format(_column(spec.time_field), params.bind(end)))
    for name, value in query.equals:
        parts.append(sql.SQL("{} = {}").format(_column(name), params.bind(value)))
    if query.condition is not None:
        parts.append(query.condition)
    return sql.SQL(" AND ").join(parts) if parts else sql.SQL("TRUE")


def _order(spec: LayerSpec, query: ItemQuery) -> sql.Composable:
    keys: list[sql.Composable] = [
        sql.SQL("{} {} NULLS LAST").format(_column(name), sql.SQL("DESC" if desc else "ASC"))
        for name, desc in query.sortby]
    keys.append(_column(spec.id_column))  # a total order, so that pages never overlap
    return sql.SQL(", ").join(keys)


# Every statement below runs with prepare=False: psycopg would prepare a statement after five runs,
# and PostgreSQL's generic plan of a bbox/filter query (which cannot know how selective the
# box is) measured 10-20 times slower than the custom plan made for the actual values.
# Connections come from an autocommit pool with a statement timeout (layers.ogc_context).


def query_page(conn: psycopg.Connection, spec: LayerSpec, query: ItemQuery) -> tuple[list[str], int | None]:
    """One page of features as GeoJSON texts, and numberMatched: exact, or None when more than
    COUNT_CAP features match and the caller did not ask for count=exact."""
    params = _Params(query.condition_params)
    source, where = _source(spec, query, params), _where(spec, query, params)
    if query.hits_only:
        return [], _count(conn, source, where, params.values)
    page = sql.SQL("SELECT {feature} FROM {source} t WHERE {where} ORDER BY {order} "
                   "LIMIT {limit} OFFSET {offset}").format(
        feature=_feature(spec, query, params), source=source, where=where,
        order=_order(spec, query), limit=params.bind(query.limit + 1), offset=params.bind(query.offset))
    rows: list[str] = [row[0] for row in conn.execute(page, params.values, prepare=False)]
    has_more = len(rows) > query.limit
    rows = rows[:query.limit]
    if not has_more and (rows or query.offset == 0):
        return rows, query.offset + len(rows)  # the last page tells the exact total
    cap = None if query.count == "exact" else COUNT_CAP
    matched = _count(conn, source, where, params.values, cap=cap)
    # an edit between the two statements cannot make the count contradict a page that has more; a page
    # past the end (offset beyond the matches) has nothing to add
    seen = query.offset + len(rows) + 1 if has_more else 0
    return rows, None if matched is None else max(matched, seen)


def query_features(conn: psycopg.Connection, spec: LayerSpec, query: ItemQuery) -> dict[str, Any]:
    """A FeatureCollection page (see query_page), features parsed; numberMatched only when counted."""
    rows, matched = query_page(conn, spec, query)
    # features as JSON text, parsed in one go (one json.loads instead of one per row)
    features = json.loads("[" + ",".join(rows) + "]")
    counted = {} if matched is None else {"numberMatched": matched}
    return {"type": "FeatureCollection", "features": features, **counted, "numberReturned": len(features)}


def _count(conn: psycopg.Connection, source: sql.Composable, where: sql.Composable,
           params: Mapping[str, Any], *, cap: int | None = None) -> int | None:
    """The number of matching features, or None when there are more than `cap`."""
    counted = sql.SQL("SELECT count(*) FROM {} t WHERE {}").format(source, where)
    if cap is not None:
        counted = sql.SQL("SELECT count(*) FROM (SELECT 1 FROM {} t WHERE {} LIMIT {}) capped").format(
            source, where, sql.Literal(cap + 1))
    row = conn.execute(counted, params, prepare=False).fetchone()
    total = int(row[0]) if row else 0
    return None if cap is not None and total > cap else total


def get_feature(conn: psycopg.Connection, spec: LayerSpec, identifier: str | int,
                output: CrsRef | None, *, as_of: datetime | None = None) -> Any:
    """One feature of the layer by its identifier (a dict), or None: the current version, or with `as_of`
    (components) the version valid then, read as the items list reads it."""
    row = _feature_row(conn, spec, identifier, ItemQuery(output=output, as_of=as_of), as_json=True)
    return row[0] if row else None


class FeatureText(NamedTuple):
    """A feature's GeoJSON text as PostgreSQL writes it, and the start of its version."""

    text: str
    valid_from: datetime | None  # an editable layer's (the version an ETag names); None on other layers


def get_feature_text(conn: psycopg.Connection, spec: LayerSpec, identifier: str | int,
                     output: CrsRef | None) -> FeatureText | None:
    """The current version of one feature by its identifier (see get_feature), as text, or None."""
    row = _feature_row(conn, spec, identifier, ItemQuery(output=output), as_json=False)
    return FeatureText(row[0], row[1]) if row else None


def _feature_row(conn: psycopg.Connection, spec: LayerSpec, identifier: str | int, query: ItemQuery, *,
                 as_json: bool) -> tuple[Any, ...] | None:
    """The feature (parsed with `as_json`, else its text) and its version's valid_from (see FeatureText)."""
    params = _Params()
    feature = _feature(spec, query, params)
    versioned = spec.editable and "valid_from" in spec.fields
    statement = sql.SQL("SELECT {feature}, {valid_from} FROM {source} t "
                        "WHERE {id} = {value} AND {where}").format(
        feature=sql.SQL("({})::json").format(feature) if as_json else feature,
        valid_from=_column("valid_from") if versioned else sql.SQL("NULL"),
        source=_source(spec, query, params), id=_column(spec.id_column), value=params.bind(identifier),
        where=_where(spec, query, params))
    row: tuple[Any, ...] | None = conn.execute(statement, params.values, prepare=False).fetchone()
    return row


# Component layers show every standard field (an editor can PUT back what it GETs), not only
# the few columns a map tile needs (the registry's `properties`).
COMPONENT_PROPERTIES = ("id", "scheme", "class_code", "major_code",
                        *[f for f in STANDARD_FIELDS if f != "id"], "attributes", "valid_from")
_GRID_COLUMNS = {"components": "grid_code", "grid": "code", "admin": "code"}
# the property `datetime` filters, by the first one a layer has: the start of the version or status a
# feature is in (valid since then), or the moment it happened (a case reported, a GPS fix)
_SINCE_FIELDS = ("valid_from", "status_at")
_INSTANT_FIELDS = ("reported_at", "t")


def layer_spec(layer: Layer, columns: Mapping[str, str]) -> LayerSpec:
    """What the provider needs: relation, id, exposed properties with their types, filters."""
    editable = layer.kind == "components" and layer.relation == "v_component"
    wanted = COMPONENT_PROPERTIES if editable else (layer.id_column, *layer.properties, "valid_from")
    fields = {name: columns[name] for name in dict.fromkeys(wanted)
              if name in columns and columns[name] != "geometry"}
    grid_column = _GRID_COLUMNS.get(layer.kind)
    time_field = next((name for name in (*_SINCE_FIELDS, *_INSTANT_FIELDS) if name in fields), None)
    return LayerSpec(
        name=layer.name, kind=layer.kind, schema=layer.schema, relation=layer.relation,
        id_column=layer.id_column, fields=fields, scheme=layer.scheme, class_prefix=layer.class_prefix,
        time_field=time_field, time_since=time_field in _SINCE_FIELDS,
        grid_column=grid_column if grid_column in columns else None, editable=editable,
        geometry_type=layer.geometry_type)
