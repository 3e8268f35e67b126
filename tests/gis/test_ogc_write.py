"""OGC API - Features Part 4 on component layers: tokens, the import's validation, history, private layers."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest
from fastapi.testclient import TestClient

from gis.auth import create_token
from layers.ogc_edit import MAX_BODY_BYTES
from tests.gis.conftest import ogc_app_client
from tests.gis.ogc_support import COLLECTION, GEOJSON, feature_json, free_spot

EPSG = "http://www.opengis.net/def/crs/EPSG/0/"


@pytest.fixture(scope="module")
def client(settings, module_db_url) -> Iterator[TestClient]:
    with ogc_app_client(settings, module_db_url) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def tokens(module_db_url) -> dict[str, str]:
    with psycopg.connect(module_db_url) as conn:
        return {role: create_token(conn, name=f"{role}-ogc", role=role, created_by="tests")
                for role in ("viewer", "editor")}


@pytest.fixture
def db(module_db_url) -> Iterator[psycopg.Connection]:
    with psycopg.connect(module_db_url, autocommit=True) as conn:
        yield conn


def _auth(tokens: dict[str, str], role: str) -> dict[str, str]:
    return {**GEOJSON, "Authorization": f"Bearer {tokens[role]}"}


def _create(client, tokens, db, **properties) -> str:
    response = client.post(COLLECTION, content=feature_json(free_spot(db), **properties),
                           headers=_auth(tokens, "editor"))
    assert response.status_code == 201, response.text
    return response.headers["location"].rsplit("/", 1)[-1]


def _versions(db: psycopg.Connection, identifier: str) -> list[tuple]:
    return db.execute("SELECT name, state, valid_to IS NULL, changed_by, change_source FROM onemap.component "
                      "WHERE id = %s ORDER BY valid_from, version_id", (identifier,)).fetchall()


def _last_batch(db: psycopg.Connection) -> tuple:
    """The newest import batch: its source as a version names it, actor, sources, mode and status."""
    return db.execute("SELECT 'import:' || id, actor, sources, mode, status FROM onemap.import_batch "
                      "ORDER BY id DESC LIMIT 1").fetchone()


def test_writes_need_an_editor_token(client, tokens, db):
    body = feature_json(free_spot(db))
    anonymous = client.post(COLLECTION, content=body, headers=GEOJSON)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert client.post(COLLECTION, content=body, headers=_auth(tokens, "viewer")).status_code == 403
    assert client.delete(f"{COLLECTION}/44030401002000001", headers=GEOJSON).status_code == 401


def test_create_is_validated_coded_and_recorded(client, tokens, db):
    version = db.execute("SELECT data_version FROM onemap.layer WHERE name = 'components'").fetchone()[0]
    xy = free_spot(db)
    response = client.post(COLLECTION, content=feature_json(xy), headers=_auth(tokens, "editor"))
    assert response.status_code == 201, response.text
    location = response.headers["location"]
    assert location.startswith("http://testserver/collections/components_gb47678_01002/items/")
    identifier = location.rsplit("/", 1)[-1]
    assert len(identifier) == 17 and identifier[6:11] == "01002"  # county + class + serial, by the database
    feature = client.get(location.removeprefix("http://testserver"), headers=GEOJSON).json()
    assert feature["geometry"]["coordinates"] == pytest.approx(list(xy))
    grid = db.execute("SELECT code FROM onemap.v_unit_grid WHERE ST_Intersects(geom, "
                      "ST_SetSRID(ST_MakePoint(%s, %s), 4490))", xy).fetchone()
    assert feature["properties"]["grid_code"] == grid[0]
    assert feature["properties"]["state"] == "完好"
    source, *batch = _last_batch(db)
    assert batch == ["editor-ogc", ["api:POST components_gb47678_01002"], "append", "committed"]
    assert _versions(db, identifier) == [("污水井盖", "完好", True, "editor-ogc", source)]
    after = db.execute("SELECT data_version FROM onemap.layer WHERE name = 'components'").fetchone()[0]
    assert after > version


@pytest.mark.parametrize("properties, geometry, reason", [
    ({"competent_dept_name": None}, None, "competent_dept_name: mandatory"),
    ({}, [100.0, 30.0], "geometry: outside the city"),
    ({"state": "坏了"}, None, "state: state '坏了' is not one of"),
    ({"initial_date": "2999-01-01"}, None, "initial_date: initial_date 2999-01-01 lies in the future"),
    ({"class_code": "01003"}, None, "holds class 01002"),
    ({"nonsense": 1}, None, "unknown properties 'nonsense'"),
    ({"name": "井\u0000盖"}, None, "contain a NUL character"),
    ({"attributes": {"survey": ["a", "b\u0000"]}}, None, "contain a NUL character"),
    ({"attributes": {"a\u0000": 1}}, None, "contain a NUL character"),
    ({"owner_dept_name": "#N/A"}, None, "owner_dept_name: owner_dept_name holds #N/A, Excel's mark"),
    ({"attributes": {"材质": "#VALUE!"}}, None, "材质: 材质 holds #VALUE!, Excel's mark"),
], ids=["no-competent-dept", "outside-city", "bad-state", "future-date", "other-class", "unknown-property",
        "nul-in-name", "nul-in-attribute", "nul-in-attribute-key", "excel-error-in-field",
        "excel-error-in-attribute"])
def test_invalid_features_are_400_with_reasons(client, tokens, db, properties, geometry, reason):
    body = json.loads(feature_json(free_spot(db), **properties))
    if geometry is not None:
        body["geometry"]["coordinates"] = geometry
    response = client.post(COLLECTION, content=json.dumps(body, ensure_ascii=False),
                           headers=_auth(tokens, "editor"))
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "InvalidParameterValue"
    assert reason in response.json()["description"]


@pytest.mark.parametrize("body", ["not json", "[]", '{"type": "Feature", "geometry": {"type": "Point"}}',
                                  '{"type": "FeatureCollection", "features": []}'],
                         ids=["not-json", "array", "bad-geometry", "collection"])
def test_malformed_bodies_are_400(client, tokens, body):
    response = client.post(COLLECTION, content=body, headers=_auth(tokens, "editor"))
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameterValue"


def test_a_line_is_refused_by_a_point_class(client, tokens, db):
    x, y = free_spot(db)
    body = {"type": "Feature", "properties": {"competent_dept_name": "x"},
            "geometry": {"type": "LineString", "coordinates": [[x, y], [x + 0.0001, y]]}}
    response = client.post(COLLECTION, content=json.dumps(body), headers=_auth(tokens, "editor"))
    assert response.status_code == 400
    assert "expects a point" in response.json()["description"]


def test_put_replaces_and_keeps_history(client, tokens, db):
    identifier = _create(client, tokens, db)
    created = _last_batch(db)[0]
    before = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    current = client.get(f"{COLLECTION}/{identifier}", headers=GEOJSON).json()
    current["properties"].update(name="污水井盖（新）", state="破损")
    response = client.put(f"{COLLECTION}/{identifier}", content=json.dumps(current, ensure_ascii=False),
                          headers=_auth(tokens, "editor"))
    assert response.status_code == 204, response.text
    replaced = _last_batch(db)[0]
    assert _versions(db, identifier) == [("污水井盖", "完好", False, "editor-ogc", created),
                                         ("污水井盖（新）", "破损", True, "editor-ogc", replaced)]
    then = client.get(COLLECTION, params={"as_of": before, "filter": f"id = '{identifier}'"},
                      headers=GEOJSON).json()
    assert [f["properties"]["name"] for f in then["features"]] == ["污水井盖"]


def test_patch_merges_the_given_properties(client, tokens, db):
    identifier = _create(client, tokens, db, note="巡查发现")
    patch = json.dumps({"type": "Feature", "geometry": None, "properties": {"state": "丢失"}},
                       ensure_ascii=False)
    assert client.patch(f"{COLLECTION}/{identifier}", content=patch,
                        headers=_auth(tokens, "editor")).status_code == 204
    properties = client.get(f"{COLLECTION}/{identifier}", headers=GEOJSON).json()["properties"]
    assert (properties["state"], properties["note"], properties["competent_dept_name"]) == (
        "丢失", "巡查发现", "福田区城市管理和综合执法局")


def test_delete_closes_the_current_version(client, tokens, db):
    identifier = _create(client, tokens, db)
    response = client.delete(f"{COLLECTION}/{identifier}", headers=_auth(tokens, "editor"))
    assert response.status_code == 204
    assert response.content == b""
    assert client.get(f"{COLLECTION}/{identifier}", headers=GEOJSON).status_code == 404
    assert [v[2] for v in _versions(db, identifier)] == [False]
    closed = db.execute("SELECT closed_by, close_source FROM onemap.component WHERE id = %s",
                        (identifier,)).fetchone()
    assert closed == ("editor-ogc", _last_batch(db)[0]), "the history records who deleted it, in which batch"
    assert client.delete(f"{COLLECTION}/{identifier}", headers=_auth(tokens, "editor")).status_code == 404


def test_a_post_of_an_identifier_in_use_or_removed_says_what_the_api_does_instead(client, tokens, db):
    """Not the command line's --mode upsert: PUT or PATCH updates a component, and a removed one's
    identifier is never given again."""
    identifier = _create(client, tokens, db)
    again = client.post(COLLECTION, content=feature_json(free_spot(db), id=identifier),
                        headers=_auth(tokens, "editor"))
    assert again.status_code == 400
    assert again.json()["description"].endswith(
        f"identifier {identifier} is already in the inventory (PUT or PATCH on its item updates it)")
    assert client.delete(f"{COLLECTION}/{identifier}", headers=_auth(tokens, "editor")).status_code == 204
    removed = client.post(COLLECTION, content=feature_json(free_spot(db), id=identifier),
                          headers=_auth(tokens, "editor"))
    assert removed.status_code == 400
    assert removed.json()["description"].endswith(
        "an identifier is never given to another component (a POST without an id gets a new one)")


def test_an_edit_records_who_closed_the_previous_version(client, tokens, db):
    identifier = _create(client, tokens, db)
    patch = json.dumps({"type": "Feature", "geometry": None, "properties": {"state": "破损"}},
                       ensure_ascii=False)
    assert client.patch(f"{COLLECTION}/{identifier}", content=patch,
                        headers=_auth(tokens, "editor")).status_code == 204
    closed = db.execute("SELECT closed_by, close_source FROM onemap.component "
                        "WHERE id = %s AND valid_to IS NOT NULL", (identifier,)).fetchall()
    assert closed == [("editor-ogc", _last_batch(db)[0])]


def test_a_delete_is_an_import_batch_its_closed_version_names(client, tokens, db):
    identifier = _create(client, tokens, db)
    batches = _batches(db)
    assert client.delete(f"{COLLECTION}/{identifier}", headers=_auth(tokens, "editor")).status_code == 204
    assert _batches(db) == batches + 1
    source, *batch = _last_batch(db)
    assert batch == ["editor-ogc", ["api:DELETE components_gb47678_01002"], "delete", "committed"]
    closed = db.execute("SELECT closed_by, close_source FROM onemap.component WHERE id = %s",
                        (identifier,)).fetchone()
    assert closed == ("editor-ogc", source)


def test_patch_takes_a_plain_merge_patch(client, tokens, db):
    """RFC 7396: a PATCH body need not be a Feature; what it leaves out is kept."""
    identifier = _create(client, tokens, db, note="巡查发现")
    before = client.get(f"{COLLECTION}/{identifier}", headers=GEOJSON).json()
    headers = {**_auth(tokens, "editor"), "Content-Type": "application/merge-patch+json"}
    response = client.patch(f"{COLLECTION}/{identifier}", content='{"properties": {"state": "破损"}}',
                            headers=headers)
    assert response.status_code == 204, response.text
    after = client.get(f"{COLLECTION}/{identifier}", headers=GEOJSON).json()
    assert (after["properties"]["state"], after["properties"]["note"]) == ("破损", "巡查发现")
    assert after["geometry"] == before["geometry"]


@pytest.mark.parametrize("body, reason", [
    ({"state": "破损"}, "a PATCH body is a JSON merge patch of the feature (an object with properties and/or "
                       "geometry, e.g. {\"properties\": {\"state\": \"破损\"}}); this one has neither (its "
                       "members: 'state')"),
    ({"type": "FeatureCollection", "features": []}, "must be a GeoJSON Feature or a JSON merge patch"),
], ids=["bare-fields", "collection"])
def test_a_patch_that_is_no_feature_or_merge_patch_is_400(client, tokens, db, body, reason):
    served = client.get(COLLECTION, params={"limit": 1}, headers=GEOJSON).json()["features"][0]["id"]
    response = client.patch(f"{COLLECTION}/{served}", content=json.dumps(body, ensure_ascii=False),
                            headers=_auth(tokens, "editor"))
    assert response.status_code == 400, response.text
    assert reason in response.json()["description"]


def test_a_post_without_a_class_says_what_an_api_client_gives(client, tokens, db):
    """Not the command line's --class or delivery folders: class_code, or the class's collection. A name
    that is a class's standard name still gives its class, as in an import."""
    x, y = free_spot(db)
    items = "/collections/components/items"
    response = client.post(items, content=feature_json((x, y), name="不知道是什么"),
                           headers=_auth(tokens, "editor"))
    assert response.status_code == 400, response.text
    description = response.json()["description"]
    assert "give properties.class_code" in description
    assert "components_gb47678_<class code>" in description
    assert "--class" not in description
    named = client.post(items, content=feature_json((x, y)), headers=_auth(tokens, "editor"))
    assert named.status_code == 201, named.text
    assert named.headers["location"].rsplit("/", 1)[-1][6:11] == "01002"


