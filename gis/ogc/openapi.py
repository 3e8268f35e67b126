"""pygeoapi's OpenAPI document, made self-contained and completed with onemap's parameters.

pygeoapi's document points into schemas.opengis.net and GitHub for shared parameters and
responses; a city intranet (and the test suite) has no internet, so those references are
replaced by local components. Paths onemap does not serve (processes, jobs) are dropped,
and the items operations gain the Part 3 filter parameters and onemap's own (grid, class,
as_of, geometry_type, count).
"""

import re
from copy import deepcopy
from typing import Any

from pygeoapi.openapi import get_oas

from gis.ogc.config import DEFAULT_ITEMS, MAX_ITEMS
from layers.ogc_query import COUNT_CAP

_SERVED = re.compile(r"^/$|^/openapi$|^/conformance$"
                     r"|^/collections(/[^/]+(/items(/\{featureId\})?|/queryables|/schema)?)?$")
_ERROR_SCHEMA = {"type": "object", "required": ["code"],
                 "properties": {"code": {"type": "string"}, "description": {"type": "string"}}}
_GEOJSON = ("Features", "Feature")


def _parameter(name: str, description: str, schema: dict[str, Any], where: str = "query") -> dict[str, Any]:
    return {"name": name, "in": where, "required": where == "path", "description": description,
            "schema": schema, "style": "simple" if where == "path" else "form", "explode": False}


_PARAMETERS = {
    "featureId": _parameter("featureId", "Identifier of a feature (its standard code).",
                            {"type": "string"}, "path"),
    "datetime": _parameter("datetime", "An RFC 3339 instant or interval (start/end, '..' for open) on "
                           "the collection's time property (valid_from).", {"type": "string"}),
    "sortby": _parameter("sortby", "Comma-separated properties, each optionally prefixed by + or - "
                         "(descending).", {"type": "string"}),
    "filter": _parameter("filter", "A CQL2 filter (OGC API - Features Part 3), text or JSON; S_DWITHIN "
                         "(geometry, geometry, metres) is supported.", {"type": "string"}),
    "filter-lang": _parameter("filter-lang", "Encoding of `filter` (cql-text: the pre-standard name "
                              "of cql2-text, which GDAL before 3.9 sends).",
                              {"type": "string", "enum": ["cql2-text", "cql2-json", "cql-text"]}),
    "filter-crs": _parameter("filter-crs", "CRS of the geometries in `filter` (default CRS84).",
                             {"type": "string", "format": "uri"}),
    "count": _parameter("count", "`exact` counts numberMatched on any result (by default a page with "
                        f"more than {COUNT_CAP:,} matches leaves numberMatched out).",
                        {"type": "string", "enum": ["exact"]}),
    "grid": _parameter("grid", "Unit-grid / admin code prefix: county 6, street 9, community 12 or "
                       "cell 15 digits.", {"type": "string", "pattern": "^[0-9]{6}([0-9]{3}){0,3}$"}),
    "class": _parameter("class", "Component class code prefix (2 to 5 digits).",
                        {"type": "string", "pattern": "^[0-9]{2,5}$"}),
    "as_of": _parameter("as_of", "The component versions valid at this RFC 3339 date or date-time "
                        "(the inventory's history) instead of the current ones.", {"type": "string"}),
    "geometry_type": _parameter("geometry_type", "One kind of geometry of a layer that mixes points, lines "
                                "and polygons, for clients that draw one kind per layer.",
                                {"type": "string", "enum": ["point", "line", "polygon"]}),
    # shared by every items operation: QGIS and ArcGIS read their page size from this component's maximum
    # and default (not from a path's own parameters)
    "limit": _parameter("limit", f"The number of features a page holds (at most {MAX_ITEMS:,}; a larger "
                        "value is clamped).",
                        {"type": "integer", "minimum": 1, "maximum": MAX_ITEMS, "default": DEFAULT_ITEMS}),
}


def _local_name(ref: str) -> tuple[str, str]:
    """('parameters'|'responses'|'schemas', name) of a remote $ref."""
    fragment = ref.split("#", 1)[1] if "#" in ref else ""
    name = fragment.rsplit("/", 1)[-1] if fragment else ref.rsplit("/", 1)[-1].removesuffix(".yaml")
    if "/parameters/" in ref:
        return "parameters", name
    if "/responses/" in ref:
        return "responses", f"{name}Response" if name.isdigit() else name
    return "schemas", name


def _localize(node: Any, components: dict[str, dict[str, Any]]) -> None:
    """Replace every remote $ref below `node` by a local component (added to `components`)."""
    if isinstance(node, list):
        for item in node:
            _localize(item, components)
        return
    if not isinstance(node, dict):
        return
    ref = node.get("$ref")
    if isinstance(ref, str) and not ref.startswith("#"):
        kind, name = _local_name(ref)
        section = components.setdefault(kind, {})
        if name not in section:
            section[name] = _definition(kind, name)
        node["$ref"] = f"#/components/{kind}/{name}"
    for value in node.values():
        _localize(value, components)


def _definition(kind: str, name: str) -> dict[str, Any]:
    if kind == "parameters":
        return deepcopy(_PARAMETERS.get(name, _parameter(name, name, {"type": "string"})))
    if kind == "responses":
        media = "application/geo+json" if name in _GEOJSON else "application/json"
        schema = _ERROR_SCHEMA if name in ("InvalidParameter", "NotFound", "ServerError") else {
            "type": "object"}
        return {"description": name, "content": {media: {"schema": deepcopy(schema)}}}
    return deepcopy(_ERROR_SCHEMA) if name == "exception" else {"type": "object"}


def _add_item_parameters(oas: dict[str, Any], config: dict[str, Any]) -> None:
    parameters = oas["components"].setdefault("parameters", {})
    for name in ("filter", "filter-lang", "filter-crs", "count", "grid", "class", "as_of", "geometry_type",
                 "limit"):
        parameters[name] = deepcopy(_PARAMETERS[name])
    for collection, resource in config["resources"].items():
        operation = oas["paths"].get(f"/collections/{collection}/items", {}).get("get")
        if operation is None:
            continue
        layer = resource["providers"][0]["options"]["layer"]
        names = ["filter", "filter-lang", "filter-crs", "count"]
        names += ["grid"] if layer.get("grid_column") else []
        names += ["class", "as_of"] if layer.get("kind") == "components" else []
        names += ["geometry_type"] if layer.get("geometry_type") == "mixed" else []
        shared = {"$ref": "#/components/parameters/limit"}
        operation["parameters"] = [shared if p.get("name") == "limit" else p for p in operation["parameters"]]
        operation["parameters"].extend({"$ref": f"#/components/parameters/{n}"} for n in names)
        # `properties` is a comma-separated list; pygeoapi declares an enum of array items that
        # clients serialise in ways pygeoapi does not read back
        for parameter in operation["parameters"]:
            if parameter.get("name") == "properties":
                parameter["schema"] = {"type": "string"}


def build_openapi(config: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI 3.0 document of the OGC API for this pygeoapi configuration."""
    oas = get_oas(config, fail_on_invalid_collection=False)
    oas["paths"] = {path: item for path, item in oas["paths"].items() if _SERVED.match(path)}
    for item in oas["paths"].values():
        item.pop("options", None)  # served, but not worth documenting (and not testable offline)
    for unused in ("tiles", "tilematrixsetlink"):
        oas["components"].get("schemas", {}).pop(unused, None)
    oas["components"].get("responses", {}).pop("Tiles", None)
    _add_item_parameters(oas, config)
    _localize(oas, oas["components"])
    return oas
