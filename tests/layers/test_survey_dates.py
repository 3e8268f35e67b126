"""The date cells of a survey as spreadsheets and contractors write them."""

from datetime import date, datetime
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import shapely

from grid_codes.classes import default_table
from layers.survey_dates import parse_dates
from layers.survey_gather import read_rows
from layers.survey_import import ImportOptions
from layers.survey_validate import Validated, ValidationContext, validate


def test_day_numbers_in_any_digits_and_no_date_placeholders_are_told_apart():
    written = ["45078", " 45079 ", "４５０７８", "45078.75", "无", "／", None, "2023年5月6日", "2023-06",
               "12345678"]
    dates = parse_dates(pd.Series(written, dtype=object))
    assert dates.iso_text.tolist() == ["2023-06-01", "2023-06-02", "2023-06-01", "2023-06-01",
                                       None, None, None, "2023-05-06", "2023-06-01", None]
    assert dates.day_number.tolist() == [True] * 4 + [False] * 6
    assert dates.no_date.tolist() == [False] * 4 + [True, True] + [False] * 4


def test_a_time_of_day_after_the_date_and_a_date_kept_as_a_number_are_read_as_the_day():
    written = ["2023/6/1 0:00:00", "2023/6/1 0:00", "2023-06-01 00:00:00", "2023-06-01T08:31:12",
               "2023-06-01 8:31", "2023年6月1日 14:05:00", "20230601.0", "20230601",
               "2023-06-01 25", "2023.6", "202306.0"]
    dates = parse_dates(pd.Series(written, dtype=object))
    assert dates.iso_text.tolist() == ["2023-06-01"] * 8 + [None, None, None]


@pytest.mark.parametrize("written", [
    "2023-06-01 00:00:00+00:00",  # a File Geodatabase Date field, as pandas writes it
    "2023-06-01T00:00:00+08:00",  # a GeoPackage DateTime
    "2023-05-31T16:00:00Z",  # a web export in UTC: 00:00 in Beijing
    "2023-06-01T08:30:00.000+0800",
    "2023/05/31 16:00:00+00",  # GDAL writing a date-time into a text field
    "2023-06-01T00:00:00-05:00",  # 13:00 in Beijing
], ids=["filegdb", "geopackage", "utc-z", "offset-without-colon", "gdal-text", "west-of-utc"])
def test_a_date_with_a_utc_offset_is_its_day_in_beijing_time(written):
    assert parse_dates(pd.Series([written], dtype=object)).iso_text.tolist() == ["2023-06-01"]


def test_a_utc_offset_can_move_the_day_either_way():
    written = ["2023-05-31T15:59:59Z", "2023-06-01T23:30:00+09:00", "2023-06-01 23:59:00+08:00"]
    dates = parse_dates(pd.Series(written, dtype=object))
    assert dates.iso_text.tolist() == ["2023-05-31", "2023-06-01", "2023-06-01"]


def test_year_month_and_day_spaced_as_some_input_methods_type_them_are_read():
    written = ["2023 年 6 月 1 日", "2023年 6月 1日", "2023 年 6 月 1 日 14:05", "２０２３ 年 ６ 月 １ 日"]
    assert parse_dates(pd.Series(written, dtype=object)).iso_text.tolist() == ["2023-06-01"] * 4


def test_a_day_written_by_hand_with_hao_or_a_time_of_day_in_words_is_read():
    """Forms typed by hand write the day as 1号 and the time as 8时30分 or 下午3点; a clock past 23 or a
    word that is no time (上午 alone) leaves the date unread."""
    written = ["2023年6月1号", "2023年06月01日 08时30分", "2023年6月1日8:30", "2023年6月1号 下午3点",
               "2023年6月1日 8时30分20秒", "2023 年 6 月 1 号", "2023年6月1日 25时", "2023年6月1日上午",
               "2023年6月32号", "2023-06-01 8时"]
    dates = parse_dates(pd.Series(written, dtype=object))
    assert dates.iso_text.tolist() == ["2023-06-01"] * 6 + [None] * 4


def test_a_year_and_month_alone_is_read_as_the_first_day_of_the_month():
    """Build and survey dates are often known to the month. A dotted month needs two digits (2023.1 may
    be a number cell of 2023.10 that lost its zero); 13th months and YYYYMM stay unread."""
    written = ["2023年6月", "2023 年 6 月", "2023-06", "2023/6", "２０２３.０６",
               "2023.6", "2023-13", "202306"]
    dates = parse_dates(pd.Series(written, dtype=object))
    assert dates.iso_text.tolist() == ["2023-06-01"] * 5 + [None] * 3
    assert dates.month_only.tolist() == [True] * 5 + [False] * 3


