"""Coordinate columns of survey tables: column names with units, and degrees-minutes-seconds text."""

import math
from datetime import datetime

import pandas as pd
import pytest

from layers.survey_coordinates import (
    column_key,
    coordinate_numbers,
    coordinate_pairs,
    dms_column_degrees,
    dms_columns,
    dms_degrees,
    named_crs,
    pair_column,
    pair_numbers,
)

SECONDS = 118 + 5 / 60 + 30.5 / 3600


@pytest.mark.parametrize(("text", "degrees"), [
    ("118°05'30.5\"", SECONDS),
    ("118°05′30.5″", SECONDS),  # prime and double prime, as NFKC leaves them
    ("118° 05' 30.5\" E", SECONDS),
    ("东经118度05分30.5秒", SECONDS),
    ("118:05:30.5", SECONDS),
    ("24:29:12.3N", 24 + 29 / 60 + 12.3 / 3600),
    ("118°05.5'", 118 + 5.5 / 60),
    ("E118.0918°", 118.0918),
    ("E118.0918", 118.0918),
    ("S 33°52'", -(33 + 52 / 60)),
    ("西经 70°", -70.0),
])
def test_degrees_minutes_seconds(text: str, degrees: float) -> None:
    assert dms_degrees(text) == pytest.approx(degrees, abs=1e-12)


@pytest.mark.parametrize("text", ["118°60'", "118°05'60\"", "N24°29'E", "abc", "118.5", "", "118°05'30.5\"X"])
def test_not_degrees_minutes_seconds(text: str) -> None:
    assert math.isnan(dms_degrees(text))


def test_numbers_count_the_cells_read_as_degrees_minutes_seconds() -> None:
    values = pd.Series(["118.25", 118.5, "１１８.７５", "118°30'", None, "", "abc", True], dtype=object)
    numbers, converted = coordinate_numbers(values)
    assert numbers[:4].tolist() == [118.25, 118.5, 118.75, 118.5]
    assert all(math.isnan(v) for v in numbers[4:])
    assert converted == 1


def test_numbers_of_cells_pandas_reads_and_cells_it_leaves_to_the_cleaner() -> None:
    """Plain numeric text is read by pandas first; what it leaves (marks, hemispheres) goes to the cleaner,
    and a cell neither reads is NaN, as when every cell was cleaned one by one."""
    values = pd.Series([" 114.05 ", "+114.05", "inf", "1e3", "114.05\u3000", "114.05E", "N22.5", "nan",
                        "114,05", "1_000", datetime(2023, 1, 1), 2**60, False], dtype=object)
    numbers, converted = coordinate_numbers(values)
    assert numbers[:7].tolist() == [114.05, 114.05, math.inf, 1000.0, 114.05, 114.05, 22.5]
    assert all(math.isnan(v) for v in numbers[7:11])  # nan text, a decimal comma, 1_000, a date
    assert numbers[11] == 2.0**60 and math.isnan(numbers[12])  # a whole number; false is not a number
    assert converted == 2  # 114.05E and N22.5 read by the degrees reader


def test_numbers_with_their_thousands_grouped_are_read_and_other_commas_are_not() -> None:
    values = pd.Series(["38,500,123.400", "2,495,000", "-1,000.5", "３８,５００,１２３.４",
                        "114,0512", "2,49,500", "1,000,", ",100"], dtype=object)
    numbers, _ = coordinate_numbers(values)
    assert numbers[:4].tolist() == [38500123.4, 2495000.0, -1000.5, 38500123.4]
    assert all(math.isnan(v) for v in numbers[4:])  # groups of three digits only


def test_ideographic_full_stops_between_digits_are_decimal_points() -> None:
    values = pd.Series(["114。02", "22｡53", "１１４。０２", "118°05′30。5″", "114。", "。5", "114。0。2"],
                       dtype=object)
    numbers, converted = coordinate_numbers(values)
    assert numbers[:4].tolist() == pytest.approx([114.02, 22.53, 114.02, SECONDS])
    assert all(math.isnan(v) for v in numbers[4:])  # a sentence's full stop, not a decimal point
    assert converted == 1
    x, y, _, _ = pair_numbers(pd.Series(["114。05,22。54"], dtype=object), None)
    assert (x.tolist(), y.tolist()) == ([114.05], [22.54])


def test_column_keys_drop_a_bracketed_unit() -> None:
    assert [column_key(n) for n in ["经度(°)", "X坐标（m）", " POINT_X ", "纬度 [deg]", "经度（度）"]] == [
        "经度", "x坐标", "point_x", "纬度", "经度"]


def test_pairs_in_the_order_of_the_crs_kind() -> None:
    header = ["编号", "经度（°）", "纬度（°）", "E", "N"]
    assert coordinate_pairs(header, plane_first=False) == [("经度（°）", "纬度（°）"), ("E", "N")]
    assert coordinate_pairs(header, plane_first=True) == [("E", "N"), ("经度（°）", "纬度（°）")]
    assert coordinate_pairs(["东坐标(m)", "北坐标(m)"], plane_first=True) == [("东坐标(m)", "北坐标(m)")]
    assert coordinate_pairs(["名称", "地址"], plane_first=False) == []


