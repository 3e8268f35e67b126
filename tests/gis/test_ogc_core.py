"""OGC API - Features: landing page, conformance, OpenAPI, collections (in-process, demo city)."""

import json

import psycopg
import pytest

JSON = {"Accept": "application/json"}
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def _paths(links: list[dict]) -> dict[str, str]:
    return {link["rel"]: link["href"].removeprefix("http://testserver") for link in links
            if link.get("type") in (None, "application/json", "application/vnd.oai.openapi+json;version=3.0")}


@pytest.mark.parametrize("path, headers", [("/", JSON), ("/?f=json", {}), ("/ogc", JSON)],
                         ids=["root-accept-json", "root-f-json", "ogc-alias"])
def test_landing_page_links_to_served_resources(ogc_client, path, headers):
    response = ogc_client.get(path, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    page = response.json()
    links = _paths(page["links"])
    assert links["data"] == "/collections"
    assert links["conformance"] == "/conformance"
    assert links["service-desc"] == "/openapi"
    assert links["http://www.opengis.net/def/rel/ogc/1.0/processes"] == "/processes"
    assert not [link for link in page["links"] if "job" in link["rel"]]  # execution is synchronous only
    tiling = [link for link in page["links"] if "tiling" in link["rel"]]  # onemap's, not pygeoapi's path
    assert [link["href"].removeprefix("http://testserver") for link in tiling] == ["/tileMatrixSets"]
    for href in (links["data"], links["conformance"], links["service-desc"], "/tileMatrixSets", "/processes"):
        assert ogc_client.get(href, headers=JSON).status_code == 200


def test_a_browser_at_root_gets_the_map_page(ogc_client):
    response = ogc_client.get("/", headers=BROWSER)
    assert response.status_code == 200
    assert "maplibre" in response.text.lower()
    assert "Accept" in response.headers["vary"]


def test_landing_page_as_html(ogc_client):
    response = ogc_client.get("/ogc?f=html")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/collections" in response.text


def test_conformance_declares_features_crs_filter_and_cql2(ogc_client):
    classes = set(ogc_client.get("/conformance", headers=JSON).json()["conformsTo"])
    for declared in ("ogcapi-features-1/1.0/conf/core", "ogcapi-features-1/1.0/conf/geojson",
                     "ogcapi-features-2/1.0/conf/crs", "ogcapi-features-3/1.0/conf/features-filter",
                     "ogcapi-features-4/1.0/conf/create-replace-delete", "cql2/1.0/conf/cql2-text",
                     "cql2/1.0/conf/cql2-json", "cql2/1.0/conf/basic-spatial-functions",
                     "cql2/1.0/conf/temporal-functions"):
        assert f"http://www.opengis.net/spec/{declared}" in classes


def test_conformance_does_not_grow_with_requests(ogc_client):
    import pygeoapi.api as core

    before = len(core.CONFORMANCE_CLASSES)
    for _ in range(3):
        ogc_client.get("/conformance", headers=JSON)
    assert len(core.CONFORMANCE_CLASSES) == before


def test_openapi_is_self_contained_and_lists_every_collection(ogc_client, conn: psycopg.Connection):
    response = ogc_client.get("/openapi", headers=JSON)
    assert response.status_code == 200
    assert "openapi" in response.headers["content-type"]
    document = response.json()
    refs = {value for value in _walk_refs(document)}
    remote = sorted(ref for ref in refs if not ref.startswith("#/"))
    assert refs and not remote, remote
    names = [r[0] for r in conn.execute("SELECT name FROM onemap.layer WHERE NOT is_private")]
    for name in names:
        assert f"/collections/{name}/items" in document["paths"]
    assert not [p for p in document["paths"] if p.startswith(("/processes", "/jobs", "/TileMatrixSets"))]
    parameters = {p.get("$ref", "").rsplit("/", 1)[-1] for p in
                  document["paths"]["/collections/components/items"]["get"]["parameters"]}
    assert {"filter", "filter-lang", "grid", "class", "as_of", "count"} <= parameters


def test_every_items_operation_shares_the_limit_component_clients_size_pages_by(ogc_client):
    """QGIS and ArcGIS read components.parameters.limit (maximum, default) to size their pages, not a
    path's own limit parameter. The maximum is what the server clamps to."""
    document = ogc_client.get("/openapi", headers=JSON).json()
    limit = document["components"]["parameters"]["limit"]
    assert (limit["in"], limit["schema"]["maximum"], limit["schema"]["default"]) == ("query", 10_000, 100)
    items = [path for path in document["paths"] if path.endswith("/items")]
    assert items
    for path in items:
        parameters = document["paths"][path]["get"]["parameters"]
        assert {"$ref": "#/components/parameters/limit"} in parameters
        assert not [p for p in parameters if p.get("name") == "limit"]
    page = ogc_client.get("/collections/components/items", params={"limit": 20_000}, headers=JSON).json()
    assert page["numberReturned"] == min(page["numberMatched"], limit["schema"]["maximum"])


def test_schema_and_queryables_name_a_layer_s_one_kind_of_geometry(ogc_client, conn: psycopg.Connection):
    """OGC API - Features Part 5 geometry formats, which QGIS takes a layer's geometry type from;
    geometry-any only where a layer mixes kinds."""
    formats = {"point": "geometry-point-or-multipoint", "line": "geometry-linestring-or-multilinestring",
               "polygon": "geometry-polygon-or-multipolygon", "mixed": "geometry-any"}
    kinds = dict(conn.execute("SELECT name, geometry_type FROM onemap.layer WHERE NOT is_private").fetchall())
    assert set(kinds.values()) == set(formats)
    for name, kind in kinds.items():
        for document in ("schema", "queryables"):
            body = ogc_client.get(f"/collections/{name}/{document}", headers=JSON).json()
            geometry = body["properties"]["geometry"]
            assert geometry == {"format": formats[kind], "x-ogc-role": "primary-geometry"}, (name, document)
    stored = conn.execute("SELECT DISTINCT GeometryType(geom) FROM onemap.road").fetchall()
    assert {row[0] for row in stored} <= {"LINESTRING", "MULTILINESTRING"}  # what roads' format promises


def _walk_refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _walk_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk_refs(item)


def test_openapi_as_html(ogc_client):
    response = ogc_client.get("/openapi?f=html")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


def test_collections_list_every_registry_layer(ogc_client, conn: psycopg.Connection):
    body = ogc_client.get("/collections", headers=JSON).json()
    listed = [c["id"] for c in body["collections"]]
    registry = [r[0] for r in conn.execute(
        "SELECT name FROM onemap.layer WHERE NOT is_private ORDER BY sort_order, name")]
    assert listed == registry
    assert {"counties", "streets", "communities", "unit_grid", "roads", "components"} <= set(listed)
    assert any(name.startswith("components_gb47678_") for name in listed)


def test_collection_metadata_has_extent_crs_and_storage_crs(ogc_client, conn: psycopg.Connection):
    body = ogc_client.get("/collections/components", headers=JSON).json()
    assert body["storageCrs"] == f"{EPSG}4490"
    assert body["crs"][0] == CRS84
    assert {f"{EPSG}4490", f"{EPSG}4326", f"{EPSG}3857", f"{EPSG}4547"} <= set(body["crs"])
    xmin, ymin, xmax, ymax = conn.execute(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
        "(SELECT ST_Extent(geom) e FROM onemap.v_component) s").fetchone()
    assert body["extent"]["spatial"]["bbox"][0] == pytest.approx([xmin, ymin, xmax, ymax])
    assert body["title"] == "部件"
    assert {link["rel"] for link in body["links"]} >= {"items", "self"}


def test_class_collection_extent_covers_only_its_class(ogc_client, conn: psycopg.Connection):
    box = ogc_client.get("/collections/components_gb47678_02017", headers=JSON).json()
    xmin, ymin, xmax, ymax = conn.execute(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e "
        "FROM onemap.v_component WHERE class_code = '02017') s").fetchone()
    assert box["extent"]["spatial"]["bbox"][0] == pytest.approx([xmin, ymin, xmax, ymax])


def test_queryables_and_schema_come_from_the_catalog(ogc_client):
    queryables = ogc_client.get("/collections/unit_grid/queryables", headers=JSON)
    assert queryables.status_code == 200
    properties = queryables.json()["properties"]
    assert properties["code"]["type"] == "string"
    assert properties["area_m2"]["type"] == "number"
    assert properties["valid_from"] == {"title": "valid_from", "type": "string", "format": "date-time",
                                        "x-ogc-role": "primary-instant"}
    schema = ogc_client.get("/collections/components/schema", headers=JSON).json()
    assert schema["properties"]["initial_date"]["format"] == "date"
    assert schema["properties"]["id"]["x-ogc-role"] == "id"


def test_unknown_collection_is_404_with_an_ogc_exception(ogc_client):
    for path in ("/collections/nope", "/collections/nope/items", "/collections/nope/items/1",
                 "/collections/nope/queryables"):
        response = ogc_client.get(path, headers=JSON)
        assert response.status_code == 404, path
        assert response.json()["code"] == "NotFound"


def test_collections_as_html(ogc_client):
    response = ogc_client.get("/collections?f=html")
    assert response.status_code == 200
    assert "单元网格" in response.text


def test_responses_vary_on_authorization(ogc_client):
    assert "Authorization" in ogc_client.get("/collections", headers=JSON).headers["vary"]


def test_bad_token_is_401_not_anonymous(ogc_client):
    response = ogc_client.get("/collections", headers={**JSON, "Authorization": "Bearer om_nope"})
    assert response.status_code == 401
    assert json.loads(response.text)["code"] == "Unauthorized"


def test_the_service_starts_and_answers_503_while_the_database_is_down(settings):
    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    from gis.app import create_app
    from tests.gis.conftest import free_port

    down = f"postgresql://nobody:secret@127.0.0.1:{free_port()}/onemap"
    app = create_app(settings.model_copy(update={"database_url": SecretStr(down), "connect_timeout_s": 1.0}))
    with TestClient(app) as client:
        response = client.get("/collections", headers=JSON)
        assert response.status_code == 503
        assert response.json()["code"] == "ServiceUnavailable"
        assert "secret" not in response.text
        assert client.get("/", headers={"Accept": "text/html"}).status_code == 200  # the map page still loads


@pytest.mark.parametrize("path", ["/collections", "/collections/components"],
                         ids=["collections", "collection"])
def test_the_geojson_items_link_is_the_bare_items_url(ogc_client, path):
    """GDAL's OAPIF driver appends /{featureId} to this link: with `?f=json` in it, `items?f=json/{id}` was
    a 400 and a `-where "id = '…'"` read found nothing."""
    body = ogc_client.get(path, headers=JSON).json()
    described = body.get("collections", [body])
    links = {c["id"]: link["href"].removeprefix("http://testserver") for c in described for link in c["links"]
             if link["rel"] == "items" and link["type"] == "application/geo+json"}
    assert links == {c["id"]: f"/collections/{c['id']}/items" for c in described}


@pytest.mark.parametrize("accept", [None, "*/*", "application/geo+json",
                                    "application/geo+json, application/json"],
                         ids=["no-accept", "any", "geojson", "geojson-or-json"])
def test_the_geojson_items_link_answers_geojson(ogc_client, accept):
    """Followed (and with /{id} appended) as GDAL and QGIS do, with their Accept header or none."""
    links = ogc_client.get("/collections/components", headers=JSON).json()["links"]
    link = next(link["href"].removeprefix("http://testserver") for link in links
                if link["rel"] == "items" and link["type"] == "application/geo+json")

    def get(url: str):
        request = ogc_client.build_request("GET", url)
        if accept is None:
            del request.headers["accept"]
        else:
            request.headers["accept"] = accept
        response = ogc_client.send(request)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/geo+json"
        return response.json()

    feature = get(f"{link}?limit=1")["features"][0]
    item = get(f"{link}/{feature['id']}")
    assert (item["id"], item["geometry"]) == (feature["id"], feature["geometry"])
