"""Tileset metadata names the tile matrices a tileset has (tileMatrixSetLimits), and a tile past them is
out of range. OpenLayers' OGCVectorTile builds its tile grid from the limits and overzooms the deepest
matrix; without them it used every matrix of WebMercatorQuad (to 24) and drew nothing past z22, where
every tile was a 204."""

import morecantile
import psycopg
import pytest

METADATA = ["/tiles/WebMercatorQuad", "/tiles/WorldCRS84Quad",
            "/collections/components/tiles/WebMercatorQuad", "/collections/unit_grid/tiles/WorldCRS84Quad"]


@pytest.fixture
def component_point(conn: psycopg.Connection) -> tuple[float, float]:
    """Where a component stands: its tile holds data at every zoom the tileset has."""
    row = conn.execute("SELECT ST_X(geom), ST_Y(geom) FROM onemap.v_component "
                       "WHERE geometry_type = 'point' ORDER BY id LIMIT 1").fetchone()
    assert row is not None
    return row[0], row[1]


@pytest.mark.parametrize("path", METADATA)
def test_tileset_limits_list_every_matrix_up_to_the_tileset_s_deepest(client, path):
    metadata = client.get(path).json()
    matrices = client.get(f"/tileMatrixSets/{path.rsplit('/', 1)[-1]}").json()["tileMatrices"]
    deepest = int(metadata["maxTileMatrix"])
    limits = metadata["tileMatrixSetLimits"]
    # contiguous from matrix 0, as OpenLayers indexes its grid by position in the matrix set
    assert [limit["tileMatrix"] for limit in limits] == [str(z) for z in range(deepest + 1)]
    assert len(limits) < len(matrices)  # the limits do end the tileset before the matrix set ends
    for limit, matrix in zip(limits, matrices, strict=False):
        assert limit["tileMatrix"] == matrix["id"]
        assert (limit["minTileRow"], limit["maxTileRow"]) == (0, matrix["matrixHeight"] - 1)
        assert (limit["minTileCol"], limit["maxTileCol"]) == (0, matrix["matrixWidth"] - 1)


@pytest.mark.parametrize("tms_id", ["WebMercatorQuad", "WorldCRS84Quad"])
def test_a_tile_past_the_limits_is_out_of_range_not_an_empty_tile(client, component_point, tms_id):
    deepest = int(client.get(f"/collections/components/tiles/{tms_id}").json()["maxTileMatrix"])
    oracle = morecantile.tms.get(tms_id)
    inside, past = oracle.tile(*component_point, deepest), oracle.tile(*component_point, deepest + 1)
    assert client.get(f"/collections/components/tiles/{tms_id}/{inside.z}/{inside.y}/{inside.x}"
                      ).status_code == 200
    for path in (f"/collections/components/tiles/{tms_id}/{past.z}/{past.y}/{past.x}",
                 f"/tiles/{tms_id}/{past.z}/{past.y}/{past.x}"):
        response = client.get(path)
        assert response.status_code == 400, (path, response.status_code)  # was a 204: "nothing here"
        assert response.json()["code"] == "InvalidParameterValue"


def test_xyz_tiles_end_at_the_tilejson_maxzoom(client, component_point):
    maxzoom = client.get("/tiles/components/tilejson.json").json()["maxzoom"]
    oracle = morecantile.tms.get("WebMercatorQuad")
    inside, past = oracle.tile(*component_point, maxzoom), oracle.tile(*component_point, maxzoom + 1)
    assert client.get(f"/tiles/components/{inside.z}/{inside.x}/{inside.y}.mvt").status_code == 200
    assert client.get(f"/tiles/components/{past.z}/{past.x}/{past.y}.mvt").status_code == 400


def test_layers_name_their_geometry_dimension_only_when_it_is_one(client, conn: psycopg.Connection):
    """TMS 2.0 geometryDimension is an integer 0-3; a layer of points, lines and polygons leaves it out."""
    layers = {layer["id"]: layer for layer in client.get("/tiles/WebMercatorQuad").json()["layers"]}
    kinds = dict(conn.execute("SELECT name, geometry_type FROM onemap.layer").fetchall())
    assert kinds["roads"] == "line" and layers["roads"]["geometryDimension"] == 1
    assert kinds["unit_grid"] == "polygon" and layers["grid"]["geometryDimension"] == 2
    assert kinds["components"] == "mixed" and "geometryDimension" not in layers["components"]
    assert all(layer.get("geometryDimension", 0) in (0, 1, 2) for layer in layers.values())