@pytest.mark.parametrize("method", ["put", "patch"])
def test_a_component_keeps_its_class(client, tokens, db, method):
    identifier = _create(client, tokens, db)
    path = f"/collections/components/items/{identifier}"
    feature = client.get(path, headers=GEOJSON).json()
    feature["properties"]["class_code"] = "01003"
    body = feature if method == "put" else {"properties": {"class_code": "01003"}}
    response = client.request(method.upper(), path, content=json.dumps(body, ensure_ascii=False),
                              headers=_auth(tokens, "editor"))
    assert response.status_code == 400, response.text
    description = response.json()["description"]
    assert f"a component's class cannot change: {identifier} is of class 01002" in description
    assert "DELETE this one and POST a new one" in description
    assert len(_versions(db, identifier)) == 1


def _etag(client: TestClient, path: str, **params: str) -> str:
    response = client.get(path, params=params, headers=GEOJSON)
    assert response.status_code == 200, response.text
    return response.headers["etag"]


def test_an_item_carries_an_etag_that_changes_with_each_version(client, tokens, db):
    identifier = _create(client, tokens, db)
    path = f"{COLLECTION}/{identifier}"
    first = _etag(client, path)
    assert first.startswith('"') and first.endswith('"'), "a strong tag"
    assert _etag(client, path, crs=f"{EPSG}4326") == first, "pygeoapi's path tags the version alike"
    assert _etag(client, f"/collections/components/items/{identifier}") == first
    patch = json.dumps({"properties": {"state": "破损"}}, ensure_ascii=False)
    assert client.patch(path, content=patch, headers=_auth(tokens, "editor")).status_code == 204
    assert _etag(client, path) != first
    assert "etag" not in client.get(path, params={"f": "html"}).headers


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_write_whose_if_match_names_an_earlier_version_is_412(client, tokens, db, method):
    """Two editors read the same version; the second one's write does not overwrite the first one's."""
    identifier = _create(client, tokens, db)
    path = f"{COLLECTION}/{identifier}"
    read = client.get(path, headers=GEOJSON)
    patch = json.dumps({"properties": {"state": "破损"}}, ensure_ascii=False)
    assert client.patch(path, content=patch, headers=_auth(tokens, "editor")).status_code == 204
    batches, versions = _batches(db), _versions(db, identifier)
    feature = read.json()
    feature["properties"]["state"] = "丢失"
    body = {} if method == "delete" else {"content": json.dumps(feature, ensure_ascii=False)}
    response = client.request(method.upper(), path, **body,
                              headers={**_auth(tokens, "editor"), "If-Match": read.headers["etag"]})
    assert response.status_code == 412, response.text
    assert response.json()["code"] == "PreconditionFailed"
    assert f"feature {identifier} changed since it was read" in response.json()["description"]
    assert (_batches(db), _versions(db, identifier)) == (batches, versions), "nothing was written"


