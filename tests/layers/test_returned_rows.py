"""The refused rows of an import, returned as a GeoPackage to correct and import again (the rows of a survey
with every reason to refuse one: tests/layers/test_survey_import.py)."""

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import openpyxl
import psycopg

from layers.returned_rows import REASONS, RETURN_COLUMNS, SOURCE_ROW, write_refused
from tests.layers.test_survey_import import DEPT, _points_in_city, _returned, _run, _write

ONEMAP = str(Path(sys.executable).with_name("onemap"))


def test_a_row_refused_for_several_reasons_lists_them_all(db_url, tmp_path):
    with psycopg.connect(db_url) as conn:
        (point,) = _points_in_city(conn, 1, seed=41)
    written = {"XLDM": "01005", "GLBJZT": "很好", "CSRQ": "20991301"}
    survey = _write(tmp_path / "s.geojson", [written], [point])
    result = _run(db_url, [survey])
    assert result.refused is not None
    write_refused(tmp_path / "r.gpkg", result.refused, result.rejections)
    (row,) = _returned(tmp_path / "r.gpkg").values()
    assert row[REASONS] == "; ".join(f"{r.field}: {r.reason}" for r in result.rejections)
    assert {r.field for r in result.rejections} == {"competent_dept_name", "state", "initial_date"}


def test_corrected_returned_rows_load_without_the_columns_onemap_added(fresh_db_url, tmp_path):
    with psycopg.connect(fresh_db_url) as conn:
        points = _points_in_city(conn, 3, seed=43)
    records = [{"ZGBMMC": DEPT, "材质": "铸铁"},
               {"ZGBMMC": DEPT, "材质": "复合", "CSRQ": "2023-02-30"},
               {"ZGBMMC": None, "材质": "钢", "GLBJZT": "好"}]
    survey = _write(tmp_path / "s.gpkg", records, points)
    first = _run(fresh_db_url, [survey], class_code="01001", skip_invalid=True)
    assert (first.status, first.rows_loaded) == ("committed", 1)
    assert first.refused is not None
    write_refused(tmp_path / "returned.gpkg", first.refused, first.rejections)
    corrected = gpd.read_file(tmp_path / "returned.gpkg")
    corrected.loc[corrected[SOURCE_ROW] == 2, "CSRQ"] = "2023-02-28"
    corrected.loc[corrected[SOURCE_ROW] == 3, ["ZGBMMC", "GLBJZT"]] = [DEPT, "完好"]
    corrected.to_file(tmp_path / "corrected.gpkg", engine="pyogrio")
    second = _run(fresh_db_url, [tmp_path / "corrected.gpkg"], class_code="01001")
    assert (second.status, second.rows_loaded, second.rejections) == ("committed", 2, [])
    assert ("corrected.gpkg: columns 原文件, 原行号, 退回原因 (of the rows an import refused) are "
            "not imported" in second.notes)
    with psycopg.connect(fresh_db_url) as conn:
        stored = conn.execute("SELECT attributes, initial_date::text, state FROM onemap.component WHERE "
                              "batch_id = %s ORDER BY attributes->>'材质'", (second.batch_id,)).fetchall()
    assert stored == [({"材质": "复合"}, "2023-02-28", "完好"), ({"材质": "钢"}, None, "完好")]
    assert not any(column in attributes for attributes, *_ in stored for column in RETURN_COLUMNS)


def test_cli_returns_refused_rows_beside_the_report_and_removes_a_stale_file(db_url, tmp_path):
    with psycopg.connect(db_url) as conn:
        points = _points_in_city(conn, 2, seed=47)
    bad = _write(tmp_path / "bad.geojson", [{"ZGBMMC": DEPT}, {"ZGBMMC": None}], points)
    good = _write(tmp_path / "good.geojson", [{"ZGBMMC": DEPT}], points[:1])
    report = tmp_path / "report.json"

    def run(survey: Path) -> subprocess.CompletedProcess:
        return subprocess.run([ONEMAP, "import", "components", str(survey), "--class", "01014", "--dry-run",
                               "--report", str(report)], env={**os.environ, "ONEMAP_DATABASE_URL": db_url},
                              capture_output=True, text=True, timeout=300)

    done = run(bad)
    assert done.returncode == 3, done.stderr
    returned = tmp_path / "report.rejected.gpkg"
    assert f"the 1 refused row(s), with their reasons, to correct and import again: {returned}" in done.stderr
    assert json.loads(report.read_text(encoding="utf-8"))["refused_rows_file"] == str(returned)
    assert list(_returned(returned)) == [("bad.geojson", 2)]
    done = run(good)
    assert done.returncode == 0, done.stderr
    assert not returned.exists()
    assert json.loads(report.read_text(encoding="utf-8"))["refused_rows_file"] is None


def test_columns_named_like_the_geopackage_own_are_returned_under_their_names(db_url, tmp_path):
    with psycopg.connect(db_url) as conn:
        (point,) = _points_in_city(conn, 1, seed=53)
    written = {"XLDM": "01005", "FID": "7", "geom": "井盖", "Geometry": "圆形"}  # ArcGIS tables carry FID
    result = _run(db_url, [_write(tmp_path / "s.geojson", [written], [point])])
    assert result.refused is not None
    write_refused(tmp_path / "r.gpkg", result.refused, result.rejections)
    (row,) = _returned(tmp_path / "r.gpkg").values()
    assert (row["FID"], row["geom"], row["Geometry_2"]) == ("7", "井盖", "圆形")
    assert row["geometry"].equals(point)


def test_a_file_of_refused_rows_found_in_a_folder_is_not_read_again(db_url, tmp_path):
    with psycopg.connect(db_url) as conn:
        points = _points_in_city(conn, 2, seed=59)
    delivery = tmp_path / "delivery"
    delivery.mkdir()
    survey = _write(delivery / "s.geojson", [{"ZGBMMC": DEPT}, {"ZGBMMC": None}], points)
    first = _run(db_url, [survey], class_code="01014", dry_run=True)
    assert first.refused is not None and len(first.refused) == 1
    # the default report lands in the working folder, which may be the delivery's
    write_refused(delivery / "onemap-import-1.rejected.gpkg", first.refused, first.rejections)
    again = _run(db_url, [delivery], class_code="01014", dry_run=True)
    assert again.rows_read == 2
    assert ("delivery/onemap-import-1.rejected.gpkg: not read: the rows an import refused, written for "
            "correction; import it by name once corrected") in again.notes


def test_workbook_cells_are_returned_as_typed(db_url, tmp_path):
    with psycopg.connect(db_url) as conn:
        (point,) = _points_in_city(conn, 1, seed=61)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["小类代码", "经度", "纬度", "初始日期", "变更日期", "状态", "编号", "长度"])
    sheet.append(["01005", point.x, point.y, datetime(2023, 6, 1), datetime(2023, 7, 1, 8, 30), "好", 12,
                  2.5])
    book.save(tmp_path / "form.xlsx")
    result = _run(db_url, [tmp_path / "form.xlsx"])
    assert result.refused is not None
    write_refused(tmp_path / "r.gpkg", result.refused, result.rejections)
    (row,) = _returned(tmp_path / "r.gpkg").values()
    # a date cell as its day, a time kept where the cell has one, a whole number without '.0'
    assert [row[name] for name in ("CSRQ", "BGRQ", "编号", "长度")] == ["2023-06-01", "2023-07-01 08:30:00",
                                                                       "12", "2.5"]
