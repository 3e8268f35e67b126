"""Parsing on the real data in ../shared/data (skipped when it is absent)."""

import csv
import json

from geocoder.gazetteer import national_admin
from geocoder.normalize import normalize
from geocoder.parse import parse
from tests.conftest import shared_data


def test_ncap_admin_levels_are_parsed_and_never_invented() -> None:
    records = [json.loads(line) for line in
               shared_data("addresses", "ncap_dev.jsonl").read_text(encoding="utf-8").splitlines()[:600]]
    right = total = invented = absent = 0
    for record in records:
        gold = {label: text for label, text in reversed(record["spans"])}
        elements = parse(normalize(record["text"]).text, national_admin()).elements
        if "district" in gold:
            total += 1
            right += elements.get("district") is not None and elements["district"][:2] == gold["district"][:2]
        if "prov" not in gold:
            absent += 1
            invented += "province" in elements
    assert right / total > 0.9
    assert invented / absent < 0.02


def test_xiamen_villages_resolve_to_their_codes() -> None:
    shared_data("admin_divisions", "villages_3502_3303_3304.csv")
    parsed = parse(normalize("厦门市思明区嘉莲街道莲花五村").text, national_admin())
    assert parsed.admin["community"].code.startswith("350203")


def test_real_addresses_over_http_get_an_answer_or_a_reason_never_a_server_error(geocoder_client) -> None:
    """Every NCAP address (train and dev) and every Xiamen POI name and address, as typed by real people,
    through GET /geocode: a 200 each, with candidates or a reason (a 400 only for the over-long ones)."""
    texts = [json.loads(line)["text"] for name in ("ncap_train.jsonl", "ncap_dev.jsonl")
             for line in shared_data("addresses", name).read_text(encoding="utf-8").splitlines() if line]
    with shared_data("xiamen_poi", "xiamen_poi_dev.csv").open(encoding="utf-8") as handle:
        texts += [row[key] for row in csv.DictReader(handle) for key in ("name", "address") if row.get(key)]
    assert len(texts) > 12_000
    failures = []
    for text in texts:
        response = geocoder_client.get("/geocode", params={"q": text})
        body = response.json()
        answered = response.status_code == 200 and (body["candidates"] or body.get("reason"))
        refused = response.status_code == 400 and len(text) > 200
        if not (answered or refused):
            failures.append((text, response.status_code, str(body)[:120]))
    assert not failures, failures[:5]