@pytest.mark.parametrize("if_match, status", [
    ("current", 204), ('"other", current', 204), ("W/current", 412), ('"20000101T000000000000Z"', 412)],
    ids=["current", "in-a-list", "weak", "other"])
def test_if_match_compares_strongly_with_the_current_version(client, tokens, db, if_match, status):
    identifier = _create(client, tokens, db)
    path = f"{COLLECTION}/{identifier}"
    headers = {**_auth(tokens, "editor"), "If-Match": if_match.replace("current", _etag(client, path))}
    patch = json.dumps({"type": "Feature", "properties": {"state": "破损"}}, ensure_ascii=False)
    response = client.patch(path, content=patch, headers=headers)
    assert response.status_code == status, response.text


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_writes_to_unknown_features_are_404(client, tokens, db, method):
    kwargs = {} if method == "delete" else {"content": feature_json(free_spot(db))}
    response = getattr(client, method)(f"{COLLECTION}/44030401002999999", headers=_auth(tokens, "editor"),
                                       **kwargs)
    assert response.status_code == 404
    assert response.json()["code"] == "NotFound"


def test_content_crs_reads_lat_lon_bodies(client, tokens, db):
    lon, lat = free_spot(db)
    body = feature_json((lat, lon))
    response = client.post(COLLECTION, content=body,
                           headers={**_auth(tokens, "editor"), "Content-Crs": f"<{EPSG}4490>"})
    assert response.status_code == 201, response.text
    location = response.headers["location"].removeprefix("http://testserver")
    feature = client.get(location, headers=GEOJSON).json()
    assert feature["geometry"]["coordinates"] == pytest.approx([lon, lat])


