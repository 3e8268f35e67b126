"""Accept and Accept-Language as RFC 9110 §12 reads them: q=0 refuses, a higher q wins, and the Chinese
tags browsers send (zh, zh-TW, zh-Hans) are served in the configured Chinese."""

import pytest

from gis.ogc.negotiation import accepted_languages, accepted_media_types

ITEMS = "/collections/components/items?limit=2"
PATHS = ["/", "/collections", ITEMS]
JSON_TYPES = ("application/json", "application/geo+json")
ACCEPTS = ["text/html;q=0, application/geo+json", "application/json;q=0", "text/html;q=0",
           "application/geo+json;q=0.9, text/html;q=0.1", "application/json;q=0.9, text/html;q=0.1",
           "application/geo+json, text/html", "text/html;q=0.2, application/ld+json;q=0.1, application/json"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("accept", ACCEPTS)
def test_the_preferred_acceptable_type_is_json(ogc_client, path, accept):
    response = ogc_client.get(path, headers={"Accept": accept})
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] in JSON_TYPES
    assert isinstance(response.json(), dict)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("accept", ["application/json;q=0.5, text/html", "text/html, application/geo+json",
                                    "application/geo+json;q=0, text/html;q=0.3"])
def test_the_preferred_acceptable_type_is_html(ogc_client, path, accept):
    response = ogc_client.get(path, headers={"Accept": accept})
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")


CHINESE = [({"lang": "zh"}, {}), ({"lang": "zh-Hans"}, {}), ({"lang": "zh-TW"}, {}),
           ({}, {"Accept-Language": "zh"}), ({}, {"Accept-Language": "zh-TW"}),
           ({}, {"Accept-Language": "zh-Hans-CN"}),
           ({}, {"Accept-Language": "en;q=0"}), ({}, {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}),
           ({}, {"Accept-Language": "fr, zh-HK;q=0.5"}), ({"lang": "zh"}, {"Accept-Language": "en"})]


@pytest.mark.parametrize("path", [*PATHS, "/processes"])
@pytest.mark.parametrize("params, headers", CHINESE, ids=[str(p or h) for p, h in CHINESE])
def test_chinese_tags_are_served_in_chinese(ogc_client, path, params, headers):
    response = ogc_client.get(path, params=params, headers={"Accept": "application/json", **headers})
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-language"].startswith("zh")


OTHERS = [({"lang": "fr"}, {}), ({}, {"Accept-Language": "de, *;q=0.1"}), ({}, {"Accept-Language": "zh;q=0"}),
          ({"lang": "en"}, {}), ({"lang": "en"}, {"Accept-Language": "zh"})]


@pytest.mark.parametrize("params, headers", OTHERS, ids=[str(p or h) for p, h in OTHERS])
def test_other_languages_get_the_default(ogc_client, params, headers):
    response = ogc_client.get(ITEMS, params=params, headers=headers)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-language"] == "en-US"


def test_the_links_of_a_chinese_page_name_the_served_language(ogc_client):
    page = ogc_client.get(ITEMS, params={"lang": "zh", "bbox": "113,22,115,23"}).json()
    self_link = next(link["href"] for link in page["links"] if link["rel"] == "self")
    assert "lang=zh-CN" in self_link and "bbox=113,22,115,23" in self_link


@pytest.mark.parametrize("header, expected", [
    ("application/geo+json", "application/geo+json"), ("*/*", "*/*"), ("text/html;q=0", ""),
    ("text/html;q=0.1, application/geo+json;q=0.9", "application/geo+json;q=0.9, application/json;q=0.9, "
                                                     "text/html;q=0.1"),
    ("application/json, application/geo+json", "application/json, application/geo+json"),
    ("text/html; level=1; q=0.5, x/y;q=abc, a/b;q=2", "text/html;q=0.5")])
def test_accept_is_ordered_by_q_for_pygeoapi(header, expected):
    assert accepted_media_types(header) == expected


@pytest.mark.parametrize("header, expected", [
    ("zh-Hant-TW", "zh-CN"), ("en-GB, zh;q=0.5", "en-US, zh-CN"), ("zh;q=0.5, en-GB", "en-US, zh-CN"),
    ("en;q=0", "zh-CN"), ("fr", "en-US"), ("zh;q=0, en;q=0", "en-US"), ("zh_cn", "zh-CN")])
def test_languages_map_onto_the_configured_ones(header, expected):
    assert accepted_languages(header, ["en-US", "zh-CN"]) == expected
