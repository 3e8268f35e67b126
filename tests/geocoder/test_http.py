"""The geocoder's HTTP routes: contract shape, CRSs, GeoJSON, batch, jobs, and hostile input."""

from collections.abc import Iterator
from pathlib import Path

import openpyxl
import psycopg
import pytest
from fastapi.testclient import TestClient

from geocoder.process import JSON_MAX_BYTES
from geocoder.routes import JOB_MAX_BYTES
from gis.settings import Settings
from tests.geocoder.conftest import job_result_rows, plate_outside_the_grid
from tests.gis.conftest import ogc_app_client
from tests.layers.opendocument_sheets import write_ods

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HOSTILE = {
    "empty": "",
    "whitespace": "   \t ",
    "long": "路" * 5_000 + "a" * 5_000,  # 10,000 characters (a URL holds at most 64 KiB)
    "emoji": "😀🎉🚀",
    "sql": "'; DROP TABLE onemap.road; --",
    "latin": "1600 Pennsylvania Avenue NW",
    "mixed": "侨香路7号 building B 😀",
    "control": "侨香路\x007号",
    "percent": "%%%___",
}
NO_ADDRESS_COLUMN = "编号,描述\n1,侨香路7号\n".encode()


def test_forward_contract(geocoder_client: TestClient) -> None:
    response = geocoder_client.get("/geocode", params={"address": "侨香路7号", "limit": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "侨香路7号" and body["normalized"] == "侨香路7号"
    best = body["candidates"][0]
    assert set(best) >= {
        "level",
        "score",
        "elements",
        "lon",
        "lat",
        "grid_code",
        "community_code",
        "street_code",
        "county_code",
        "label",
    }
    assert best["level"] == "door_plate" and len(best["grid_code"]) == 15
    assert len(body["candidates"]) <= 3


def test_forward_in_gcj02_is_offset(geocoder_client: TestClient) -> None:
    plain = geocoder_client.get("/geocode", params={"q": "侨香路7号"}).json()["candidates"][0]
    offset = geocoder_client.get("/geocode", params={"q": "侨香路7号", "crs": "gcj02"}).json()
    assert offset["crs"] == "GCJ-02"
    shift = abs(offset["candidates"][0]["lon"] - plain["lon"]) + abs(
        offset["candidates"][0]["lat"] - plain["lat"]
    )
    assert 0.002 < shift < 0.01  # the GCJ-02 offset in Shenzhen is a few hundred metres


def test_forward_geojson(geocoder_client: TestClient) -> None:
    response = geocoder_client.get("/geocode", params={"q": "侨香路7号", "f": "geojson"})
    assert response.headers["content-type"].startswith("application/geo+json")
    feature = response.json()["features"][0]
    assert feature["geometry"]["type"] == "Point" and feature["properties"]["level"] == "door_plate"


def test_reverse_contract(geocoder_client: TestClient) -> None:
    best = geocoder_client.get("/geocode", params={"q": "侨香路7号"}).json()["candidates"][0]
    for path in ("/geocode/reverse", "/reverse"):
        body = geocoder_client.get(path, params={"lon": best["lon"], "lat": best["lat"]}).json()
        assert body["grid_code"] == best["grid_code"] and body["door_plate"] == "侨香路7号"
        assert {"community_code", "street_code", "county_code", "road"} <= set(body)


@pytest.mark.parametrize(
    "params",
    [
        {"lon": "abc", "lat": "22.5"},
        {"lon": "nan", "lat": "22.5"},
        {"lon": "114", "lat": "95"},
        {"lon": "114", "lat": "22.5", "crs": "EPSG:9"},
        {"lon": "114", "lat": "22.5", "radius": "-1"},
        {"lat": "22.5"},
    ],
    ids=["text", "nan", "off-earth", "bad-crs", "bad-radius", "missing"],
)
def test_reverse_bad_input_is_400(geocoder_client: TestClient, params: dict[str, str]) -> None:
    response = geocoder_client.get("/geocode/reverse", params=params)
    assert response.status_code == 400 and set(response.json()) == {"code", "description"}


@pytest.mark.parametrize("query", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_queries_never_500(geocoder_client: TestClient, query: str) -> None:
    response = geocoder_client.get("/geocode", params={"address": query})
    assert response.status_code in (200, 400)
    body = response.json()
    if response.status_code == 400:
        assert body["code"] == "InvalidParameterValue" and body["description"]
    else:
        assert body["candidates"] or body["reason"]


def test_bad_limit_and_format_are_400(geocoder_client: TestClient) -> None:
    assert geocoder_client.get("/geocode", params={"q": "侨香路", "limit": 0}).status_code == 400
    assert geocoder_client.get("/geocode", params={"q": "侨香路", "f": "xml"}).status_code == 400
    assert geocoder_client.get("/geocode").status_code == 400


def test_batch_json_keeps_bad_rows(geocoder_client: TestClient) -> None:
    response = geocoder_client.post(
        "/geocode/batch", json={"addresses": ["侨香路7号", "", "😀", "侨香路8号"]}
    )
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["level"] for r in rows] == ["door_plate", "", "", "door_plate"]
    assert rows[1]["reason"] and rows[2]["reason"]


def test_an_excel_error_value_is_a_reason_not_a_place(
    geocoder_client: TestClient, job_headers: tuple[dict[str, str], ...], tmp_path: Path
) -> None:
    """A workbook whose address column a lookup fills shows #N/A where the lookup found nothing."""
    book = openpyxl.Workbook()
    for row in (["编号", "地址"], [1, "侨香路7号"], [2, "#N/A"]):
        book.active.append(row)
    book.save(tmp_path / "cases.xlsx")
    assert book.active["B3"].data_type == "e"  # written as an error cell, as Excel writes it
    response = geocoder_client.post("/geocode/batch", content=(tmp_path / "cases.xlsx").read_bytes(),
                                    headers={"content-type": XLSX, **job_headers[0]})
    assert response.status_code == 202
    rows = job_result_rows(geocoder_client, response.headers["location"], job_headers[0])
    assert [r[2] for r in rows[1:]] == ["door_plate", ""]
    assert rows[2][-1] == ("address holds #N/A, Excel's mark of a formula that failed: a lookup found "
                           "nothing; correct the formula or clear the cell")
    single = geocoder_client.get("/geocode", params={"q": "#N/A"})
    assert single.status_code == 400 and "#N/A" in single.json()["description"]


def test_an_opendocument_workbook_is_a_batch_too(
    geocoder_client: TestClient, job_headers: tuple[dict[str, str], ...], tmp_path: Path
) -> None:
    """LibreOffice's .ods, with an error cell where a lookup found nothing."""
    book = write_ods(tmp_path / "cases.ods", {"cases": [["编号", "地址"], [1, "侨香路7号"], [2, "#N/A"]]})
    headers = {"content-type": "application/vnd.oasis.opendocument.spreadsheet", **job_headers[0]}
    response = geocoder_client.post("/geocode/batch", content=book.read_bytes(), headers=headers)
    assert response.status_code == 202
    rows = job_result_rows(geocoder_client, response.headers["location"], job_headers[0])
    assert [r[2] for r in rows[1:]] == ["door_plate", ""]
    assert rows[2][-1].startswith("address holds #N/A, Excel's mark of a formula that failed")


def test_batch_job_csv(geocoder_client: TestClient, job_headers: tuple[dict[str, str], ...]) -> None:
    body = "id,地址\n1,侨香路7号\n2,\n3,不存在的地方\n".encode()
    response = geocoder_client.post("/geocode/batch", content=body,
                                    headers={"content-type": "text/csv", **job_headers[0]})
    assert response.status_code == 202
    rows = job_result_rows(geocoder_client, response.headers["location"], job_headers[0])
    assert rows[0][:3] == ["id", "地址", "level"] and rows[1][2] == "door_plate" and len(rows) == 4


def test_batch_job_csv_in_the_charset_its_content_type_declares(
    geocoder_client: TestClient, job_headers: tuple[dict[str, str], ...]
) -> None:
    body = "id,地址\n1,僑香路7號\n".encode("big5")  # GB18030 would decode it into other characters
    response = geocoder_client.post("/geocode/batch", content=body,
                                    headers={"content-type": 'text/csv; charset="big5"', **job_headers[0]})
    assert response.status_code == 202
    rows = job_result_rows(geocoder_client, response.headers["location"], job_headers[0])
    assert rows[1][:2] == ["1", "僑香路7號"]
    unknown = geocoder_client.post("/geocode/batch", content=body,
                                   headers={"content-type": "text/csv; charset=bogus", **job_headers[0]})
    assert unknown.status_code == 422 and "unknown text encoding 'bogus'" in unknown.json()["description"]


@pytest.mark.parametrize(
    ("body", "ctype"),
    [
        (b"{", "application/json"),
        (b"x", "application/pdf"),
        (b"name\nfoo\n", "text/csv"),
        (b"\xff\xfe\x00", "text/csv"),
    ],
    ids=["broken-json", "pdf", "no-address-column", "binary"],
)
def test_batch_bad_bodies(
    geocoder_client: TestClient, job_headers: tuple[dict[str, str], ...], body: bytes, ctype: str
) -> None:
    response = geocoder_client.post("/geocode/batch", content=body, headers={"content-type": ctype,
                                                                             **job_headers[0]})
    assert response.status_code in (400, 422), response.text  # the body refused, not the token
    assert "description" in response.json()


def test_openapi_documents_the_routes(geocoder_client: TestClient) -> None:
    paths = geocoder_client.get("/openapi.json").json()["paths"]
    assert {"/geocode", "/geocode/reverse", "/geocode/batch"} <= set(paths)


def test_geocode_process(geocoder_client: TestClient) -> None:
    listed = geocoder_client.get("/processes").json()["processes"]
    assert [p["id"] for p in listed] == ["geocode"]
    description = geocoder_client.get("/processes/geocode").json()
    assert description["id"] == "geocode" and "addresses" in description["inputs"]
    response = geocoder_client.post(
        "/processes/geocode/execution", json={"inputs": {"addresses": ["侨香路7号", "😀"]}}
    )
    assert response.status_code == 200
    rows = response.json()["results"]
    assert rows[0]["level"] == "door_plate" and rows[1]["reason"]
    bad = geocoder_client.post("/processes/geocode/execution", json={"inputs": {"addresses": "x"}})
    assert bad.status_code == 400


@pytest.mark.parametrize(("accept", "language", "title"),
                         [("zh-CN,zh;q=0.9", "zh-CN", "地址匹配"), ("en", "en-US", "Geocode addresses")])
def test_process_titles_are_strings_in_the_request_s_language(
    geocoder_client: TestClient, accept: str, language: str, title: str
) -> None:
    """OGC API - Processes gives title and description as strings (descriptionType), which clients
    show as they are; the language is chosen as for the OGC routes."""
    for path in ("/processes", "/processes/geocode"):
        response = geocoder_client.get(path, headers={"Accept-Language": accept})
        assert response.headers["Content-Language"].startswith(language[:2])
        body = response.json()
        process = body["processes"][0] if path == "/processes" else body
        assert process["title"] == title and isinstance(process["description"], str)
    inputs = geocoder_client.get("/processes/geocode", params={"lang": language}).json()["inputs"]
    assert all(isinstance(i["title"], str) and isinstance(i["description"], str) for i in inputs.values())


def test_database_down_is_503_not_500(settings: Settings) -> None:
    with ogc_app_client(settings, "postgresql://nobody@127.0.0.1:1/none", connect_timeout_s=1.0) as client:
        response = client.get("/geocode", params={"address": "侨香路7号"})
    assert response.status_code == 503 and response.json()["code"] == "ServiceUnavailable"


def test_hot_routes_document_and_check_their_parameters(geocoder_client: TestClient) -> None:
    paths = geocoder_client.get("/openapi.json").json()["paths"]
    names = {p["name"] for p in paths["/geocode"]["get"]["parameters"]}
    assert {"address", "q", "limit", "crs", "f"} <= names
    assert {"lon", "lat", "radius"} <= {p["name"] for p in paths["/geocode/reverse"]["get"]["parameters"]}
    for params in ({"q": "侨香路", "limit": "abc"}, {"q": "侨香路", "limit": "21"}):
        response = geocoder_client.get("/geocode", params=params)
        assert response.status_code == 400 and response.json()["code"] == "InvalidParameterValue"
    first = geocoder_client.get("/geocode", params={"address": "侨香路7号", "f": "geojson"})
    again = geocoder_client.get("/geocode", params={"address": "侨香路7号", "f": "geojson"})
    assert first.headers["content-type"] == "application/geo+json" and first.content == again.content
    assert first.json()["features"][0]["properties"]["level"] == "door_plate"


@pytest.mark.parametrize(
    ("path", "ctype", "limit"),
    [
        ("/geocode/batch", "application/json", JSON_MAX_BYTES),
        ("/processes/geocode/execution", "application/json", JSON_MAX_BYTES),
        ("/geocode/batch", "text/csv", JOB_MAX_BYTES),
    ],
    ids=["batch-json", "process", "batch-job-file"],
)
def test_bodies_over_the_limit_are_413_before_they_are_read(
    geocoder_client: TestClient, job_headers: tuple[dict[str, str], ...], path: str, ctype: str, limit: int
) -> None:
    declared = geocoder_client.post(path, content=b"{}", headers={"content-type": ctype, **job_headers[0],
                                                                   "content-length": str(limit + 1)})
    assert declared.status_code == 413 and str(limit) in declared.json()["description"]

    def chunks() -> Iterator[bytes]:  # streamed without a Content-Length
        for _ in range(limit // 1_000_000 + 1):
            yield b" " * 1_000_000

    streamed = geocoder_client.post(path, content=chunks(), headers={"content-type": ctype, **job_headers[0]})
    assert streamed.status_code == 413 and "description" in streamed.json()


def test_reverse_geojson_carries_the_converted_point_as_json_does(geocoder_client: TestClient) -> None:
    """RFC 7946 positions are lon/lat: a GCJ-02 fix comes back converted, as f=json gives it."""
    params = {"lon": "114.0404", "lat": "22.5374", "crs": "gcj02"}
    plain = geocoder_client.get("/geocode/reverse", params=params).json()
    feature = geocoder_client.get("/geocode/reverse", params={**params, "f": "geojson"}).json()
    assert feature["geometry"]["coordinates"] == [plain["lon"], plain["lat"]]
    assert abs(plain["lon"] - 114.0404) > 0.002  # converted: the GCJ-02 offset is a few hundred metres
    assert feature["properties"]["grid_code"] == plain["grid_code"]


def test_an_answer_outside_the_unit_grid_has_a_reason_single_and_batch(
    geocoder_client: TestClient, conn: psycopg.Connection
) -> None:
    address = plate_outside_the_grid(conn)
    single = geocoder_client.get("/geocode", params={"q": address}).json()
    assert single["candidates"][0]["grid_code"] is None
    assert single["reason"].startswith("outside the unit grid")
    batch = geocoder_client.post("/geocode/batch", json={"addresses": [address, "侨香路7号"]})
    rows = batch.json()["results"]
    assert rows[0]["level"] == "door_plate" and rows[0]["reason"].startswith("outside the unit grid")
    assert rows[1]["reason"] == ""
    far = geocoder_client.get("/geocode/reverse", params={"lon": "116.4", "lat": "39.9"}).json()
    assert far["grid_code"] is None and far["reason"].startswith("outside the unit grid")


@pytest.mark.parametrize("crs", ["gcj02", {"value": "gcj02"}], ids=["plain", "qualified-value"])
def test_the_process_reads_its_crs_plain_or_as_a_qualified_value_and_echoes_it(
    geocoder_client: TestClient, crs: object
) -> None:
    plain = geocoder_client.post("/processes/geocode/execution",
                                 json={"inputs": {"addresses": ["侨香路7号"]}}).json()
    offset = geocoder_client.post("/processes/geocode/execution",
                                  json={"inputs": {"addresses": ["侨香路7号"], "crs": crs}}).json()
    assert (plain["crs"], offset["crs"]) == ("EPSG:4490", "GCJ-02")
    assert 0.002 < abs(offset["results"][0]["lon"] - plain["results"][0]["lon"]) < 0.01


@pytest.mark.parametrize(
    ("inputs", "said"),
    [
        ({"addresses": ["侨香路7号"], "crs": 4326}, "inputs.crs is the number 4326, not a string"),
        ({"addresses": ["侨香路7号"], "crs": ["gcj02"]}, "inputs.crs is a list, not a string"),
        ({"addresses": ["侨香路7号"], "crs": {"href": "x"}}, "inputs.crs is an object, not a string"),
        ({"addresses": ["侨香路7号"], "limit": 3}, "inputs.limit is no input of the geocode process"),
        ({"addresses": ["侨香路7号", None]}, "inputs.addresses[1] is null, not a string"),
    ],
    ids=["number", "list", "object", "unknown-input", "null-address"],
)
def test_the_process_refuses_what_is_no_input_of_it(
    geocoder_client: TestClient, inputs: dict[str, object], said: str
) -> None:
    response = geocoder_client.post("/processes/geocode/execution", json={"inputs": inputs})
    assert response.status_code == 400 and response.json()["code"] == "InvalidParameterValue"
    assert said in response.json()["description"]


def test_json_batch_rows_give_null_for_missing_numbers(geocoder_client: TestClient) -> None:
    rows = geocoder_client.post("/geocode/batch", json={"addresses": ["", "😀"]}).json()["results"]
    assert [(r["score"], r["lon"], r["lat"], r["candidates"]) for r in rows] == [
        (None, None, None, None),  # refused: never looked up
        (None, None, None, 0),
    ]


@pytest.mark.parametrize(
    ("addresses", "said"),
    [
        (["侨香路7号", None], "batch body: addresses[1] is null, not a string"),
        ([7, "侨香路7号", {"a": 1}],
         "batch body: addresses[0] is the number 7, not a string; addresses[2] is an object, not a string"),
        ("侨香路7号", "batch body: addresses is the text '侨香路7号', not a list"),
    ],
    ids=["null", "number-and-object", "not-a-list"],
)
def test_a_bad_json_batch_names_the_item_and_what_is_wrong(
    geocoder_client: TestClient, addresses: object, said: str
) -> None:
    response = geocoder_client.post("/geocode/batch", json={"addresses": addresses})
    assert response.status_code == 400 and response.json()["description"] == said


def test_a_job_result_states_its_crs_and_writes_formulas_as_text(
    geocoder_client: TestClient, job_headers: tuple[dict[str, str], ...]
) -> None:
    body = ('id,地址,备注\n1,侨香路7号,"=HYPERLINK(""http://x"",""看"")"\n2,,-12.5\n'
            "3,@SUM(A1),+86 755 8888\n").encode()
    response = geocoder_client.post("/geocode/batch?crs=gcj02", content=body,
                                    headers={"content-type": "text/csv", **job_headers[0]})
    assert response.status_code == 202
    header, *rows = job_result_rows(geocoder_client, response.headers["location"], job_headers[0])
    assert header[header.index("lat") + 1] == "crs"
    assert [r[header.index("crs")] for r in rows] == ["GCJ-02", "", ""]
    assert [r[2] for r in rows] == ["'=HYPERLINK(\"http://x\",\"看\")", "-12.5", "'+86 755 8888"]
    assert rows[2][1] == "'@SUM(A1)"


@pytest.mark.parametrize(
    ("body", "content_type", "said", "not_said"),
    [
        (NO_ADDRESS_COLUMN, "text/csv", "the uploaded table: no address column", "--column"),
        (NO_ADDRESS_COLUMN, "text/csv", "name it with ?column= in the URL", "upload.csv"),
        ("id,地址\n1,僑香路7號\n".encode("big5"), "text/csv; charset=utf-8",
         "pass a charset in the Content-Type, as text/csv; charset=gbk", "--encoding"),
    ],
    ids=["column-named-by-the-url", "the-upload-not-a-file-name", "charset-not-encoding"],
)
def test_job_errors_give_the_http_api_s_advice(
    geocoder_client: TestClient, job_headers: tuple[dict[str, str], ...], body: bytes, content_type: str,
    said: str, not_said: str
) -> None:
    response = geocoder_client.post("/geocode/batch", content=body,
                                    headers={"content-type": content_type, **job_headers[0]})
    description = response.json()["description"]
    assert response.status_code == 422 and said in description and not_said not in description


@pytest.mark.parametrize(
    ("content_type", "disposition", "body"),
    [
        ("text/tab-separated-values", None, "编号\t地址\n1\t侨香路7号\n".encode()),
        ("application/octet-stream", 'attachment; filename="cases.csv"', "编号,地址\n1,侨香路7号\n".encode()),
    ],
    ids=["tsv", "octet-stream-named"],
)
def test_a_job_table_may_come_as_tsv_or_as_a_named_octet_stream(
    geocoder_client: TestClient, job_headers: tuple[dict[str, str], ...], content_type: str,
    disposition: str | None, body: bytes
) -> None:
    headers = {"content-type": content_type, **job_headers[0]}
    if disposition:
        headers["content-disposition"] = disposition
    response = geocoder_client.post("/geocode/batch", content=body, headers=headers)
    assert response.status_code == 202, response.text
    rows = job_result_rows(geocoder_client, response.headers["location"], job_headers[0])
    assert rows[1][:3] == ["1", "侨香路7号", "door_plate"]


def test_a_named_workbook_as_an_octet_stream_is_read_and_an_unnamed_stream_is_told_what_to_send(
    geocoder_client: TestClient, job_headers: tuple[dict[str, str], ...], tmp_path: Path
) -> None:
    book = openpyxl.Workbook()
    for row in (["编号", "事件描述"], [1, "侨香路7号"]):
        book.active.append(row)
    book.save(tmp_path / "cases.xlsx")
    headers = {"content-type": "application/octet-stream", **job_headers[0]}
    disposition = {"content-disposition": 'attachment; filename="cases.xlsx"'}
    named = geocoder_client.post("/geocode/batch", content=(tmp_path / "cases.xlsx").read_bytes(),
                                 headers={**headers, **disposition})
    assert named.status_code == 422  # read as a workbook: its header holds no address column
    assert named.json()["description"].startswith("cases.xlsx: no address column")
    unnamed = geocoder_client.post("/geocode/batch", content=b"x", headers=headers)
    assert unnamed.status_code == 400
    description = unnamed.json()["description"]
    assert "text/tab-separated-values" in description and "Content-Disposition" in description
