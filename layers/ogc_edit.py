"""Writes to component layers through the OGC API (Part 4), on the import's validation and publish path.

A POST, PUT or PATCH becomes a one-row SurveyRows that goes through exactly what a survey
import goes through (layers.survey_validate, staging, layers/sql/publish.sql): the database
assigns the unit grid, community and street and allocates the identifier; a replaced version
is closed, not deleted; each write is an import batch with change_source 'api:<token name>'.
DELETE closes the current version. Every write bumps the components' data_version.
"""

import json
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import psycopg
import shapely

from gis.crs import CGCS2000, WGS84, CrsRef, transform
from gis.errors import InvalidParameter, NotFound
from grid_codes.classes import Scheme
from layers.component_writes import lock_component_writes
from layers.components import STANDARD_FIELDS, bump_data_version
from layers.ogc_context import OgcRequest
from layers.ogc_query import LayerSpec
from layers.survey_import import ImportOptions, ImportResult, import_rows
from layers.survey_rows import SurveyRows

WRITABLE = ("class_code", *[f for f in STANDARD_FIELDS if f not in ("grid_code", "street_code",
                                                                     "community_code")])
# assigned by the database or derived: accepted in a body (a GET result can be PUT back), ignored
READ_ONLY = ("grid_code", "street_code", "community_code", "major_code", "scheme", "valid_from",
             "geometry_type")
MAX_BODY_BYTES = 1_000_000  # a larger request body is refused with 413 by the router before it is read
_CURRENT_SQL = """
SELECT scheme, class_code, {columns}, attributes, ST_AsBinary(geom)
FROM onemap.component WHERE id = %s AND valid_to IS NULL FOR UPDATE
"""


@dataclass(frozen=True)
class _Feature:
    properties: dict[str, Any]
    attributes: dict[str, Any] | None
    geometry: shapely.Geometry | None


def _parse(body: bytes, crs: CrsRef, *, need_geometry: bool) -> _Feature:
    """A GeoJSON Feature body: standard properties, free `attributes`, geometry in EPSG:4490."""
    try:
        feature = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidParameter("the body is not JSON (a GeoJSON Feature is expected)") from None
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise InvalidParameter("the body must be a GeoJSON Feature")
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        raise InvalidParameter("the feature's properties must be an object")
    if _holds_nul(properties) or _holds_nul(feature.get("id")):
        raise InvalidParameter("the feature's properties contain a NUL character (\\u0000), "
                               "which no text field or attribute can store")
    unknown = sorted(set(properties) - set(WRITABLE) - set(READ_ONLY) - {"id", "attributes"})
    if unknown:
        raise InvalidParameter(f"unknown properties {', '.join(map(repr, unknown[:10]))}: the standard "
                               f"fields are {', '.join(WRITABLE)} and attributes (an object)")
    attributes = properties.get("attributes")
    if attributes is not None and not isinstance(attributes, dict):
        raise InvalidParameter("attributes must be an object")
    if feature.get("id") is not None:
        properties = {**properties, "id": str(feature["id"])}
    geometry = _geometry(feature.get("geometry"), crs)
    if geometry is None and need_geometry:
        raise InvalidParameter("the feature has no geometry")
    return _Feature({k: v for k, v in properties.items() if k in WRITABLE}, attributes, geometry)


def _holds_nul(value: Any) -> bool:
    """True when a string of the value, or a key of an object in it, contains a NUL character."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def _geometry(value: Any, crs: CrsRef) -> shapely.Geometry | None:
    if value is None:
        return None
    try:
        geom = shapely.geometry.shape(value)
    except (ValueError, TypeError, AttributeError, KeyError, IndexError, shapely.errors.ShapelyError):
        raise InvalidParameter("the feature's geometry is not valid GeoJSON") from None
    geom = shapely.force_2d(geom)  # GeoJSON positions may carry an elevation; components are 2D
    if crs.north_first:  # Content-Crs with EPSG axis order (lat, lon / northing, easting)
        geom = shapely.transform(geom, lambda xy: xy[:, ::-1])
    if crs.epsg not in (CGCS2000, WGS84):
        geom = transform(geom, crs.epsg, CGCS2000)
    return geom


def _rows(properties: dict[str, Any], attributes: dict[str, Any] | None,
          geometry: shapely.Geometry | None) -> SurveyRows:
    fields = pd.DataFrame({name: [properties.get(name)] for name in ("class_code", *STANDARD_FIELDS)},
                          dtype=object)
    return SurveyRows(np.array(["api"], dtype=object), np.array([1]), fields, [attributes or {}],
                      np.array([geometry], dtype=object))


def _class_of(spec: LayerSpec, properties: dict[str, Any], scheme: str) -> str | None:
    """The class the written component has; it must lie in the collection's class."""
    size = 4 if scheme == "legacy" else 5
    identifier = properties.get("id")
    code = properties.get("class_code") or (identifier[6:6 + size] if isinstance(identifier, str) else None)
    if code is None and spec.class_prefix is not None and len(spec.class_prefix) == size:
        code = spec.class_prefix
    if spec.class_prefix is not None and not str(code or "").startswith(spec.class_prefix):
        raise InvalidParameter(f"collection {spec.name} holds class {spec.class_prefix}; "
                               f"the feature is of class {code or '(none)'}")
    return None if code is None else str(code)


