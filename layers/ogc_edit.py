"""Writes to component layers through the OGC API (Part 4), on the import's validation and publish path.

A POST, PUT or PATCH becomes a one-row SurveyRows that goes through exactly what a survey
import goes through (layers.survey_validate, staging, layers/sql/publish.sql): the database
assigns the unit grid, community and street and allocates the identifier; a replaced version
is closed, not deleted. DELETE closes the current version. Each write, DELETE too, is an import
batch (onemap.import_batch, its actor the token's name) that the versions it opens and closes name
as an import's do (change_source / close_source 'import:<batch id>'; changed_by / closed_by the token's
name). Every write bumps the components' data_version.

A component's ETag is its current version's start (`valid_from`); a PUT, PATCH or DELETE whose If-Match
names no current version is refused (412, RFC 9110 §13.1.1), checked after the write lock.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import psycopg
import shapely

from gis.crs import CGCS2000, WGS84, CrsRef, transform
from gis.errors import InvalidParameter, NotFound, PreconditionFailed
from grid_codes.classes import Scheme, default_table
from layers.component_writes import lock_component_writes
from layers.components import STANDARD_FIELDS, bump_data_version
from layers.ogc_context import OgcRequest
from layers.ogc_query import LayerSpec
from layers.survey_classes import listed_class
from layers.survey_import import ImportOptions, ImportResult, import_rows, record_batch
from layers.survey_rows import SurveyRows

WRITABLE = ("class_code", *[f for f in STANDARD_FIELDS if f not in ("grid_code", "street_code",
                                                                     "community_code")])
# assigned by the database or derived: accepted in a body (a GET result can be PUT back), ignored
READ_ONLY = ("grid_code", "street_code", "community_code", "major_code", "scheme", "valid_from",
             "geometry_type")
MAX_BODY_BYTES = 1_000_000  # a larger request body is refused with 413 by the router before it is read
_CURRENT_SQL = """
SELECT scheme, valid_from, class_code, {columns}, attributes, ST_AsBinary(geom)
FROM onemap.component WHERE id = %s AND valid_to IS NULL FOR UPDATE
"""
_MERGE_PATCH = 'a JSON merge patch of the feature (an object with properties and/or geometry, e.g. ' \
               '{"properties": {"state": "破损"}})'


@dataclass(frozen=True)
class _Feature:
    properties: dict[str, Any]
    attributes: dict[str, Any] | None
    geometry: shapely.Geometry | None


@dataclass(frozen=True)
class _Stored:
    """A component's current version, read under the write lock."""

    scheme: str
    feature: _Feature
    etag: str


def version_etag(valid_from: datetime) -> str:
    """The strong ETag of a component version (RFC 9110 §8.8.3): its start, which every write moves."""
    return f'"{valid_from.astimezone(UTC):%Y%m%dT%H%M%S%fZ}"'


def served_etag(properties: Mapping[str, Any]) -> str | None:
    """The ETag of a component as served (from its `valid_from` property); None without one."""
    valid_from = properties.get("valid_from")
    try:
        return version_etag(datetime.fromisoformat(valid_from)) if isinstance(valid_from, str) else None
    except ValueError:
        return None


def _parse(body: bytes, crs: CrsRef, *, merge: bool) -> _Feature:
    """A GeoJSON Feature body, or with `merge` (PATCH) also a merge patch of one (RFC 7396): standard
    properties, free `attributes`, geometry in EPSG:4490 (a PATCH without one keeps the stored one)."""
    expected = f"a GeoJSON Feature or {_MERGE_PATCH}" if merge else "a GeoJSON Feature"
    try:
        feature = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidParameter(f"the body is not JSON ({expected} is expected)") from None
    untyped_patch = merge and isinstance(feature, dict) and "type" not in feature
    if not isinstance(feature, dict) or (feature.get("type") != "Feature" and not untyped_patch):
        raise InvalidParameter(f"the body must be {expected}")
    if merge and not {"properties", "geometry"} & feature.keys():
        members = ", ".join(map(repr, sorted(feature)[:10])) or "none"
        raise InvalidParameter(f"a PATCH body is {_MERGE_PATCH}; this one has neither (its members: "
                               f"{members})")
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
    if geometry is None and not merge:
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


def _class_of(spec: LayerSpec, properties: dict[str, Any], scheme: Scheme) -> str:
    """The class the written component has: its class_code, its identifier's, the collection's, or the one
    whose standard name its name is (as an import reads a name); it must lie in the collection's class."""
    size = 4 if scheme == "legacy" else 5
    identifier = properties.get("id")
    code = properties.get("class_code") or (identifier[6:6 + size] if isinstance(identifier, str) else None)
    if code is None and spec.class_prefix is not None and len(spec.class_prefix) == size:
        code = spec.class_prefix
    name = properties.get("name")
    if code is None and isinstance(name, str) and not name.isdigit():
        code = listed_class(name, scheme, default_table())
    if code is None:
        raise InvalidParameter("the feature has no class: give properties.class_code (or a name that is "
                               "a class's standard name, such as 污水井盖), or POST it to its class's "
                               f"collection, components_{scheme}_<class code>")
    if spec.class_prefix is not None and not str(code).startswith(spec.class_prefix):
        raise InvalidParameter(f"collection {spec.name} holds class {spec.class_prefix}; "
                               f"the feature is of class {code}")
    return str(code)


