"""Excel's error values (#N/A, #VALUE!, #REF!) in a survey: read as Excel shows them, rows rejected naming
the field, never read as empty."""

import re
import zipfile
from pathlib import Path

import openpyxl
import psycopg
import pytest

from layers.spreadsheet_errors import error_cells, error_value_reason, unsaved_formula_cells
from layers.survey_workbooks import sheet_rows
from tests.layers.opendocument_sheets import write_ods
from tests.layers.test_survey_import import DEPT, _count, _points_in_city, _run
from tests.layers.test_survey_read import _table_file

FAILED = "Excel's mark of a formula that failed"
LOOKUP = f"{FAILED}: a lookup found nothing; correct the formula or clear the cell"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".xls", ".ods"])
def test_rows_holding_error_values_are_rejected_naming_the_field(fresh_db_url, tmp_path, suffix):
    """A CSV saved from Excel holds the error's text; a workbook (Office Open XML, or Excel 97-2003 as WPS
    saves it) holds an error cell, which calamine alone would read as empty (the #N/A identifier would then
    be allocated anew, the #N/A department count as missing)."""
    with psycopg.connect(fresh_db_url) as conn:
        p = _points_in_city(conn, 4, seed=23)
    rows: list[list[object]] = [
        ["部件名称", "主管部门名称", "部件标识码", "材质", "经度", "纬度"],
        ["井盖1", DEPT, None, "铸铁", p[0].x, p[0].y],
        ["井盖2", "#N/A", None, "#VALUE!", p[1].x, p[1].y],
        ["井盖3", DEPT, "#N/A", "铸铁", p[2].x, p[2].y],
        ["井盖4", DEPT, None, "铸铁", "#REF!", p[3].y]]
    survey = _table_file(tmp_path / f"survey{suffix}", rows)
    refused = _run(fresh_db_url, [survey], class_code="01001")
    assert (refused.status, refused.rows_loaded) == ("rejected", 0)
    assert [(r.file, r.row, r.field, r.reason) for r in refused.rejections] == [
        (survey.name, 3, "competent_dept_name", f"competent_dept_name holds #N/A, {LOOKUP}"),
        (survey.name, 3, "材质", f"材质 holds #VALUE!, {FAILED}; correct the formula or clear the cell"),
        (survey.name, 4, "id", f"id holds #N/A, {LOOKUP}"),
        (survey.name, 5, "geometry", f"经度 holds #REF!, {FAILED}; correct the formula or clear the cell"),
    ]
    assert _count(fresh_db_url, "01001") == 0
    landed = _run(fresh_db_url, [survey], class_code="01001", skip_invalid=True)
    assert (landed.status, landed.rows_loaded, len(landed.rejections)) == ("committed", 1, 4)
    with psycopg.connect(fresh_db_url) as conn:
        stored = conn.execute("SELECT name, attributes FROM onemap.component "
                              "WHERE class_code = '01001'").fetchall()
    assert stored == [("井盖1", {"材质": "铸铁"})]


def _workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    cover = book.active
    assert cover is not None
    cover.title = "说明"
    cover["A1"] = "#DIV/0!"
    survey = book.create_sheet("调查表")
    survey["B3"], survey["C3"] = "部件名称", "材质"
    survey["B4"], survey["C4"] = "#N/A", "铸铁"
    survey["D6"] = "#NAME?"
    book.create_sheet("空表")["A1"] = "无误"
    book.save(path)
    return path


def test_error_cells_are_found_in_the_sheet_the_name_points_to(tmp_path):
    book = _workbook(tmp_path / "book.xlsx")
    data = book.read_bytes()
    assert error_cells(data, "调查表") == {(4, 1): "#N/A", (6, 3): "#NAME?"}
    assert error_cells(data, "说明") == {(1, 0): "#DIV/0!"}
    assert error_cells(data, "空表") == {}
    assert error_cells(b"not a zip", "调查表") == {}
    old = _table_file(tmp_path / "book.xls", [["名称", "材质"], ["#N/A", "铸铁"], [None, None, "#DIV/0!"]])
    assert error_cells(old.read_bytes(), "Sheet1") == {(2, 0): "#N/A", (3, 2): "#DIV/0!"}
    assert error_cells(old.read_bytes(), "无此表") == {}
    read = sheet_rows(book, "调查表").rows
    assert read[3] == (4, [None, "#N/A", "铸铁", None])
    assert read[5] == (6, [None, None, None, "#NAME?"])