def test_a_position_with_an_elevation_is_stored_in_2d(client, tokens, db):
    lon, lat = free_spot(db)
    response = client.post(COLLECTION, content=feature_json((lon, lat, 8.25)),
                           headers=_auth(tokens, "editor"))
    assert response.status_code == 201, response.text
    location = response.headers["location"].removeprefix("http://testserver")
    stored = client.get(location, headers=GEOJSON).json()["geometry"]["coordinates"]
    assert stored == pytest.approx([lon, lat])


def test_new_class_layers_appear_in_the_collections(client, tokens, db):
    assert client.get("/collections/components_gb47678_01001").status_code == 404
    x, y = free_spot(db)
    body = feature_json((x + 0.001, y), name=None, class_code="01001")
    response = client.post("/collections/components/items", content=body, headers=_auth(tokens, "editor"))
    assert response.status_code == 201, response.text
    listed = [c["id"] for c in client.get("/collections", headers=GEOJSON).json()["collections"]]
    assert "components_gb47678_01001" in listed


def test_private_layers_need_read_private(client, tokens, db):
    db.execute("UPDATE onemap.layer SET is_private = true WHERE name = 'streets'")
    try:
        anonymous = [c["id"] for c in client.get("/collections", headers=GEOJSON).json()["collections"]]
        assert "streets" not in anonymous
        assert client.get("/collections/streets/items", headers=GEOJSON).status_code == 404
        assert client.get("/collections/streets", headers=GEOJSON).status_code == 404
        viewer = {**GEOJSON, "Authorization": f"Bearer {tokens['viewer']}"}
        listed = [c["id"] for c in client.get("/collections", headers=viewer).json()["collections"]]
        assert "streets" in listed
        assert client.get("/collections/streets/items", headers=viewer).status_code == 200
        assert "/collections/streets/items" not in client.get("/openapi", headers=GEOJSON).json()["paths"]
    finally:
        db.execute("UPDATE onemap.layer SET is_private = false WHERE name = 'streets'")


