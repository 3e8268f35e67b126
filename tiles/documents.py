"""OGC API - Tiles documents (tilesets, tileset metadata, tile matrix sets) and TileJSON 3.0."""

from collections.abc import Mapping, Sequence
from typing import Any

from layers.registry import GEOMETRY_DIMENSIONS
from tiles.mvt import Zooms
from tiles.service import FUSED, Part, deepest_matrix, zoom_range
from tiles.tms import MATRIX_SETS, MatrixSet

MVT = "application/vnd.mapbox-vector-tile"
CRS84_URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_REL = "http://www.opengis.net/def/rel/ogc/1.0/"
_CRS = {3857: "http://www.opengis.net/def/crs/EPSG/0/3857", 4490: CRS84_URI}
_TILEJSON_TYPES = {"integer": "Number", "number": "Number", "boolean": "Boolean"}
BBox = tuple[float, float, float, float]


# OGC API - Tiles 1.0 and OGC 2D TMS 2.0 classes the tiles routes implement (listed at /conformance)
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/dataset-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
]


def discovery_links(base: str, tileset: str, title: str) -> list[dict[str, str]]:
    """The links by which clients find a tileset's vector tiles (and, from the landing page, the tile
    matrix sets): what the landing page and each collection document carry."""
    links = [{"rel": _REL + "tilesets-vector", "type": "application/json",
              "href": tileset_base(base, tileset), "title": f"{title}: vector tilesets"}]
    if tileset == FUSED:
        links.append({"rel": _REL + "tiling-schemes", "type": "application/json",
                      "href": f"{base}/tileMatrixSets", "title": "Tile matrix sets"})
    return links


def tileset_base(base: str, tileset: str) -> str:
    """Where a tileset's OGC resources live: dataset tiles for the fused tileset, else the collection's."""
    return f"{base}/tiles" if tileset == FUSED else f"{base}/collections/{tileset}/tiles"


def _tile_matrix_limits(matrix_set: MatrixSet, parts: Sequence[Part], zooms: Zooms) -> list[dict[str, Any]]:
    """tileMatrixSetLimits (TMS 2.0): every matrix from 0 to the tileset's deepest, whole. Without them a
    tileset offers all of the set's matrices (WebMercatorQuad's go to 24), and OpenLayers' OGCVectorTile
    asks for tiles past the deepest instead of overzooming it. The list starts at matrix 0: OpenLayers
    indexes its grid by position."""
    limits = []
    for zoom in range(deepest_matrix(matrix_set, parts, zooms) + 1):
        matrix = matrix_set.tms.matrix(zoom)
        limits.append({"tileMatrix": matrix.id, "minTileRow": 0, "maxTileRow": matrix.matrixHeight - 1,
                       "minTileCol": 0, "maxTileCol": matrix.matrixWidth - 1})
    return limits


def tileset_list(base: str, tileset: str, title: str) -> dict[str, Any]:
    here = tileset_base(base, tileset)
    return {"tilesets": [{
        "title": f"{title} ({m.id})", "dataType": "vector", "crs": _CRS[m.srid],
        "tileMatrixSetURI": m.tms.uri,
        "links": [{"rel": "self", "type": "application/json", "href": f"{here}/{m.id}",
                   "title": f"{title} in {m.id}"},
                  {"rel": _REL + "tiling-scheme", "type": "application/json",
                   "href": f"{base}/tileMatrixSets/{m.id}"}],
    } for m in MATRIX_SETS.values()],
        "links": [{"rel": "self", "type": "application/json", "href": here}]}