def test_1899_12_30_the_empty_date_of_arcgis_and_excel_is_no_date():
    written = ["1899-12-30", "1899/12/30", "1899-12-30 00:00:00", "1899-12-30 00:00:00+00:00", "18991230",
               "1900/1/0 0:00", "1899-12-31", "2023-06-01"]
    dates = parse_dates(pd.Series(written, dtype=object))
    assert dates.iso_text.tolist() == [None] * 6 + ["1899-12-31", "2023-06-01"]
    assert dates.day_zero.tolist() == [True] * 6 + [False, False]
    assert dates.parsed.isna().tolist() == [True] * 6 + [False, False]


LON, LAT = 114.05, 22.54
CITY = shapely.box(LON - 0.01, LAT - 0.01, LON + 0.01, LAT + 0.01)
DEPT = "福田区城市管理和综合执法局"


def _validated(paths: list[Path]) -> Validated:
    """The survey files through the real reader and the validator (a test city, no database)."""
    rows, _ = read_rows(paths, ImportOptions(actor="tester"))
    ctx = ValidationContext(scheme="gb47678", table=default_table(), city=CITY,
                            county_codes=frozenset({"440304"}), zone_epsg=4547, today=date(2025, 1, 1))
    return validate(rows, ctx)


def _points(n: int, line: int = 0) -> list[shapely.Point]:
    """n points about 10 m apart, on the `line`-th row of them."""
    return [shapely.Point(LON + i * 1e-4, LAT + line * 1e-4) for i in range(n)]


def test_date_fields_of_a_file_geodatabase_and_a_geopackage_are_read_as_the_day_in_beijing_time(tmp_path):
    """GDAL reads a File Geodatabase Date field as a UTC date-time and a GeoPackage DateTime with its
    offset: pandas datetimes with a time zone, not text."""
    moments = ["2023-06-01 00:00:00", "2023-05-31 16:00:00", "2023-06-01 15:59:00", "1899-12-30 00:00:00"]
    utc = pd.to_datetime(moments).tz_localize("UTC")
    records = pd.DataFrame({"XLDM": "01013", "ZGBMMC": DEPT, "初始日期": utc,
                            "变更日期": utc.tz_convert("+08:00")})
    geodatabase, geopackage = tmp_path / "census.gdb", tmp_path / "census.gpkg"
    for line, (path, driver) in enumerate(((geodatabase, "OpenFileGDB"), (geopackage, "GPKG"))):
        gpd.GeoDataFrame(records, geometry=_points(4, line), crs=4490).to_file(path, driver=driver,
                                                                               layer="井盖", engine="pyogrio")
    checked = _validated([geodatabase, geopackage])
    assert checked.rejections == []
    read = ["2023-06-01", "2023-06-01", "2023-06-01", None] * 2
    assert checked.rows.fields["initial_date"].tolist() == read
    assert checked.rows.fields["change_date"].tolist() == read
    assert [n for n in checked.notes if "initial_date" in n] == [
        "2 row(s) with initial_date 1899-12-30, the empty date of ArcGIS and Excel, read as no date (first: "
        "census.gdb row 4: '1899-12-30 00:00:00+00:00')"]


def test_a_workbook_date_cell_of_day_0_is_no_date(tmp_path):
    """Excel's empty date is day 0: a date cell holding 0 shows 1900/1/0, and calamine hands it over as a
    time of day alone."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["XLDM", "ZGBMMC", "经度", "纬度", "初始日期"])
    for point, cell in zip(_points(3), [0, "1899/12/30", datetime(2023, 6, 1)], strict=True):
        sheet.append(["01013", DEPT, point.x, point.y, cell])
        sheet.cell(sheet.max_row, 5).number_format = "yyyy/m/d"
    book.save(tmp_path / "dates.xlsx")
    checked = _validated([tmp_path / "dates.xlsx"])
    assert checked.rejections == []
    assert checked.rows.fields["initial_date"].tolist() == [None, None, "2023-06-01"]
    assert [n for n in checked.notes if "initial_date" in n] == [
        "2 row(s) with initial_date 1899-12-30, the empty date of ArcGIS and Excel, read as no date (first: "
        "dates.xlsx row 2: '1899-12-30 00:00:00')"]


def test_a_date_known_to_the_month_is_loaded_as_its_first_day_with_a_note(tmp_path):
    point = _points(1)[0]
    text = f"XLDM,ZGBMMC,经度,纬度,初始日期\n01013,{DEPT},{point.x},{point.y},2023年6月\n"
    (tmp_path / "census.csv").write_text(text, encoding="utf-8")
    checked = _validated([tmp_path / "census.csv"])
    assert checked.rejections == [] and checked.rows.fields["initial_date"].tolist() == ["2023-06-01"]
    assert "1 initial_date value(s) giving only a year and month read as the month's first day (first: " \
           "census.csv row 2: 2023年6月 as 2023-06-01)" in checked.notes