def _publish(conn: psycopg.Connection, spec: LayerSpec, request: OgcRequest, scheme: str, mode: str,
             feature: _Feature, zone: ZoneInfo) -> ImportResult:
    known_scheme = _scheme(scheme)
    properties = {**feature.properties, "class_code": _class_of(spec, feature.properties, known_scheme)}
    options = ImportOptions(scheme=known_scheme, mode=mode, actor=request.actor or "anonymous",
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
    feature = _parse(body, request.content_crs, merge=False)
    with conn.transaction():  # a rejected write still commits its audit row (import_batch)
        lock_component_writes(conn)  # its duplicate and identifier checks see every committed write
        result = _publish(conn, spec, request, spec.scheme or "gb47678", "append", feature, zone)
    return _checked(result).ids[0]


def update_feature(conn: psycopg.Connection, spec: LayerSpec, identifier: str, body: bytes,
                   request: OgcRequest, zone: ZoneInfo, *, merge: bool) -> None:
    """Replace (PUT) or patch (PATCH: merge the given properties) the current version (mode upsert)."""
    feature = _parse(body, request.content_crs, merge=merge)
    if feature.properties.get("id", identifier) != identifier:
        raise InvalidParameter(f"the feature's id {feature.properties['id']!r} is not {identifier!r}")
    with conn.transaction():
        lock_component_writes(conn)  # before the row lock, in the order every writer takes them
        stored = _current(conn, spec, identifier)
        _check_version(stored, request.if_match, identifier)
        _check_class_kept(stored, feature, identifier)
        current = stored.feature
        if merge:
            attributes = {**(current.attributes or {}), **(feature.attributes or {})}
            feature = _Feature({**current.properties, **feature.properties}, attributes,
                               feature.geometry if feature.geometry is not None else current.geometry)
        feature.properties["id"] = identifier
        result = _publish(conn, spec, request, stored.scheme, "upsert", feature, zone)
    _checked(result)


def _check_class_kept(stored: _Stored, feature: _Feature, identifier: str) -> None:
    """A component keeps its class: its identifier encodes it."""
    current, given = stored.feature.properties["class_code"], feature.properties.get("class_code")
    if given is not None and given != current:
        raise InvalidParameter(f"a component's class cannot change: {identifier} is of class {current}, the "
                               f"feature of class {given}; to record a component of class {given} instead, "
                               "DELETE this one and POST a new one")


def _check_version(stored: _Stored, if_match: str | None, identifier: str) -> None:
    """A write with an If-Match goes ahead only when it names the current version (or is `*`); tags compare
    strongly, so a weak one (W/"…") never matches (RFC 9110 §13.1.1)."""
    tags = [] if if_match is None else [tag.strip() for tag in if_match.split(",")]
    if if_match is None or stored.etag in tags or tags == ["*"]:
        return
    raise PreconditionFailed(f"feature {identifier} changed since it was read: If-Match names "
                             f"{if_match.strip()[:200]}, its current version is {stored.etag}; GET it again, "
                             "make the change on what it holds now and send that with its new ETag")


def _current(conn: psycopg.Connection, spec: LayerSpec, identifier: str) -> _Stored:
    columns = [f for f in WRITABLE if f != "class_code"]
    row = conn.execute(_CURRENT_SQL.format(columns=", ".join(columns)), (identifier,)).fetchone()
    if row is None or not _in_layer(spec, row[0], row[2]):
        raise NotFound(f"feature {identifier!r} is not in collection {spec.name}")
    values = dict(zip(columns, row[3:3 + len(columns)], strict=True))
    properties = {"class_code": row[2],
                  **{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in values.items()}}
    return _Stored(row[0], _Feature(properties, row[-2], shapely.from_wkb(row[-1])), version_etag(row[1]))


def _in_layer(spec: LayerSpec, scheme: str, class_code: str) -> bool:
    return spec.class_prefix is None or (scheme == spec.scheme and class_code.startswith(spec.class_prefix))


def delete_feature(conn: psycopg.Connection, spec: LayerSpec, identifier: str,
                   request: OgcRequest) -> None:
    """Close the current version, recording who closed it and in which batch; the history keeps it."""
    actor = request.actor or "anonymous"
    with conn.transaction():
        stamp = lock_component_writes(conn)
        stored = _current(conn, spec, identifier)  # 404 unless current and in this collection
        _check_version(stored, request.if_match, identifier)
        batch_id = record_batch(conn, [f"api:{request.method} {spec.name}"],
                                ImportOptions(scheme=_scheme(stored.scheme), mode="delete", actor=actor),
                                "committed", 1, 0, [])
        conn.execute("UPDATE onemap.component SET valid_to = %s, closed_by = %s, close_source = %s "
                     "WHERE id = %s AND valid_to IS NULL", (stamp, actor, f"import:{batch_id}", identifier))
        bump_data_version(conn, "components")