def tileset_metadata(base: str, tileset: str, title: str, matrix_set: MatrixSet, parts: Sequence[Part],
                     zooms: Zooms, bbox: BBox | None) -> dict[str, Any]:
    """TileSetMetadata (OGC API - Tiles 1.0, 2DTMS JSON) with one entry per MVT layer."""
    here = f"{tileset_base(base, tileset)}/{matrix_set.id}"
    low, high = zoom_range(parts, zooms)
    document: dict[str, Any] = {
        "title": title, "dataType": "vector", "crs": _CRS[matrix_set.srid],
        "tileMatrixSetURI": matrix_set.tms.uri,
        "tileMatrixSetLimits": _tile_matrix_limits(matrix_set, parts, zooms),
        "links": [
            {"rel": "self", "type": "application/json", "href": here},
            {"rel": _REL + "tiling-scheme", "type": "application/json",
             "href": f"{base}/tileMatrixSets/{matrix_set.id}"},
            {"rel": "item", "type": MVT, "templated": True,
             "href": here + "/{tileMatrix}/{tileRow}/{tileCol}"},
        ],
        "layers": [_layer_metadata(part, zooms) for part in parts],
        "minTileMatrix": str(low), "maxTileMatrix": str(high),
    }
    if bbox is not None:
        document["boundingBox"] = {"lowerLeft": [bbox[0], bbox[1]], "upperRight": [bbox[2], bbox[3]],
                                   "crs": CRS84_URI}
    if tileset == FUSED:
        document["links"].append({"rel": "describedby", "type": "application/json",
                                  "href": f"{base}/tiles/{FUSED}/style.json", "title": "MapLibre style"})
    return document


def _layer_metadata(part: Part, zooms: Zooms) -> dict[str, Any]:
    """A tileset layer; geometryDimension (0 points, 1 lines, 2 polygons) only where every geometry of the
    layer has the same one (TMS 2.0 leaves it out for mixed layers)."""
    low, high = zoom_range([part], zooms)
    found: dict[str, Any] = {"id": part.name, "dataType": "vector",
                             "minTileMatrix": str(low), "maxTileMatrix": str(high)}
    dimensions = {GEOMETRY_DIMENSIONS.get(layer.geometry_type) for layer in part.layers}
    if len(dimensions) == 1 and (dimension := dimensions.pop()) is not None:
        found["geometryDimension"] = dimension
    return found


def matrix_set_list(base: str) -> dict[str, Any]:
    return {"tileMatrixSets": [{
        "id": m.id, "title": m.tms.title, "uri": m.tms.uri,
        "links": [{"rel": "self", "type": "application/json", "href": f"{base}/tileMatrixSets/{m.id}"}],
    } for m in MATRIX_SETS.values()]}


def matrix_set_document(matrix_set: MatrixSet) -> dict[str, Any]:
    """The OGC TMS 2.0 JSON of a matrix set, as morecantile defines it."""
    document: dict[str, Any] = matrix_set.tms.model_dump(exclude_none=True, mode="json")
    return document


def tilejson(base: str, tileset: str, title: str, parts: Sequence[Part],
             columns: Mapping[str, Mapping[str, str]], zooms: Zooms, bbox: BBox | None) -> dict[str, Any]:
    """TileJSON 3.0.0 of a tileset's XYZ (WebMercatorQuad) tiles."""
    low, high = zoom_range(parts, zooms)
    layers = []
    for part in parts:
        fields: dict[str, str] = {}
        for layer in part.layers:
            for name in layer.properties:
                kind = columns.get(layer.name, {}).get(name)
                if kind is not None:
                    fields[name] = _TILEJSON_TYPES.get(kind, "String")
        if any(layer.geometry_type in ("point", "mixed") for layer in part.layers):
            fields["count"] = "Number"
        if len(part.layers) > 1:
            fields["layer"] = "String"
        part_low, part_high = zoom_range([part], zooms)
        layers.append({"id": part.name, "fields": fields, "minzoom": part_low, "maxzoom": part_high,
                       "description": "; ".join(layer.title for layer in part.layers)})
    document: dict[str, Any] = {
        "tilejson": "3.0.0", "name": tileset, "description": title, "scheme": "xyz",
        "tiles": [f"{base}/tiles/{tileset}/{{z}}/{{x}}/{{y}}.mvt"],
        "minzoom": low, "maxzoom": high, "vector_layers": layers,
        "attribution": "© OpenStreetMap contributors",
    }
    if bbox is not None:
        document["bounds"] = list(bbox)
        document["center"] = [(bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2, max(low, 12)]
    return document
