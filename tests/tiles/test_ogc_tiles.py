"""OGC API - Tiles documents, WorldCRS84Quad tiles, TileJSON 3.0 and the MapLibre style."""

import json
import math
import os
import subprocess
from pathlib import Path

import mapbox_vector_tile
import morecantile
import pytest

from tests.tiles.conftest import CENTRE
from tiles.tms import MATRIX_SETS, WEB_MERCATOR, WORLD_CRS84, Bounds

REL = "http://www.opengis.net/def/rel/ogc/1.0/"
TILING_SCHEME = REL + "tiling-scheme"
TILESETS = REL + "tilesets-vector"


@pytest.mark.parametrize("tms_id", ["WebMercatorQuad", "WorldCRS84Quad"])
@pytest.mark.parametrize("z", [0, 3, 12, 17], ids=["z0", "z3", "z12", "z17"])
def test_tile_bounds_agree_with_morecantile(tms_id, z):
    matrix_set = MATRIX_SETS[tms_id]
    oracle = morecantile.tms.get(tms_id)
    tile = oracle.tile(*CENTRE, z)
    assert matrix_set.bounds(tile) == Bounds(*oracle.xy_bounds(tile))
    xs, ys = matrix_set.tiles_over(WEB_MERCATOR.bounds(WEB_MERCATOR.tms.tile(*CENTRE, 18)), z)
    assert tile.x in xs and tile.y in ys


def test_web_mercator_envelope_is_postgis_tile_envelope(conn):
    for z in (5, 12, 16):
        tile = WEB_MERCATOR.tms.tile(*CENTRE, z)
        row = conn.execute("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
                           "FROM ST_TileEnvelope(%s, %s, %s) e", (z, tile.x, tile.y)).fetchone()
        assert row == pytest.approx(tuple(WEB_MERCATOR.bounds(tile)), abs=1e-6)


def test_tile_matrix_sets(client):
    listed = client.get("/tileMatrixSets").json()["tileMatrixSets"]
    assert {m["id"] for m in listed} == {"WebMercatorQuad", "WorldCRS84Quad"}
    document = client.get("/tileMatrixSets/WorldCRS84Quad").json()
    assert document["id"] == "WorldCRS84Quad" and len(document["tileMatrices"]) == 24
    assert client.get("/tileMatrixSets/Nope").status_code == 404


@pytest.mark.parametrize("base", ["/tiles", "/collections/unit_grid/tiles"], ids=["dataset", "collection"])
def test_tilesets_link_metadata_and_tiling_schemes(client, base):
    tilesets = client.get(base).json()["tilesets"]
    ids = [t["tileMatrixSetURI"].rsplit("/", 1)[-1] for t in tilesets]
    assert set(ids) == {"WebMercatorQuad", "WorldCRS84Quad"}
    for tileset, tms_id in zip(tilesets, ids, strict=True):
        links = {link["rel"]: link["href"] for link in tileset["links"]}
        assert links[TILING_SCHEME].endswith("/tileMatrixSets/" + tms_id)
        metadata = client.get(links["self"]).json()
        template = next(link["href"] for link in metadata["links"] if link["rel"] == "item")
        assert template.endswith("/{tileMatrix}/{tileRow}/{tileCol}")
        assert metadata["dataType"] == "vector" and metadata["layers"]


def test_clients_find_the_tiles_from_the_landing_page_and_each_collection(client):
    """What GDAL's OGCAPI driver follows: the tilesets-vector links; and the conformance classes."""
    def linked(document: dict, rel: str) -> str:
        hrefs = [link["href"] for link in document["links"] if link["rel"] == rel]
        assert len(hrefs) == 1, (rel, document["links"])
        return hrefs[0].removeprefix("http://testserver")

    landing = client.get("/", params={"f": "json"}).json()
    assert client.get(linked(landing, TILESETS)).json()["tilesets"]
    assert client.get(linked(landing, REL + "tiling-schemes")).json()["tileMatrixSets"]
    for collection in client.get("/collections", params={"f": "json"}).json()["collections"]:
        document = client.get(f"/collections/{collection['id']}", params={"f": "json"}).json()
        assert linked(document, TILESETS) == f"/collections/{collection['id']}/tiles"
        assert client.get(linked(document, TILESETS)).status_code == 200
    classes = client.get("/conformance", params={"f": "json"}).json()["conformsTo"]
    for name in ("core", "tileset", "tilesets-list", "dataset-tilesets", "geodata-tilesets", "mvt"):
        assert f"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/{name}" in classes


def test_collection_tile_through_the_ogc_template(client, conn):
    tile = WEB_MERCATOR.tms.tile(*CENTRE, 16)
    response = client.get(f"/collections/unit_grid/tiles/WebMercatorQuad/16/{tile.y}/{tile.x}")
    assert response.status_code == 200
    xyz = client.get(f"/tiles/unit_grid/16/{tile.x}/{tile.y}.mvt")
    assert response.content == xyz.content  # row is y, col is x


def test_world_crs84_tiles_are_cut_from_the_stored_lon_lat_geometry(client, conn):
    tile = WORLD_CRS84.tms.tile(*CENTRE, 16)
    response = client.get(f"/tiles/WorldCRS84Quad/16/{tile.y}/{tile.x}")
    assert response.status_code == 200
    decoded = mapbox_vector_tile.decode(response.content)
    west, south, east, north = WORLD_CRS84.tms.xy_bounds(tile)
    codes = {f["properties"]["code"] for f in decoded["grid"]["features"]
             if f["properties"]["layer"] == "unit_grid"}
    inside = {r[0] for r in conn.execute(
        "SELECT code FROM onemap.v_unit_grid "
        "WHERE ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, 4490))", (west, south, east, north))}
    assert inside and inside <= codes