def _read_only_path(client: TestClient, collection: str, method: str) -> str:
    """The items path (POST) or a served item's path (PUT, PATCH, DELETE) of a read-only collection."""
    items = f"/collections/{collection}/items"
    if method == "post":
        return items
    first = client.get(items, params={"limit": 1}, headers=GEOJSON).json()["features"][0]
    return f"{items}/{first['id']}"


READ_ONLY_WRITES = [("post", "roads"), ("put", "roads"), ("patch", "unit_grid"), ("delete", "unit_grid")]
READ_ONLY_IDS = [f"{method}-{collection}" for method, collection in READ_ONLY_WRITES]


@pytest.mark.parametrize("method, collection", READ_ONLY_WRITES, ids=READ_ONLY_IDS)
def test_writes_to_read_only_collections_are_405_with_allow(client, tokens, db, method, collection):
    path = _read_only_path(client, collection, method)
    body = {} if method == "delete" else {"content": feature_json(free_spot(db))}
    response = client.request(method.upper(), path, headers=_auth(tokens, "editor"), **body)
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"
    assert response.json()["code"] == "MethodNotAllowed"
    assert f"collection {collection} is read-only" in response.json()["description"]
    if method != "post":
        assert client.get(path, headers=GEOJSON).status_code == 200, "the feature is still served"


