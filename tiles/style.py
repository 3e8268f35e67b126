"""The MapLibre style of the fused one-map tileset: components coloured by major class, cases by
their deadline state, point aggregates sized by count. No glyphs or sprites: it works offline."""

from collections.abc import Collection, Mapping
from functools import cache
from typing import Any

from grid_codes.classes import ClassTable
from tiles import FUSED_TITLE

# one colour per major class code (01..06; the GB/T 47678 and legacy tables share the codes)
MAJOR_COLOURS = {"01": "#e6550d", "02": "#3182bd", "03": "#31a354", "04": "#74c476", "05": "#756bb1",
                 "06": "#969696"}
OTHER_COLOUR = "#636363"
DEADLINE_COLOURS = {"on_time": "#2ca25f", "due_soon": "#fe9929", "overdue": "#de2d26"}
DEADLINE_NAMES = {"on_time": "按期", "due_soon": "临期", "overdue": "超期"}
# Gi* bins: -3..-1 cold spots at 99/95/90 %, 0 not significant (transparent), 1..3 hot spots
HOTSPOT_BIN_COLOURS = {-3: "#2166ac", -2: "#67a9cf", -1: "#d1e5f0", 1: "#fddbc7", 2: "#ef8a62", 3: "#b2182b"}
HOTSPOT_BIN_NAMES = {-3: "冷点 99%", -2: "冷点 95%", -1: "冷点 90%",
                     1: "热点 90%", 2: "热点 95%", 3: "热点 99%"}


@cache
def legend() -> dict[str, Any]:
    """Legend entries the page shows: component majors (names of both schemes) and case states."""
    table = ClassTable.load()
    names: dict[str, list[str]] = {}
    for scheme in ("gb47678", "legacy"):
        for major in table.majors(scheme, "component"):
            names.setdefault(major.code, [])
            if major.name and major.name not in names[major.code]:
                names[major.code].append(major.name)
    return {
        "components": [{"code": code, "name": " / ".join(names.get(code, [])), "color": colour}
                       for code, colour in MAJOR_COLOURS.items()],
        "cases": [{"code": code, "name": DEADLINE_NAMES[code], "color": colour}
                  for code, colour in DEADLINE_COLOURS.items()],
        "hotspots": [{"code": code, "name": HOTSPOT_BIN_NAMES[code], "color": colour}
                     for code, colour in HOTSPOT_BIN_COLOURS.items()],
    }


def _match(value: list[Any], colours: Mapping[Any, str], fallback: str) -> list[Any]:
    """A colour per value; each label a one-element list, which MapLibre reads as the value itself and
    QGIS's style converter (3.22 at least) turns into `"field" IN (value)` (a bare label became `IN ()`)."""
    expression: list[Any] = ["match", value]
    for code, colour in colours.items():
        expression += [[code], colour]
    return [*expression, fallback]


def _is(geometry: str) -> list[Any]:
    return ["==", ["geometry-type"], geometry]


def _points(layer_id: str, source_layer: str, base: float, paint: dict[str, Any]) -> list[dict[str, Any]]:
    """Two circle layers: single features (no `count`, or a cell of one) at `base` pixels, and aggregates
    (count > 1) growing with the square root of their count. Two filters rather than one radius
    expression, so that clients converting the style (QGIS) draw the single features at their size."""
    single = ["all", _is("Point"), ["any", ["!", ["has", "count"]], ["<=", ["get", "count"], 1]]]
    aggregate = ["all", _is("Point"), ["has", "count"], [">", ["get", "count"], 1]]
    return [
        _layer(layer_id, "circle", source_layer, {**paint, "circle-radius": base}, where=single),
        _layer(f"{layer_id}-aggregate", "circle", source_layer, {
            **paint, "circle-radius": ["min", 18, ["+", base, ["*", 1.2, ["sqrt", ["get", "count"]]]]]},
               where=aggregate),
    ]


def _layer(layer_id: str, kind: str, source_layer: str, paint: dict[str, Any],
           where: list[Any] | None = None) -> dict[str, Any]:
    found = {"id": layer_id, "type": kind, "source": "onemap", "source-layer": source_layer, "paint": paint}
    if where is not None:
        found["filter"] = where
    return found


def style(tilejson_url: str, parts: Collection[str]) -> dict[str, Any]:
    """The style document for the fused tileset's parts (MapLibre rejects a style layer whose
    source layer the TileJSON does not list); its one vector source is that TileJSON."""
    # a bare ["get", …] input (a missing value takes the fallback in MapLibre too) is what QGIS converts
    major = _match(["get", "major_code"], MAJOR_COLOURS, OTHER_COLOUR)
    # by the tile's value only: clients without feature-state (ArcGIS, QGIS) read this; the one-map
    # page's live.js puts the feature-state first itself
    deadline = _match(["get", "deadline_state"], DEADLINE_COLOURS, OTHER_COLOUR)
    layers = [
        {"id": "background", "type": "background", "paint": {"background-color": "#f4f2ee"}},
        _layer("admin-fill", "fill", "admin", {"fill-color": "#9ecae1", "fill-opacity": 0.25},
               where=["==", ["get", "layer"], "communities"]),
        _layer("grid-line", "line", "grid", {"line-color": "#31a354", "line-width": 0.6}),
        _layer("roads-line", "line", "roads", {"line-color": "#999999", "line-width": 1}),
        _layer("admin-line", "line", "admin", {
            "line-color": _match(["get", "layer"], {"counties": "#d6604d", "streets": "#08306b"}, "#3182bd"),
            "line-width": ["match", ["get", "layer"], ["counties"], 3, ["streets"], 2, 1]}),
        _layer("hotspots-fill", "fill", "hotspots", {  # bin 0: not significant, not drawn
            "fill-color": _match(["get", "bin"], HOTSPOT_BIN_COLOURS, "#000000"), "fill-opacity": 0.55},
               where=["!=", ["get", "bin"], 0]),
        _layer("components-fill", "fill", "components", {"fill-color": major, "fill-opacity": 0.5},
               where=_is("Polygon")),
        _layer("components-line", "line", "components", {"line-color": major, "line-width": 2},
               where=_is("LineString")),
        *_points("components-point", "components", 3, {
            "circle-color": major, "circle-stroke-color": "#ffffff", "circle-stroke-width": 0.5}),
        _layer("cameras-sector", "fill", "cameras", {"fill-color": "#6a51a3", "fill-opacity": 0.15},
               where=_is("Polygon")),
        *_points("cameras-point", "cameras", 4, {"circle-color": "#6a51a3"}),
        *_points("cases-point", "cases", 5, {
            "circle-color": deadline, "circle-stroke-color": "#ffffff", "circle-stroke-width": 1}),
        *_points("vehicles-point", "vehicles", 5, {
            "circle-color": "#08519c", "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.5}),
    ]
    return {"version": 8, "name": FUSED_TITLE,
            "metadata": {"onemap:legend": legend()},
            "sources": {"onemap": {"type": "vector", "url": tilejson_url,
                                   "attribution": "© OpenStreetMap contributors"}},
            "layers": [layer for layer in layers if layer.get("source-layer", "") in parts
                       or "source-layer" not in layer]}
