"""`onemap import addresses`: door plates as address registers write them."""

from pathlib import Path

import psycopg

from geocoder.imports import GazetteerImport, import_file
from layers.survey_import import ImportResult
from tests.layers.test_survey_read import _table_file


def _imported(db_url: str, register: Path) -> ImportResult:
    """`register` imported as the door plates of the source 'register', its valid rows loaded."""
    with psycopg.connect(db_url) as conn:
        return import_file(conn, register, GazetteerImport("addresses", "register", skip_invalid=True))


def test_door_numbers_keep_their_sub_numbers_apart(fresh_db_url: str, tmp_path: Path) -> None:
    """12-3 and 15号之2 are door plates 12 and 15 with sub-numbers (附号), not plates 123 and 152."""
    register = _table_file(tmp_path / "plates.csv", [
        ["编号", "路名", "门牌号", "附号", "lng", "lat"],
        ["p1", "侨香路", "12-3", None, 114.03, 22.54],
        ["p2", "侨香路", "15号之2", None, 114.031, 22.54],
        ["p3", "侨香路", "十二号", 4, 114.032, 22.54],
        ["p4", "侨香路", "甲", None, 114.033, 22.54]])
    result = _imported(fresh_db_url, register)
    with psycopg.connect(fresh_db_url) as conn:
        stored = conn.execute(
            "SELECT source_id, number, sub_number, address FROM onemap.door_plate "
            "WHERE source = 'register' ORDER BY source_id"
        ).fetchall()
    assert stored == [
        ("p1", 12, "3", "侨香路12-3号"),
        ("p2", 15, "2", "侨香路15-2号"),
        ("p3", 12, "4", "侨香路12-4号"),
    ]
    assert [(r.row, r.field, r.reason) for r in result.rejections] == [(5, "number", "'甲' is not a number")]


def test_a_plate_whose_coordinates_do_not_read_is_rejected_at_its_line_naming_the_cells(
    fresh_db_url: str, tmp_path: Path
) -> None:
    register = _table_file(tmp_path / "plates.csv", [
        ["编号", "路名", "门牌号", "lng", "lat"],
        ["p1", "侨香路", 12, 114.03, 22.54],
        ["p2", "侨香路", 14, "114.O31", 22.54],
        ["p3", "侨香路", 16, None, None]])
    result = _imported(fresh_db_url, register)
    found = [(r.row, r.field, r.reason) for r in result.rejections]
    assert [(row, field) for row, field, _ in found] == [(3, "geometry"), (4, "geometry")]
    assert "'114.O31'" in found[0][2]
    assert found[1][2] == "needs a Point"


def test_a_plate_holding_an_excel_error_value_is_rejected_naming_the_column(
    fresh_db_url: str, tmp_path: Path
) -> None:
    """A workbook's #N/A cell (a lookup that found nothing) is not read as an empty cell."""
    register = _table_file(tmp_path / "plates.xlsx", [
        ["编号", "路名", "门牌号", "lng", "lat"],
        ["p1", "侨香路", 12, 114.03, 22.54],
        ["p2", "#N/A", 14, 114.031, 22.54]])
    result = _imported(fresh_db_url, register)
    assert [(r.row, r.field, r.reason) for r in result.rejections] == [
        (3, "路名", "路名 holds #N/A, Excel's mark of a formula that failed: a lookup found nothing; correct "
                   "the formula or clear the cell")]
    assert result.rows_loaded == 1