def test_tilejson_describes_the_fused_layers(client):
    document = client.get("/tiles/onemap/tilejson.json").json()
    assert document["tilejson"] == "3.0.0"
    assert document["tiles"][0].endswith("/tiles/onemap/{z}/{x}/{y}.mvt")
    layers = {layer["id"]: layer for layer in document["vector_layers"]}
    assert {"admin", "grid", "roads", "components"} <= set(layers)
    assert layers["components"]["fields"]["major_code"] == "String"
    assert layers["components"]["fields"]["count"] == "Number"
    west, south, east, north = document["bounds"]
    assert west < CENTRE[0] < east and south < CENTRE[1] < north
    assert client.get("/tiles/nosuch/tilejson.json").status_code == 404


def test_style_colours_components_by_major_class_and_cases_by_deadline(client):
    style = client.get("/tiles/onemap/style.json").json()
    assert style["version"] == 8
    tilejson = client.get("/tiles/onemap/tilejson.json").json()
    known = {layer["id"] for layer in tilejson["vector_layers"]}
    assert all(layer["source-layer"] in known for layer in style["layers"] if "source-layer" in layer)
    points = next(layer for layer in style["layers"] if layer["id"] == "components-point")
    assert points["paint"]["circle-color"][:2] == ["match", ["get", "major_code"]]
    # single features at a plain number: a radius expression of their count is what QGIS cannot convert
    assert isinstance(points["paint"]["circle-radius"], int | float)
    legend = style["metadata"]["onemap:legend"]
    assert [entry["code"] for entry in legend["cases"]] == ["on_time", "due_soon", "overdue"]
    if "cases" in known:
        cases = next(layer for layer in style["layers"] if layer["id"] == "cases-point")
        assert "deadline_state" in str(cases["paint"]["circle-color"])
    assert client.get("/tiles/unit_grid/style.json").status_code == 404


def test_style_colours_hotspots_by_bin_and_hides_insignificant_cells(client):
    style = client.get("/tiles/onemap/style.json").json()
    legend = style["metadata"]["onemap:legend"]
    assert [entry["code"] for entry in legend["hotspots"]] == [-3, -2, -1, 1, 2, 3]
    # the `hotspots` layer is registered by its migration, so the style always draws it
    hotspots = next(layer for layer in style["layers"] if layer["id"] == "hotspots-fill")
    colour = hotspots["paint"]["fill-color"]
    assert colour[:2] == ["match", ["get", "bin"]]
    assert hotspots["filter"] == ["!=", ["get", "bin"], 0]


def test_the_style_passes_maplibre_s_own_validator(client, tmp_path):
    """gl-style-validate (@maplibre/maplibre-gl-style-spec, an npm asset of the map page) checks the style as
    MapLibre GL JS will read it: expressions, property types, source layers."""
    validator = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "gl-style-validate"
    if not validator.exists():
        pytest.skip("node_modules is not installed (make setup installs the npm assets)")
    path = tmp_path / "style.json"

    def validate() -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(validator), str(path)], capture_output=True, text=True, timeout=120,
                              check=False)

    path.write_bytes(client.get("/tiles/onemap/style.json").content)
    done = validate()
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr
    path.write_text('{"version": 8, "sources": {}, "layers": [{"id": "x", "type": "nope"}]}')
    assert validate().returncode != 0  # the validator does validate


def test_point_layers_draw_each_feature_once_sized_by_its_count(client):
    """Each point of a real tile, evaluated by MapLibre's expression engine (style_points.cjs): exactly one
    circle layer of its source layer draws it; single features at one radius per layer, aggregates
    (count > 1) at min(18, that radius + 1.2 * sqrt(count))."""
    node_modules = Path(__file__).resolve().parents[2] / "node_modules"
    if not (node_modules / "@maplibre" / "maplibre-gl-style-spec").exists():
        pytest.skip("node_modules is not installed (make setup installs the npm assets)")
    oracle = morecantile.tms.get("WebMercatorQuad")
    features = []
    for zoom in (12, 14, 17):  # aggregates of many, aggregates of one or a few, single features
        tile = oracle.tile(*CENTRE, zoom)
        response = client.get(f"/tiles/onemap/{zoom}/{tile.x}/{tile.y}.mvt")
        assert response.status_code == 200
        for name, layer in mapbox_vector_tile.decode(response.content).items():
            features += [{"sourceLayer": name, "zoom": zoom, "properties": f["properties"]}
                         for f in layer["features"] if f["geometry"]["type"] == "Point"]
    assert "components" in {f["sourceLayer"] for f in features}
    done = subprocess.run(["node", str(Path(__file__).with_name("style_points.cjs"))], text=True, timeout=120,
                          input=json.dumps({"style": client.get("/tiles/onemap/style.json").json(),
                                            "features": features}),
                          capture_output=True, check=True, env={**os.environ, "NODE_PATH": str(node_modules)})
    drawn = json.loads(done.stdout)
    single: dict[str, set[float]] = {}
    for feature, layers in zip(features, drawn, strict=True):
        assert len(layers) == 1, (feature, layers)
        count = feature["properties"].get("count", 1)
        if count <= 1:
            single.setdefault(feature["sourceLayer"], set()).add(layers[0][1])
    assert all(len(radii) == 1 for radii in single.values()), single
    aggregates = 0
    for feature, [[_, radius]] in zip(features, drawn, strict=True):
        count = feature["properties"].get("count", 1)
        if count > 1:
            aggregates += 1
            base = next(iter(single.get(feature["sourceLayer"], {radius})))
            assert radius == pytest.approx(min(18, base + 1.2 * math.sqrt(count)))
    assert aggregates > 0 and single.get("components")
