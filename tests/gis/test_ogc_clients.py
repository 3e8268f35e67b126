"""Real OGC API clients against `onemap serve`: OWSLib, GDAL's OAPIF driver, and schemathesis."""

import shutil
import subprocess
import time

import httpx
import psycopg
import pyogrio
import pytest
import schemathesis
import shapely
from hypothesis import HealthCheck, Phase, given, settings
from owslib.ogcapi.features import Features

pytestmark = pytest.mark.slow
BBOX = (114.02, 22.52, 114.04, 22.54)


def test_owslib_reads_collections_and_items(ogc_server, conn: psycopg.Connection):
    service = Features(ogc_server)
    core = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
    assert core in service.conformance()["conformsTo"]
    ids = [c["id"] for c in service.collections()["collections"]]
    assert {"unit_grid", "roads", "components"} <= set(ids)
    items = service.collection_items("roads", bbox=list(BBOX), limit=5)
    assert items["numberReturned"] == 5
    expected = conn.execute("SELECT count(*) FROM onemap.road WHERE ST_Intersects(geom, "
                            "ST_MakeEnvelope(%s, %s, %s, %s, 4490))", BBOX).fetchone()[0]
    assert items["numberMatched"] == expected
    code = service.collection_items("unit_grid", limit=1)["features"][0]["id"]
    assert service.collection_item("unit_grid", code)["properties"]["code"] == code
    assert "area_m2" in service.collection_queryables("unit_grid")["properties"]


def _ogrinfo(*args: str) -> str:
    if shutil.which("ogrinfo") is None:
        pytest.skip("ogrinfo (gdal-bin) is not installed: `apt-get install gdal-bin` to run this test")
    done = subprocess.run(["ogrinfo", "-ro", *args], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "ERROR" not in done.stderr, done.stderr  # ogrinfo lists a layer whose first page failed
    return done.stdout


def test_gdal_lists_the_collections(ogc_server):
    listing = _ogrinfo(f"OAPIF:{ogc_server}")  # the listing reads each layer's first items
    for layer in ("counties", "unit_grid", "roads", "components", "components_gb47678_01002"):
        assert f": {layer} (" in listing


def test_gdal_reads_features_with_a_bbox_and_a_cql_filter(ogc_server, conn: psycopg.Connection):
    summary = _ogrinfo(f"OAPIF:{ogc_server}", "components_gb47678_01002", "-so", "-spat", *map(str, BBOX),
                       "-where", "state = '完好' AND grid_code LIKE '440304%'")
    expected = conn.execute(
        "SELECT count(*) FROM onemap.v_component WHERE class_code = '01002' AND ST_Intersects(geom, "
        "ST_MakeEnvelope(%s, %s, %s, %s, 4490))", BBOX).fetchone()[0]
    assert expected > 0
    assert f"Feature Count: {expected}" in summary
    features = _ogrinfo(f"OAPIF:{ogc_server}", "unit_grid", "-q", "-where", "area_m2 > 15000")
    big = conn.execute("SELECT count(*) FROM onemap.v_unit_grid WHERE area_m2 > 15000").fetchone()[0]
    assert features.count("OGRFeature(unit_grid)") == big


def test_gdal_of_pyogrio_reads_whole_layers_and_filters(ogc_server, conn: psycopg.Connection):
    """The GDAL that pyogrio bundles (3.12 here; newer than Debian's 3.6 above): a whole mixed layer, every
    geometry kind, in pages sized from the OpenAPI limit; an OGR where clause sent as CQL2."""
    source = f"OAPIF:{ogc_server}"
    frame = pyogrio.read_dataframe(source, layer="components")
    stored = dict(conn.execute("SELECT GeometryType(geom), count(*) FROM onemap.v_component "
                               "GROUP BY 1").fetchall())
    assert frame.geometry.geom_type.str.upper().value_counts().to_dict() == stored
    where = "state = '完好' AND class_code LIKE '010%'"
    filtered = pyogrio.read_dataframe(source, layer="components", where=where)
    expected = conn.execute("SELECT count(*) FROM onemap.v_component WHERE state = '完好' "
                            "AND class_code LIKE '010%%'").fetchone()[0]
    assert expected > 0 and len(filtered) == expected
    assert pyogrio.read_info(source, layer="roads")["geometry_type"] == "LineString"


def test_gdal_of_pyogrio_reads_vector_tiles_through_ogc_api_tiles(ogc_server, conn: psycopg.Connection):
    """GDAL's OGCAPI driver (API=TILES) reads the components tileset: from the tileset list, the 2D TMS 2.0
    document and the tiles, the features of a box are the stored ones, each point where PostGIS has it.
    (Debian 12's GDAL 3.6 cannot: it reads only TMS 1.0 documents, fixed in GDAL 3.7/3.8.)"""
    source = f"OGCAPI:{ogc_server}/collections/components"
    frame = pyogrio.read_dataframe(source, layer="Zoom level 17", bbox=BBOX)
    stored = dict(conn.execute(
        "SELECT id, ST_AsText(geom) FROM onemap.v_component WHERE ST_Intersects(geom, "
        "ST_MakeEnvelope(%s, %s, %s, %s, 4490))", BBOX).fetchall())
    assert set(frame["id"]) == set(stored)  # a line or polygon crossing tiles comes once per tile
    assert {"Point", "LineString", "Polygon"} <= set(frame.geometry.geom_type)
    points = frame[frame.geometry.geom_type == "Point"].drop_duplicates("id")
    truth = shapely.from_wkt([stored[i] for i in points["id"]])
    assert float(shapely.distance(points.geometry.values, truth).max()) < 1e-5  # ~1 m


def _server_errors(base: str, operations: list, examples: int, headers: dict[str, str]) -> list[str]:
    """Each operation called with `examples` generated requests; the ones answered with a 5xx."""
    failures: list[str] = []
    with httpx.Client(base_url=base, timeout=30) as http:
        for operation in operations:
            @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy())
            def run(case: schemathesis.Case) -> None:
                response = http.request(case.method, case.formatted_path, params=case.query, headers=headers)
                if response.status_code >= 500:
                    failures.append(f"{case.method} {case.formatted_path} {case.query}: "
                                    f"{response.status_code} {response.text[:200]}")

            run()
    return failures


