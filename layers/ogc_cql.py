"""CQL2 filters (OGC API - Features Part 3) parsed by pygeofilter, compiled to SQL with bound values.

Text and JSON encodings are parsed by pygeofilter's CQL2 parsers; the text grammar is
extended with ``S_DWITHIN(geometry, geometry, distance[, unit])`` (distance in metres unless
the unit says km), which CQL2 1.0 lacks and city users need ("components within 50 m of
this point"). The compiler checks every property against the collection's queryables and
every literal against the property's type, and binds every value as a named parameter
(``%(cql0)s`` …) through psycopg.sql: no user text ever becomes SQL text.
"""

import json
import math
from collections.abc import Callable, Mapping
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any, ClassVar

import shapely
from lark import Lark, v_args
from lark.exceptions import LarkError
from psycopg import sql
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_json.parser import walk_cql_json
from pygeofilter.parsers.cql2_text import parser as cql2_text

from gis.crs import CGCS2000, WGS84, CrsRef, area_of_use, crs_from_uri, transform
from gis.errors import InvalidParameter
from gis.local_time import day_bound, local_instant, read_timestamp
from layers import ogc_cql_temporal as temporal
from layers.ogc_cql_temporal import BEGIN, END, TemporalRelation

MAX_FILTER_CHARS = 8192
MAX_NODES = 200
MAX_VERTICES = 10_000
MAX_DISTANCE_M = 100_000.0
# 1° of longitude is ≥ 60 km up to 57°N (all of China but its northern tip), so a distance d in
# metres is ≤ d / 60,000 degrees in any direction: a safe index prefilter before the exact test.
_METRES_PER_DEGREE_AT_LEAST = 60_000.0
_UNITS = {"meters": 1.0, "metres": 1.0, "m": 1.0, "kilometers": 1000.0, "kilometres": 1000.0, "km": 1000.0}
GEOMETRY_NAMES = ("geometry", "geom")
TEXT_LANGS = (None, "cql2-text", "cql-text")
JSON_LANGS = ("cql2-json",)

_GRAMMAR_FILE = Path(cql2_text.__file__).with_name("grammar.lark")
# CQL2's temporal functions are written T_AFTER(a, b); pygeofilter reads only its draft's infix form
# (a T_AFTER b) and INTERVAL of two quoted timestamps, not of dates, '..' or properties.
_EXTENSION = (
    '\n%extend spatial_predicate: "S_DWITHIN"i "(" expression "," expression "," full_number'
    ' ["," DISTANCE_UNIT] ")" -> distance_within\n'
    'DISTANCE_UNIT: "meters"i | "metres"i | "kilometers"i | "kilometres"i | "km"i | "m"i\n'
    '%extend temporal_predicate: _binary_temporal_predicate_func "(" expression "," expression ")"'
    ' -> temporal_function\n'
    '%extend _binary_temporal_predicate_func: "T_STARTS"i | "T_STARTEDBY"i | "T_FINISHES"i'
    ' | "T_FINISHEDBY"i | "T_DISJOINT"i\n'
    '%override ?interval: "INTERVAL"i "(" _interval_end "," _interval_end ")"\n'
    '_interval_end: SINGLE_QUOTED | attribute | timestamp | date\n'
    # NOT of a parenthesised condition (GDAL sends `NOT ((note IS NULL))` for IS NOT NULL); a property
    # name of one character (a hotspot's p and z); '' inside a string (O''Brien)
    '%override ?condition_1: predicate | "NOT"i predicate -> not_ | "NOT"i "(" condition ")" -> not_'
    ' | "(" condition ")"\n'
    '%override attribute: /[a-zA-Z][a-zA-Z_:0-9.]*/ | DOUBLE_QUOTED\n'
    "%override SINGLE_QUOTED: /'(?:[^']|'')*'/\n")


@v_args(meta=False, inline=True)
class _Transformer(cql2_text.CQLTransformer):
    def distance_within(self, lhs: Any, rhs: Any, distance: Any, unit: Any = None) -> ast.Node:
        return ast.DistanceWithin(lhs, rhs, float(distance), str(unit or "meters").lower())

    def temporal_function(self, name: Any, lhs: Any, rhs: Any) -> TemporalRelation:
        return TemporalRelation(_temporal_function(str(name)), lhs, rhs)

    def binary_temporal_predicate(self, lhs: Any, name: Any, rhs: Any) -> TemporalRelation:
        return TemporalRelation(_temporal_function(str(name)), lhs, rhs)

    def interval(self, start: Any, end: Any) -> values.Interval:
        return temporal.interval(start, end)

    def SINGLE_QUOTED(self, token: Any) -> str:  # a terminal's callback: lark names it after the terminal
        return str(token)[1:-1].replace("''", "'")


