"""The arguments pygeoapi hands a provider, checked and turned into an ItemQuery.

pygeoapi has validated the shape of limit, offset, sortby and properties; this module
checks the values (finite bbox, RFC 3339 datetimes, property types) and onemap's own
query parameters, which pygeoapi passes through as extra "properties". A date, or a date-time without
an offset, is the city's local time (ONEMAP_TIMEZONE):

    grid=<code prefix>   unit-grid / admin code prefix: county 6, street 9, community 12, cell 15 digits
    class=<prefix>       component class code prefix (2 to 5 digits)
    state=<状态>         component state (完好, 破损 …)
    as_of=<date-time>    the component versions valid at that time (history), not the current ones
    geometry_type=point|line|polygon   one kind of geometry of a layer that mixes them (components),
                         for clients that draw one kind per layer (ArcGIS's OGCFeatureLayer)
    count=exact          numberMatched counted on any result (default: left out above 100,000 matches)

A single item takes `as_of` too (the version valid then); pygeoapi does not hand a single item's query
parameters to the provider, so the router passes them in the OgcRequest.
"""

import math
import re
from collections.abc import Sequence
from datetime import date, datetime, tzinfo
from typing import Any, Literal

from psycopg import sql
from pygeoapi.util import CrsTransformSpec

from gis.crs import CGCS2000, CrsRef, crs_from_uri, epsg_uri
from gis.errors import InvalidParameter
from gis.local_time import day_bound, local_instant, read_timestamp
from layers.layer_states import check_states
from layers.ogc_context import OgcRequest
from layers.ogc_cql import compile_filter
from layers.ogc_query import MAX_OFFSET, ItemQuery, LayerSpec
from layers.registry import GEOMETRY_DIMENSIONS

STORAGE_CRS = CrsRef(CGCS2000, True, epsg_uri(CGCS2000))
_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_GRID_LENGTHS = (6, 9, 12, 15)
_ONEMAP_PARAMETERS = ("grid", "class", "as_of", "geometry_type", "count")
_PYGEOAPI_ITEM_PARAMETERS = ("f", "lang", "crs")  # what pygeoapi's get_collection_item reads itself

def _short(text: object, size: int = 60) -> str:
    shown = str(text)
    return shown if len(shown) <= size else shown[:size] + "…"


def _unknown(name: str) -> InvalidParameter:
    return InvalidParameter(f"unknown query parameter {_short(name)!r}")


def output_crs(spec: CrsTransformSpec | None) -> CrsRef:
    """The CRS of response coordinates; pygeoapi passes no spec when it is the storage CRS."""
    return crs_from_uri(spec.target_crs_uri) if spec is not None else STORAGE_CRS


def parse_instant(text: str, zone: tzinfo, *, end: bool = False) -> datetime:
    """An RFC 3339 date-time, or a date (its start, or its last microsecond when `end`); a date, or a
    date-time without an offset, is the city's local time `zone`."""
    try:
        if len(text) <= 10:
            return day_bound(date.fromisoformat(text), zone, end=end)
        return local_instant(read_timestamp(text), zone)
    except (ValueError, TypeError):
        raise InvalidParameter(f"{_short(text)!r} is not an RFC 3339 date or date-time") from None


def parse_interval(text: str, zone: tzinfo) -> tuple[datetime | None, datetime | None] | None:
    """The `datetime` parameter: an instant, or start/end with '..' or '' for an open end."""
    if "/" not in text:
        return parse_instant(text, zone), parse_instant(text, zone, end=len(text) <= 10)
    start_text, _, end_text = text.partition("/")
    start = None if start_text in ("", "..") else parse_instant(start_text, zone)
    end = None if end_text in ("", "..") else parse_instant(end_text, zone, end=True)
    if start is not None and end is not None and start > end:
        raise InvalidParameter("datetime interval ends before it starts")
    return None if start is None and end is None else (start, end)


def _typed(spec: LayerSpec, name: str, text: str, zone: tzinfo) -> Any:
    """A query-parameter value as the type of the property it filters."""
    kind = spec.fields[name]
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            value = float(text)
            if not math.isfinite(value):
                raise ValueError(text)
            return value
        if kind == "boolean" and text.lower() in ("true", "false"):
            return text.lower() == "true"
        if kind == "date":
            return date.fromisoformat(text)
        if kind == "date-time":
            return local_instant(read_timestamp(text), zone)
        if kind == "string":
            return text
    except ValueError:
        pass
    raise InvalidParameter(f"{name}={_short(text)!r} is not a valid {kind}")