def _publish(conn: psycopg.Connection, spec: LayerSpec, request: OgcRequest, scheme: str, mode: str,
             feature: _Feature, zone: ZoneInfo) -> ImportResult:
    properties = dict(feature.properties)
    properties["class_code"] = _class_of(spec, properties, scheme)
    actor = request.actor or "anonymous"
    options = ImportOptions(scheme=_scheme(scheme), mode=mode, actor=actor, change_source=f"api:{actor}",
                            in_use_hint="PUT or PATCH on its item updates it",
                            removed_hint="a POST without an id gets a new one", timezone=zone.key)
    return import_rows(conn, _rows(properties, feature.attributes, feature.geometry),
                       [f"api:{request.method} {spec.name}"], options)


def _scheme(text: str) -> Scheme:
    if text not in ("legacy", "gb47678"):
        raise InvalidParameter(f"scheme {text!r} is not legacy or gb47678")
    return "legacy" if text == "legacy" else "gb47678"


def _checked(result: ImportResult) -> ImportResult:
    if result.status != "committed":
        reasons = "; ".join(f"{r.field}: {r.reason}" for r in result.rejections) or result.status
        raise InvalidParameter(f"the feature was rejected: {reasons}")
    return result


def create_feature(conn: psycopg.Connection, spec: LayerSpec, body: bytes, request: OgcRequest,
                   zone: ZoneInfo) -> str:
    """Add a component (mode append); returns its identifier, allocated by the database if absent. `zone`:
    the city's, whose dates the messages tell."""
    feature = _parse(body, request.content_crs, need_geometry=True)
    with conn.transaction():  # a rejected write still commits its audit row (import_batch)
        lock_component_writes(conn)  # its duplicate and identifier checks see every committed write
        result = _publish(conn, spec, request, spec.scheme or "gb47678", "append", feature, zone)
    return _checked(result).ids[0]


def update_feature(conn: psycopg.Connection, spec: LayerSpec, identifier: str, body: bytes,
                   request: OgcRequest, zone: ZoneInfo, *, merge: bool) -> None:
    """Replace (PUT) or patch (PATCH: merge the given properties) the current version (mode upsert)."""
    feature = _parse(body, request.content_crs, need_geometry=not merge)
    if feature.properties.get("id", identifier) != identifier:
        raise InvalidParameter(f"the feature's id {feature.properties['id']!r} is not {identifier!r}")
    with conn.transaction():
        lock_component_writes(conn)  # before the row lock, in the order every writer takes them
        current = _current(conn, spec, identifier)
        scheme = current.properties.pop("scheme")
        if merge:
            attributes = {**(current.attributes or {}), **(feature.attributes or {})}
            feature = _Feature({**current.properties, **feature.properties}, attributes,
                               feature.geometry if feature.geometry is not None else current.geometry)
        feature.properties["id"] = identifier
        result = _publish(conn, spec, request, scheme, "upsert", feature, zone)
    _checked(result)


def _current(conn: psycopg.Connection, spec: LayerSpec, identifier: str) -> _Feature:
    columns = [f for f in WRITABLE if f != "class_code"]
    row = conn.execute(_CURRENT_SQL.format(columns=", ".join(columns)), (identifier,)).fetchone()
    if row is None or not _in_layer(spec, row[0], row[1]):
        raise NotFound(f"feature {identifier!r} is not in collection {spec.name}")
    values = dict(zip(columns, row[2:2 + len(columns)], strict=True))
    properties = {"scheme": row[0], "class_code": row[1],
                  **{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in values.items()}}
    return _Feature(properties, row[-2], shapely.from_wkb(row[-1]))


def _in_layer(spec: LayerSpec, scheme: str, class_code: str) -> bool:
    return spec.class_prefix is None or (scheme == spec.scheme and class_code.startswith(spec.class_prefix))


def delete_feature(conn: psycopg.Connection, spec: LayerSpec, identifier: str,
                   request: OgcRequest) -> None:
    """Close the current version, recording who closed it; the history keeps it."""
    actor = request.actor or "anonymous"
    with conn.transaction():
        stamp = lock_component_writes(conn)
        _current(conn, spec, identifier)  # 404 unless current and in this collection
        conn.execute("UPDATE onemap.component SET valid_to = %s, closed_by = %s, close_source = %s "
                     "WHERE id = %s AND valid_to IS NULL", (stamp, actor, f"api:{actor}", identifier))
        bump_data_version(conn, "components")