def test_schemathesis_finds_no_server_errors(ogc_server):
    document = httpx.get(f"{ogc_server}/openapi", headers={"Accept": "application/json"}, timeout=30).json()
    schema = schemathesis.openapi.from_dict(document)
    wanted = ("/", "/conformance", "/collections", "/collections/{collection}",
              "/collections/{collection}/items", "/collections/{collection}/items/{featureId}",
              "/collections/{collection}/queryables")
    chosen = ("unit_grid", "roads", "components_gb47678_01002")
    operations = []
    for result in schema.get_all_operations():
        operation = result.ok()
        generic = operation.path
        for name in chosen:
            generic = generic.replace(f"/collections/{name}", "/collections/{collection}")
        if operation.method.upper() == "GET" and generic in wanted and (
                "{collection}" not in generic or any(f"/collections/{n}" in operation.path for n in chosen)):
            operations.append(operation)
    assert len(operations) >= 10
    started = time.monotonic()
    failures = _server_errors(ogc_server, operations, 12, {"Accept": "application/json"})
    assert not failures, "\n".join(failures[:10])
    assert time.monotonic() - started < 60


# an event stream never ends; a density raster may take seconds at its finest allowed cell size
_UNBOUNDED = {("GET", "/feeds/events"), ("GET", "/analysis/density")}


def test_schemathesis_finds_no_server_errors_in_onemap_s_own_reads(ogc_server):
    """Every read of onemap's own routes (/openapi.json: tiles, geocoder, cases, feeds, analysis) with
    generated parameters, anonymous: 4xx for what it refuses, never a 5xx."""
    document = httpx.get(f"{ogc_server}/openapi.json", timeout=30).json()
    operations = [result.ok() for result in schemathesis.openapi.from_dict(document).get_all_operations()]
    operations = [o for o in operations
                  if o.method.upper() == "GET" and (o.method.upper(), o.path) not in _UNBOUNDED]
    assert len(operations) >= 20
    started = time.monotonic()
    failures = _server_errors(ogc_server, operations, 10, {})
    assert not failures, "\n".join(failures[:10])
    assert time.monotonic() - started < 90