def _temporal_function(name: str) -> str:
    function = temporal.function_named(name)
    if function is None:  # the grammar admits only the names function_named knows
        raise ValueError(f"{name} is not a temporal function")
    return function


_TEXT_PARSER = Lark(_GRAMMAR_FILE.read_text(encoding="utf-8") + _EXTENSION, parser="lalr",
                    maybe_placeholders=False, transformer=_Transformer(),
                    import_paths=[str(_GRAMMAR_FILE.parent.parent)], source_path=str(_GRAMMAR_FILE))


def _short(text: str, size: int = 120) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= size else text[:size] + "…"


def parse_filter(text: str, lang: str | None = None) -> ast.Node:
    """Parse a `filter` in CQL2 text (the default) or CQL2 JSON; InvalidParameter when malformed."""
    if lang not in TEXT_LANGS + JSON_LANGS:
        raise InvalidParameter(f"filter-lang {_short(str(lang), 40)!r} is not supported: use cql2-text or "
                               "cql2-json")
    if len(text) > MAX_FILTER_CHARS:
        raise InvalidParameter(f"filter is longer than {MAX_FILTER_CHARS} characters")
    as_json = lang in JSON_LANGS or text.lstrip().startswith("{")
    try:
        node = _parse_json(text) if as_json else _TEXT_PARSER.parse(text)
    except (LarkError, ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as error:
        kind = "CQL2 JSON" if as_json else "CQL2 text"
        raise InvalidParameter(f"filter is not valid {kind}: {_short(str(error))}") from None
    if not isinstance(node, ast.Node):
        raise InvalidParameter("filter is not a boolean expression")
    return node


def _parse_json(text: str) -> Any:
    return _walk_json(json.loads(text))


def _walk_json(node: Any) -> Any:
    """pygeofilter's CQL2 JSON walker, plus s_dwithin and bbox literals (which it lacks or misreads)."""
    if isinstance(node, list):
        return [_walk_json(item) for item in node]
    if isinstance(node, bool):  # a boolean literal where a condition stands: true holds, false does not
        return ast.Include(not_=not node)
    if not isinstance(node, dict):
        return walk_cql_json(node)
    if "bbox" in node and isinstance(node["bbox"], list):
        return ast.Function("bbox", list(node["bbox"]))
    op, args = node.get("op"), node.get("args")
    if op in ("and", "or") and isinstance(args, list):
        return (ast.And if op == "and" else ast.Or).from_items(*[_walk_json(a) for a in args])
    if op == "not" and isinstance(args, list) and len(args) == 1:
        return ast.Not(_walk_json(args[0]))
    function = temporal.function_named(op) if isinstance(op, str) else None
    if function is not None and isinstance(args, list) and len(args) == 2:
        return TemporalRelation(function, *[temporal.json_operand(a) for a in args])
    if op == "between" and isinstance(args, list) and len(args) == 3:  # CQL2's form; the draft's nests a list
        return ast.Between(*[_walk_json(a) for a in args], not_=False)
    if op == "s_dwithin" and isinstance(args, list) and len(args) in (3, 4):
        unit = str(args[3]).lower() if len(args) == 4 else "meters"
        return ast.DistanceWithin(_walk_json(args[0]), _walk_json(args[1]), float(args[2]), unit)
    if op is not None and isinstance(args, list):
        return walk_cql_json({**node, "args": [_literal_json(a) for a in args]})
    return walk_cql_json(node)


def _literal_json(arg: Any) -> Any:
    """Pre-walk an argument only where pygeofilter would misread it (bbox objects)."""
    if isinstance(arg, dict) and "bbox" in arg:
        return _walk_json(arg)
    return arg


class _Compiler:
    """One compilation: the queryables, the CRS of literals, and the parameters bound so far."""

    def __init__(self, fields: Mapping[str, str], crs: CrsRef, zone: tzinfo, prefix: str) -> None:
        self.fields = fields
        self.crs = crs
        self.zone = zone
        self.prefix = prefix
        self.params: dict[str, Any] = {}
        self.nodes = 0

    def bind(self, value: Any) -> sql.Composable:
        name = f"{self.prefix}{len(self.params)}"
        self.params[name] = value
        return sql.Placeholder(name)

    # -- predicates --------------------------------------------------------------------------------

    def predicate(self, node: Any) -> sql.Composable:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise InvalidParameter(f"filter has more than {MAX_NODES} terms")
        for kind, handler in self._HANDLERS:
            if isinstance(node, kind):
                return handler(self, node)
        raise InvalidParameter(f"{_describe(node)} is not supported in a filter here")

    def _combination(self, node: ast.Combination) -> sql.Composable:
        joiner = " AND " if isinstance(node, ast.And) else " OR "
        return sql.SQL("({})").format(sql.SQL(joiner).join([self.predicate(node.lhs),
                                                            self.predicate(node.rhs)]))

    def _not(self, node: ast.Not) -> sql.Composable:
        return sql.SQL("(NOT {})").format(self.predicate(node.sub_node))

    def _include(self, node: ast.Include) -> sql.Composable:
        return sql.SQL("FALSE" if node.not_ else "TRUE")

    _COMPARISONS: ClassVar[Mapping[type, str]] = {
        ast.Equal: "=", ast.NotEqual: "<>", ast.LessThan: "<", ast.LessEqual: "<=",
        ast.GreaterThan: ">", ast.GreaterEqual: ">="}
    _MIRRORED: ClassVar[Mapping[str, str]] = {
        "<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "<>": "<>"}

    def _comparison(self, node: ast.Comparison) -> sql.Composable:
        op = self._COMPARISONS[type(node)]
        lhs, rhs = node.lhs, node.rhs
        if not _is_expression(lhs) and _is_expression(rhs):
            lhs, rhs, op = rhs, lhs, self._MIRRORED[op]
        column, kind = self.expression(lhs)
        if kind in ("object", "array"):
            raise InvalidParameter(f"{_describe(lhs)} is not comparable")
        other = self.expression(rhs)[0] if _is_expression(rhs) else self.literal(rhs, kind, lhs)
        return sql.SQL("({} " + op + " {})").format(column, other)

    def _between(self, node: ast.Between) -> sql.Composable:
        column, kind = self.expression(node.lhs)
        template = "({} NOT BETWEEN {} AND {})" if node.not_ else "({} BETWEEN {} AND {})"
        return sql.SQL(template).format(column, self.literal(node.low, kind, node.lhs),
                                        self.literal(node.high, kind, node.lhs))

    def _like(self, node: ast.Like) -> sql.Composable:
        column, kind = self.expression(node.lhs)
        if kind != "string":
            raise InvalidParameter(f"LIKE needs a string property, {_describe(node.lhs)} is {kind}")
        pattern = self.literal(node.pattern, "string", node.lhs)
        # CQL2 wildcards are SQL's: % any run, _ one character, backslash escapes.
        op = "NOT " if node.not_ else ""
        op += "ILIKE" if node.nocase else "LIKE"
        return sql.SQL("({} " + op + " {} ESCAPE '\\')").format(column, pattern)

    def _in(self, node: ast.In) -> sql.Composable:
        column, kind = self.expression(node.lhs)
        if not node.sub_nodes:
            raise InvalidParameter("IN needs at least one value")
        options = sql.SQL(", ").join([self.literal(v, kind, node.lhs) for v in node.sub_nodes])
        return sql.SQL("({} " + ("NOT IN" if node.not_ else "IN") + " ({}))").format(column, options)

    def _is_null(self, node: ast.IsNull) -> sql.Composable:
        column = self.geometry(node.lhs) if _is_geometry_name(node.lhs) else self.expression(node.lhs)[0]
        return sql.SQL("({} IS NOT NULL)" if node.not_ else "({} IS NULL)").format(column)

    _SPATIAL: ClassVar[Mapping[type, str]] = {
        ast.GeometryIntersects: "ST_Intersects", ast.GeometryContains: "ST_Contains",
        ast.GeometryWithin: "ST_Within", ast.GeometryTouches: "ST_Touches",
        ast.GeometryCrosses: "ST_Crosses", ast.GeometryOverlaps: "ST_Overlaps",
        ast.GeometryEquals: "ST_Equals"}

    def _spatial(self, node: ast.SpatialComparisonPredicate) -> sql.Composable:
        lhs, rhs = self.geometry(node.lhs), self.geometry(node.rhs)
        if isinstance(node, ast.GeometryDisjoint):
            return sql.SQL("(NOT ST_Intersects({}, {}))").format(lhs, rhs)
        return sql.SQL("{}({}, {})").format(sql.SQL(self._SPATIAL[type(node)]), lhs, rhs)

    def _distance(self, node: ast.SpatialDistancePredicate) -> sql.Composable:
        factor = _UNITS.get(str(node.units).lower())
        if factor is None:
            raise InvalidParameter(f"distance unit {_short(str(node.units), 20)!r} is not one of m, km")
        metres = float(node.distance) * factor
        if not (math.isfinite(metres) and 0 <= metres <= MAX_DISTANCE_M):
            raise InvalidParameter(f"distance must be between 0 and {MAX_DISTANCE_M:.0f} m")
        lhs, rhs = self.geometry(node.lhs), self.geometry(node.rhs)
        within = sql.SQL("(ST_DWithin({a}, {b}, {deg}) AND ST_DWithin({a}::geography, {b}::geography, {m}))")
        clause = within.format(a=lhs, b=rhs, deg=self.bind(metres / _METRES_PER_DEGREE_AT_LEAST),
                               m=self.bind(metres))
        return sql.SQL("(NOT {})").format(clause) if isinstance(node, ast.DistanceBeyond) else clause

    def _bbox(self, node: ast.BBox) -> sql.Composable:
        crs = crs_from_uri(node.crs) if node.crs else self.crs
        box = self.envelope([node.minx, node.miny, node.maxx, node.maxy], crs)
        return sql.SQL("ST_Intersects({}, {})").format(self.geometry(node.lhs), box)

    def _temporal(self, node: TemporalRelation) -> sql.Composable:
        kind, prop = self._temporal_kind(node)
        first, second = self._range(node.lhs, kind, prop), self._range(node.rhs, kind, prop)
        bound: dict[Any, sql.Composable] = {}  # one parameter per value (an instant's begin and end)

        def as_sql(value: Any, side: int) -> sql.Composable:
            if value is None or isinstance(value, sql.Composable):
                return _sql_end(value, side, kind)
            if value not in bound:
                bound[value] = self.bind(value)
            return bound[value]

        function = temporal.NEGATED.get(node.function, node.function)
        conditions = [sql.SQL("{} " + op + " {}").format(as_sql(first[mine], mine),
                                                         as_sql(second[theirs], theirs))
                      for mine, op, theirs in temporal.ENDPOINT_CONDITIONS[function]]
        held = sql.SQL("({})").format(sql.SQL(" AND ").join(conditions))
        return sql.SQL("(NOT {})").format(held) if function != node.function else held

    def _temporal_kind(self, node: TemporalRelation) -> tuple[str, Any]:
        """The type (date or date-time) of the properties a temporal function compares, and one of them."""
        ends = [end for operand in (node.lhs, node.rhs) for end in _ends(operand)]
        properties = [end for end in ends if _is_expression(end)]
        if not properties:
            raise InvalidParameter(f"{node.function.upper()} needs a date or timestamp property")
        kinds: dict[str, Any] = {}
        for prop in properties:
            kind = self.expression(prop)[1]
            if kind not in ("date", "date-time"):
                raise InvalidParameter(f"{_describe(prop)} is not a date or timestamp")
            kinds[kind] = prop
        if len(kinds) > 1:
            dated, timed = _describe(kinds["date"]), _describe(kinds["date-time"])
            raise InvalidParameter(f"{node.function.upper()} compares {dated} (a date) with {timed} (a "
                                   "timestamp): compare one kind")
        kind, prop = next(iter(kinds.items()))
        return kind, prop

    def _range(self, operand: Any, kind: str, prop: Any) -> tuple[Any, Any]:
        """The begin and end of an operand (a property's SQL, a checked value, None when open): an
        instant's are one value; a day met by a timestamp property is the whole day, its first to its last
        microsecond in the city's zone."""
        start, end = _ends(operand) if isinstance(operand, values.Interval) else (operand, operand)
        begin, finish = self._end(start, BEGIN, kind, prop), self._end(end, END, kind, prop)
        if _after(begin, finish):
            raise InvalidParameter(f"INTERVAL({_short(str(start), 40)}, {_short(str(end), 40)}) ends before "
                                   "it begins")
        return begin, finish

    def _end(self, value: Any, side: int, kind: str, prop: Any) -> Any:
        """One end as a property's SQL, None when open, or a checked date or datetime."""
        if value is None:
            return None
        if _is_expression(value):
            return self.expression(value)[0]
        day = _day(value)
        if kind == "date-time" and day is not None:
            return day_bound(day, self.zone, end=side == END)
        checked = _coerce(value, kind, self.zone)
        if checked is None:
            raise InvalidParameter(f"{_describe(value)} does not fit {_describe(prop)} ({kind})")
        return checked

    _HANDLERS: ClassVar[tuple[tuple[type, Callable[["_Compiler", Any], sql.Composable]], ...]] = (
        (ast.Combination, _combination), (ast.Not, _not), (ast.Include, _include),
        (ast.Comparison, _comparison), (ast.Between, _between), (ast.Like, _like), (ast.In, _in),
        (ast.IsNull, _is_null), (ast.SpatialComparisonPredicate, _spatial),
        (ast.SpatialDistancePredicate, _distance), (ast.BBox, _bbox),
        (TemporalRelation, _temporal))

    # -- operands ----------------------------------------------------------------------------------

    def expression(self, node: Any) -> tuple[sql.Composable, str]:
        """A property (or CASEI of one) as SQL, with its queryable type."""
        if isinstance(node, ast.Attribute):
            if node.name in self.fields:
                return sql.SQL("t.{}").format(sql.Identifier(node.name)), self.fields[node.name]
            if node.name in GEOMETRY_NAMES:
                raise InvalidParameter("the geometry is compared with spatial functions (S_INTERSECTS …)")
            known = ", ".join(sorted(self.fields))
            raise InvalidParameter(f"unknown property {_short(node.name, 60)!r}: the queryables are {known}")
        if isinstance(node, ast.Function) and node.name.lower() == "lower" and len(node.arguments) == 1:
            inner, kind = self.expression(node.arguments[0])
            if kind != "string":
                raise InvalidParameter("CASEI needs a string property")
            return sql.SQL("lower({})").format(inner), "string"
        raise InvalidParameter(f"{_describe(node)} is not a property")

    def literal(self, value: Any, kind: str, prop: Any) -> sql.Composable:
        """A value bound as a parameter, checked against the type of the property it meets."""
        if isinstance(value, ast.Function) and value.name.lower() == "lower" and len(value.arguments) == 1:
            return sql.SQL("lower({})").format(self.literal(value.arguments[0], "string", prop))
        checked = _coerce(value, kind, self.zone)
        if checked is None:
            raise InvalidParameter(f"{_describe(value)} does not fit {_describe(prop)} ({kind})")
        return self.bind(checked)

    def geometry(self, node: Any) -> sql.Composable:
        if _is_geometry_name(node):
            return sql.SQL("t.geom")
        if isinstance(node, values.Geometry):
            crs_name = node.geometry.get("crs", {}).get("properties", {}).get("name")
            return self.shape(node.geometry, crs_from_uri(crs_name) if crs_name else self.crs)
        if isinstance(node, ast.Function) and node.name.lower() == "bbox":
            return self.envelope(node.arguments, self.crs)
        raise InvalidParameter(f"{_describe(node)} is not a geometry")

    def envelope(self, numbers: list[Any], crs: CrsRef) -> sql.Composable:
        if len(numbers) not in (4, 6) or not all(_is_number(n) for n in numbers):
            raise InvalidParameter("BBOX needs 4 (or 6) numbers")
        half = len(numbers) // 2
        return self.shape(shapely.box(numbers[0], numbers[1], numbers[half], numbers[half + 1]), crs)

    def shape(self, geometry: Any, crs: CrsRef) -> sql.Composable:
        try:
            geom = shapely.geometry.shape(geometry) if isinstance(geometry, dict) else geometry
        except (ValueError, TypeError, AttributeError, KeyError, IndexError, shapely.errors.ShapelyError):
            raise InvalidParameter("a geometry in the filter is malformed") from None
        coords = shapely.get_coordinates(geom)
        if len(coords) == 0 or len(coords) > MAX_VERTICES or not all(map(math.isfinite, coords.ravel())):
            raise InvalidParameter(f"a filter geometry needs 1 to {MAX_VERTICES} finite coordinates")
        if crs.north_first:  # EPSG axis order (lat, lon or northing, easting) to x, y
            geom = shapely.transform(geom, lambda xy: xy[:, ::-1])
        x1, y1, x2, y2 = area_of_use(crs.epsg)
        if not shapely.box(x1, y1, x2, y2).covers(shapely.envelope(geom)):
            raise InvalidParameter(f"a filter geometry lies outside the area of EPSG:{crs.epsg}")
        if crs.epsg not in (CGCS2000, WGS84):  # WGS84 and CGCS2000 agree to a few centimetres
            geom = transform(geom, crs.epsg, CGCS2000)  # a literal, not the features: cheap here
            if not all(map(math.isfinite, shapely.get_coordinates(geom).ravel())):
                raise InvalidParameter(f"a filter geometry lies outside the area of EPSG:{crs.epsg}")
        return sql.SQL("ST_GeomFromWKB({}, 4490)").format(self.bind(shapely.to_wkb(geom)))


def _is_expression(node: Any) -> bool:
    return isinstance(node, ast.Attribute | ast.Function) and not (
        isinstance(node, ast.Function) and node.name.lower() == "lower"
        and node.arguments and not isinstance(node.arguments[0], ast.Attribute | ast.Function))


def _is_geometry_name(node: Any) -> bool:
    return isinstance(node, ast.Attribute) and node.name in GEOMETRY_NAMES


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _describe(node: Any) -> str:
    if isinstance(node, ast.Attribute):
        return f"property {_short(node.name, 60)!r}"
    if isinstance(node, ast.Function):
        return f"function {_short(node.name, 40)}()"
    if isinstance(node, ast.Node | values.Geometry | values.Interval):
        return type(node).__name__
    return f"value {_short(repr(node), 60)}"


def _ends(operand: Any) -> tuple[Any, ...]:
    """An INTERVAL's start and end, or the one value of an instant."""
    return (operand.start, operand.end) if isinstance(operand, values.Interval) else (operand,)


def _sql_end(value: sql.Composable | None, side: int, kind: str) -> sql.Composable:
    """A property's end as it is; an open end as PostgreSQL's infinity of the property's type."""
    if value is not None:
        return value
    infinity = "'-infinity'" if side == BEGIN else "'infinity'"
    return sql.SQL(infinity + ("::date" if kind == "date" else "::timestamptz"))


def _after(begin: Any, end: Any) -> bool:
    """Whether an interval's literal begin lies after its literal end (properties and open ends aside)."""
    literal = (date, datetime)
    return isinstance(begin, literal) and isinstance(end, literal) and begin > end


def _day(value: Any) -> date | None:
    """A date given without a time of day: DATE('2026-03-02'), '2026-03-02', or GDAL's '2026-03-02T'."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and (len(value) == 10 or (len(value) == 11 and value[10] in "Tt")):
        return _iso(value[:10], date.fromisoformat)
    return None


def _coerce(value: Any, kind: str, zone: tzinfo) -> Any:
    """The value as the Python type psycopg binds for a property of this queryable type, or None. A date
    or a timestamp without an offset met by a date-time property is the city's local time `zone`."""
    if kind == "string":
        return value if isinstance(value, str) else None
    if kind in ("integer", "number"):
        return value if _is_number(value) else None
    if kind == "boolean":
        return value if isinstance(value, bool) else None
    if kind in ("date", "date-time"):
        moment = _moment(value)
        if isinstance(moment, datetime):
            instant = local_instant(moment, zone)
            return instant.astimezone(zone).date() if kind == "date" else instant
        if moment is not None:
            return moment if kind == "date" else day_bound(moment, zone)
    return None


def _moment(value: Any) -> date | datetime | None:
    """A date or a time: a parsed one, or its ISO text ('2026-03-02', '2026-03-02T08:00:00+08:00', and
    GDAL's '2026-03-02T', as its OAPIF driver writes a date in a filter)."""
    if isinstance(value, date):
        return value
    return _day(value) or _iso(value, read_timestamp)


def _iso(value: Any, parse: Callable[[str], Any]) -> Any:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        return parse(value)
    except ValueError:
        return None


def compile_filter(node: ast.Node, fields: Mapping[str, str], *, crs: CrsRef, zone: tzinfo,
                   prefix: str = "cql") -> tuple[sql.Composable, dict[str, Any]]:
    """A WHERE condition over relation alias `t` (geometry column `geom`) and its bound parameters; dates
    and timestamps without an offset are read in the city's `zone`."""
    compiler = _Compiler(fields, crs, zone, prefix)
    try:
        condition = compiler.predicate(node)
    except RecursionError:
        raise InvalidParameter("filter is nested too deeply") from None
    return condition, compiler.params