@pytest.mark.parametrize("method, collection", READ_ONLY_WRITES, ids=READ_ONLY_IDS)
def test_the_allow_of_a_read_only_collection_names_methods_it_answers(client, tokens, method, collection):
    path = _read_only_path(client, collection, method)
    refused = client.request(method.upper(), path, headers=_auth(tokens, "editor"))
    for allowed in refused.headers["allow"].split(", "):
        assert client.request(allowed, path, headers=GEOJSON).status_code == 200, allowed


@pytest.mark.parametrize("method, collection", READ_ONLY_WRITES, ids=READ_ONLY_IDS)
def test_a_read_only_collection_decides_the_token_first(client, tokens, method, collection):
    """401 and 403 as on every collection: a caller without write_components never learns it is read-only."""
    path = _read_only_path(client, collection, method)
    assert client.request(method.upper(), path, headers=GEOJSON).status_code == 401
    assert client.request(method.upper(), path, headers=_auth(tokens, "viewer")).status_code == 403


def test_an_unknown_collection_is_still_404_to_an_editor(client, tokens):
    response = client.delete("/collections/no_such_layer/items/1", headers=_auth(tokens, "editor"))
    assert response.status_code == 404
    assert response.json()["code"] == "NotFound"


def _padded(feature: str, size: int) -> bytes:
    """The feature's JSON with trailing blanks up to `size` bytes (still the same feature)."""
    body = feature.encode("utf-8")
    return body + b" " * (size - len(body))


def _batches(db: psycopg.Connection) -> int:
    return db.execute("SELECT count(*) FROM onemap.import_batch").fetchone()[0]


def test_a_body_of_exactly_the_limit_is_written(client, tokens, db):
    body = _padded(feature_json(free_spot(db)), MAX_BODY_BYTES)
    response = client.post(COLLECTION, content=body, headers=_auth(tokens, "editor"))
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_a_body_over_the_limit_is_413(client, tokens, db, method):
    served = client.get(COLLECTION, params={"limit": 1}, headers=GEOJSON).json()["features"][0]["id"]
    path = COLLECTION if method == "post" else f"{COLLECTION}/{served}"
    batches = _batches(db)
    body = _padded(feature_json(free_spot(db)), MAX_BODY_BYTES + 1)
    response = client.request(method.upper(), path, content=body, headers=_auth(tokens, "editor"))
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "PayloadTooLarge"
    assert f"more than the {MAX_BODY_BYTES} accepted" in response.json()["description"]
    assert _batches(db) == batches, "nothing reached the import"


def test_a_declared_length_over_the_limit_is_413_before_the_body_is_read(client, tokens, db):
    """The Content-Length alone decides: the (small, valid) body that follows is never read."""
    headers = {**_auth(tokens, "editor"), "Content-Length": str(MAX_BODY_BYTES + 1)}
    response = client.post(COLLECTION, content=feature_json(free_spot(db)), headers=headers)
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "PayloadTooLarge"


def test_a_streamed_body_over_the_limit_is_413(client, tokens, db):
    chunk = b" " * 100_000
    body = iter([feature_json(free_spot(db)).encode("utf-8"), *[chunk] * 11])
    response = client.post(COLLECTION, content=body, headers=_auth(tokens, "editor"))
    assert "content-length" not in response.request.headers  # sent chunked
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "PayloadTooLarge"
    assert f"exceeds the {MAX_BODY_BYTES} bytes accepted" in response.json()["description"]