def _digits(name: str, text: str, lengths: Sequence[int]) -> str:
    if not _DIGITS.fullmatch(text) or len(text) not in lengths:
        allowed = ", ".join(map(str, lengths))
        raise InvalidParameter(f"{name}={_short(text)!r} must be a code prefix of {allowed} digits")
    return text


def item_query(spec: LayerSpec, *, offset: int, limit: int, resulttype: str, datetime_: str | None,
               properties: Sequence[tuple[str, str]], sortby: Sequence[dict[str, str]],
               select_properties: Sequence[str], skip_geometry: bool,
               crs_transform_spec: CrsTransformSpec | None, request: OgcRequest, zone: tzinfo) -> ItemQuery:
    """Check every argument pygeoapi passes to `query` and build the ItemQuery (bbox and filter
    come from the router, in `request`: pygeoapi never sees them). Dates and times without an offset
    are read in the city's `zone`."""
    if offset > MAX_OFFSET:  # pygeoapi checked that it is an integer of at least 0
        raise InvalidParameter(f"offset must be at most {MAX_OFFSET}")
    extras: dict[str, str] = {}
    equals: list[tuple[str, Any]] = []
    for name, value in properties:
        if name in _ONEMAP_PARAMETERS:
            extras[name] = value
        elif name in spec.fields:
            if name == "state":
                check_states((value,), (spec.kind,))
            equals.append((name, _typed(spec, name, value, zone)))
        else:
            raise _unknown(name)
    condition: sql.Composable | None = None
    condition_params: dict[str, Any] = {}
    if request.filter is not None:
        condition, condition_params = compile_filter(request.filter, spec.fields, crs=request.filter_crs,
                                                     zone=zone)
    return ItemQuery(
        offset=offset, limit=limit, output=output_crs(crs_transform_spec), bbox=request.bbox,
        interval=parse_interval(datetime_, zone) if datetime_ else None, equals=tuple(equals),
        sortby=tuple((s["property"], s.get("order") == "-") for s in sortby or ()),
        select=tuple(select_properties) if select_properties else None, skip_geometry=skip_geometry,
        condition=condition, condition_params=condition_params, hits_only=resulttype == "hits",
        count=_count_mode(extras.get("count")), **_onemap_filters(spec, extras, zone))


def item_as_of(spec: LayerSpec, params: Sequence[tuple[str, str]], zone: tzinfo) -> datetime | None:
    """A single item's `as_of`, checked as the items list checks it; any parameter that neither pygeoapi's
    single-item endpoint nor as_of reads is refused, as the items list refuses one."""
    extras: dict[str, str] = {}
    for name, value in params:
        if name == "as_of":
            extras[name] = value
        elif name not in _PYGEOAPI_ITEM_PARAMETERS:
            raise _unknown(name)
    return _onemap_filters(spec, extras, zone).get("as_of")


def _count_mode(text: str | None) -> Literal["auto", "exact"]:
    if text in (None, "auto", "estimate"):
        return "auto"
    if text == "exact":
        return "exact"
    raise InvalidParameter(f"count={_short(text)!r}: use count=exact")


def _onemap_filters(spec: LayerSpec, extras: dict[str, str], zone: tzinfo) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if "grid" in extras:
        if spec.grid_column is None:
            raise InvalidParameter(f"collection {spec.name} has no unit-grid or admin code to filter by grid")
        found["grid_prefix"] = _digits("grid", extras["grid"], _GRID_LENGTHS)
    if "class" in extras:
        if spec.kind != "components":
            raise InvalidParameter(f"collection {spec.name} has no component classes to filter by class")
        found["class_prefix"] = _digits("class", extras["class"], (2, 3, 4, 5))
    if "as_of" in extras:
        if spec.kind != "components":
            raise InvalidParameter(f"collection {spec.name} keeps no history to query with as_of")
        found["as_of"] = parse_instant(extras["as_of"], zone)  # a date: its start, as `onemap export --as-of`
    if "geometry_type" in extras:
        if spec.geometry_type != "mixed":
            raise InvalidParameter(f"collection {spec.name} holds one kind of geometry: geometry_type "
                                   "filters layers that mix points, lines and polygons")
        if extras["geometry_type"] not in GEOMETRY_DIMENSIONS:
            raise InvalidParameter(f"geometry_type={_short(extras['geometry_type'])!r} is not one of "
                                   f"{', '.join(GEOMETRY_DIMENSIONS)}")
        found["dimension"] = GEOMETRY_DIMENSIONS[extras["geometry_type"]]
    return found