def test_cells_written_without_their_reference_are_placed_by_their_order(tmp_path):
    """A cell's r="B4" is optional in the format; a writer that leaves it out places cells one after
    another in their row (and rows one after another)."""
    book = _workbook(tmp_path / "book.xlsx")
    bare = tmp_path / "bare.xlsx"
    with zipfile.ZipFile(book) as source, zipfile.ZipFile(bare, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet2.xml":
                assert b'r="B4"' in content
                content = re.sub(rb'(<c) r="[A-Z]+[0-9]+"', rb"\1", content)
            target.writestr(item, content)
    # B3:C3 and B4:C4 lose their columns: each row's cells start at A
    assert error_cells(bare.read_bytes(), "调查表") == {(4, 0): "#N/A", (6, 0): "#NAME?"}


def test_formula_cells_without_a_saved_value_are_told_from_an_empty_text_result(tmp_path):
    """openpyxl writes a formula with an empty value, Apache POI without one, a shared formula's other cells
    as <f t="shared" si="0"/>; Excel and WPS save a formula whose result is the empty text typed t="str"
    with an empty value, which is a saved value."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "调查表"
    sheet.append(["经度", "纬度"])
    sheet.append(["=114.05*1", 22.54])
    book.save(tmp_path / "written.xlsx")
    data = (tmp_path / "written.xlsx").read_bytes()
    assert unsaved_formula_cells(data, "调查表") == {(2, 0)}
    cells = (b'<row r="2"><c r="A2"><f>C2*1</f></c><c r="B2" t="str"><f>IF(1,"","")</f><v></v></c></row>'
             b'<row r="3"><c r="A3"><f t="shared" ref="A3:A4" si="0">C3*1</f><v>114.05</v></c>'
             b'<c r="B3"><f>D3</f><v/></c></row><row r="4"><c r="A4"><f t="shared" si="0"/></c>'
             b'<c r="B4"><f>D4</f><v>22.54</v></c><c><f>E4</f></c></row>')
    saved = tmp_path / "saved.xlsx"
    with zipfile.ZipFile(tmp_path / "written.xlsx") as source, zipfile.ZipFile(saved, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(rb'<row r="2">.*</row>', cells, content)
            target.writestr(item, content)
    # B2 holds the empty text; the cell after B4 has no reference (r), so is not told
    assert unsaved_formula_cells(saved.read_bytes(), "调查表") == {(2, 0), (3, 1), (4, 0)}
    assert unsaved_formula_cells(saved.read_bytes(), "无此表") == set()
    assert unsaved_formula_cells(b"not a zip", "调查表") == set()


def test_error_cells_of_an_opendocument_sheet_count_repeated_cells_and_rows(tmp_path):
    """LibreOffice writes a run of identical cells or rows once with its count, and its own codes (Err:502)
    for errors Excel has no value for; calamine reads an error cell as empty."""
    rows: list[list[object]] = [
        [],  # an empty first row
        ["名称", "材质", "主管部门名称", "备注"],
        [None, None, "#N/A", "Err:502"],  # two empty cells written as one
        [None, None, "#N/A", "Err:502"],  # the same row again: written once, twice repeated
        ["井盖", "铸铁", "铸铁", "#REF!"],
    ]
    book = write_ods(tmp_path / "book.ods", {"说明": [["#DIV/0!"]], "调查表": rows})
    content = zipfile.ZipFile(book).read("content.xml")
    assert b'number-rows-repeated="2"' in content and b'number-columns-repeated="2"' in content
    assert error_cells(book.read_bytes(), "调查表") == {
        (3, 2): "#N/A", (3, 3): "Err:502", (4, 2): "#N/A", (4, 3): "Err:502", (5, 3): "#REF!"}
    assert error_cells(book.read_bytes(), "说明") == {(1, 0): "#DIV/0!"}
    assert error_cells(write_ods(tmp_path / "none.ods", {"调查表": rows[:2]}).read_bytes(), "调查表") == {}
    read = sheet_rows(book, "调查表").rows
    assert read[2] == (3, [None, None, "#N/A", "Err:502"])
    assert read[4] == (5, ["井盖", "铸铁", "铸铁", "#REF!"])
    assert error_value_reason("备注", "Err:502") == (
        "备注 holds Err:502, LibreOffice's mark of a formula that failed; correct the formula or clear the "
        "cell")