@pytest.mark.parametrize(("header", "expected"), [
    (["东经", "北纬"], [("东经", "北纬")]),
    (["X_COORD", "Y_COORD"], [("X_COORD", "Y_COORD")]),
    (["名称", "中心点经度", "中心点纬度"], [("中心点经度", "中心点纬度")]),
    (["经度坐标", "纬度坐标"], [("经度坐标", "纬度坐标")]),
    (["实测经度(°)", "实测纬度(°)"], [("实测经度(°)", "实测纬度(°)")]),
    (["gps_lon", "gps_lat"], [("gps_lon", "gps_lat")]),
    (["经度", "纬度", "原经度", "原纬度"], [("经度", "纬度"), ("原经度", "原纬度")]),  # the plain pair first
    (["起点经度", "起点纬度", "终点经度", "终点纬度"], []),  # a line's two ends: no point
    (["中心点经度", "质心纬度"], []),
], ids=["east-north", "coord", "worded", "suffix", "unit", "english", "plain-first", "two-ends", "unmatched"])
def test_degree_columns_named_with_more_words(header: list[str], expected: list[tuple[str, str]]) -> None:
    assert coordinate_pairs(header, plane_first=False) == expected


@pytest.mark.parametrize(("header", "expected"), [
    (["序号", "经度(度)", "经度(分)", "经度(秒)", "纬度（度）", "纬度（分）", "纬度（秒）"],
     (("经度(度)", "经度(分)", "经度(秒)"), ("纬度（度）", "纬度（分）", "纬度（秒）"))),
    (["经度度", "经度分", "纬度度", "纬度分"], (("经度度", "经度分", None), ("纬度度", "纬度分", None))),
    (["LON_DEG", "lon_min", "lon_sec", "lat_deg", "lat_min", "lat_sec"],
     (("LON_DEG", "lon_min", "lon_sec"), ("lat_deg", "lat_min", "lat_sec"))),
    (["经度°", "经度′", "经度″", "纬度°", "纬度′", "纬度″"],
     (("经度°", "经度′", "经度″"), ("纬度°", "纬度′", "纬度″"))),
    (["经度(°)", "纬度(°)"], None),  # decimal degrees with their unit
    (["经度(度)", "经度(分)", "经度(秒)", "纬度(度)", "纬度(分)"], None),  # seconds of one axis only
    (["lons", "lats", "lon", "lat"], None),
], ids=["brackets", "no-seconds", "english", "marks", "unit", "one-sided", "plural"])  # fmt: skip
def test_degree_minute_and_second_columns(header: list[str], expected: object) -> None:
    assert dms_columns(header) == expected


def test_degrees_from_degree_minute_and_second_columns() -> None:
    table = pd.DataFrame({"度": [114, "１１４", 114, -3, None, 114], "分": [3, "3", None, 30, None, 60],
                          "秒": [4.3, "", None, 0, None, 0]}, dtype=object)
    degrees = dms_column_degrees(table, ("度", "分", "秒"))
    assert degrees[:4].tolist() == pytest.approx([114 + 3 / 60 + 4.3 / 3600, 114.05, 114, -3.5])
    assert math.isnan(degrees[4]) and math.isnan(degrees[5])  # nothing written; 60 minutes


@pytest.mark.parametrize(("header", "pair", "crs"), [
    (["高德经度", "高德纬度"], ("高德经度", "高德纬度"), "gcj02"),
    (["经度（百度）", "纬度（百度）"], ("经度（百度）", "纬度（百度）"), "bd09"),
    (["lng_gcj02", "lat_gcj02"], ("lng_gcj02", "lat_gcj02"), "gcj02"),
    (["WGS84经度", "WGS84纬度"], ("WGS84经度", "WGS84纬度"), "wgs84"),
    (["CGCS2000_X", "CGCS2000_Y"], ("CGCS2000_X", "CGCS2000_Y"), "cgcs2000"),
    (["百度经度", "百度纬度", "经度", "纬度"], ("经度", "纬度"), None),  # the plain pair first
    (["高德经度", "百度纬度"], ("高德经度", "百度纬度"), None),  # they disagree
    (["经度(°)", "纬度(°)"], ("经度(°)", "纬度(°)"), None),
], ids=["gaode", "baidu-brackets", "suffix", "wgs84", "cgcs2000-plane", "plain-first", "disagree", "unit"])
def test_coordinate_columns_named_for_their_system(header: list[str], pair: tuple[str, str],
                                                   crs: str | None) -> None:
    found = coordinate_pairs(header, plane_first=False)[0]
    assert found == pair
    assert named_crs(found) == crs


def test_a_pair_column_named_for_its_system() -> None:
    assert pair_column(["编号", "高德坐标"]) == ("高德坐标", None)
    assert named_crs(["高德坐标"]) == "gcj02" and named_crs(["GPS坐标"]) == "wgs84"


@pytest.mark.parametrize(("header", "expected"), [
    (["名称", "中心点X", "中心点Y"], [("中心点X", "中心点Y")]),
    (["中心X坐标(m)", "中心Y坐标(m)"], [("中心X坐标(m)", "中心Y坐标(m)")]),
    (["centroid_x", "centroid_y"], [("centroid_x", "centroid_y")]),
    (["东向坐标", "北向坐标"], [("东向坐标", "北向坐标")]),
    (["实测东坐标", "实测北坐标"], [("实测东坐标", "实测北坐标")]),
    (["X", "Y", "原X", "原Y"], [("X", "Y"), ("原X", "原Y")]),  # the plain pair first
    (["起点X", "起点Y", "终点X", "终点Y"], []),  # a line's two ends: no point
    (["index", "编号"], []),
], ids=["worded", "suffix-unit", "english", "direction", "east-north", "plain-first", "two-ends",
        "a-word-in-x"])
def test_plane_columns_named_with_more_words(header: list[str], expected: list[tuple[str, str]]) -> None:
    assert coordinate_pairs(header, plane_first=True) == expected


def test_worded_pairs_follow_the_crs_kind_too() -> None:
    degrees, plane = ("中心点经度", "中心点纬度"), ("中心点X", "中心点Y")
    assert coordinate_pairs([*degrees, *plane], plane_first=False) == [degrees, plane]
    assert coordinate_pairs([*degrees, *plane], plane_first=True) == [plane, degrees]
