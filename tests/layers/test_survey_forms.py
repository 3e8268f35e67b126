"""Census forms as offices fill them in: the lines around the header, the rows under it that are not
survey rows, cells outside the table, hidden sheets and what a CSV file's writer adds."""

from pathlib import Path

import openpyxl
import pytest
import shapely

from gis.crs import parse_crs
from gis.errors import ImportValidationError
from layers.survey_read import read_survey


def _sheet(path: Path, rows: list[list[object]], merges: tuple[str, ...] = ()) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "普查"
    for row in rows:
        sheet.append(row)
    for cells in merges:
        sheet.merge_cells(cells)
    book.save(path)
    return path


def _csv(path: Path, rows: list[list[object]], delimiter: str = ",") -> Path:
    lines = [delimiter.join("" if v is None else str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _table(path: Path, rows: list[list[object]]) -> Path:
    return _csv(path, rows) if path.suffix == ".csv" else _sheet(path, rows)


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_the_line_saying_who_filled_the_form_in_is_not_taken_for_its_header(tmp_path: Path,
                                                                            suffix: str) -> None:
    rows: list[list[object]] = [
        ["福田区部件普查成果表"],
        ["填报单位：深圳市某测绘有限公司", None, None, "填报日期：2023年6月5日"],
        ["部件名称", "经度", "纬度", "备注"],
        ["井盖", 114.0512, 22.5431, "东侧"]]
    survey = read_survey(_table(tmp_path / f"form{suffix}", rows))
    assert list(survey.attributes.columns) == ["部件名称", "经度", "纬度", "备注"]
    assert survey.row_numbers.tolist() == [4]
    assert survey.geometries[0].equals(shapely.Point(114.0512, 22.5431))
    assert any(n.endswith("s 1–2 above the header skipped") for n in survey.notes)


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_the_units_under_the_header_and_the_lines_a_form_is_signed_with_are_not_survey_rows(
        tmp_path: Path, suffix: str) -> None:
    rows: list[list[object]] = [
        ["部件名称", "经度", "纬度", "初始日期"],
        [None, "(°)", "（°）", "(YYYYMMDD)"],
        ["井盖", 114.0512, 22.5431, 20230601],
        ["制表：张三", None, "校核：李四", None],
        ["技术负责人：王五", None, None, None],
        ["日期：2023年6月5日", None, None, None]]
    survey = read_survey(_table(tmp_path / f"form{suffix}", rows))
    assert survey.row_numbers.tolist() == [3]
    unit = "line" if suffix == ".csv" else "sheet row"
    assert any(n.endswith(f"{unit} 2: the units under the header not read") for n in survey.notes)
    assert f"3 subtotal, total or signature {unit}s of the form not read: {unit}s 4, 5, 6" in survey.notes


def test_a_subtotal_under_a_street_merged_down_over_its_rows_is_not_a_survey_row(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["所属街道", "部件名称", "经度", "纬度"],
        ["福田街道", "井盖", 114.0512, 22.5431],
        [None, "井盖", 114.0513, 22.5432],
        [None, "小计", None, None]]
    survey = read_survey(_sheet(tmp_path / "merged.xlsx", rows, merges=("A2:A4",)))
    assert survey.row_numbers.tolist() == [2, 3]
    assert "1 subtotal, total or signature sheet row of the form not read: sheet row 4" in survey.notes


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_a_value_typed_right_of_the_table_is_kept_under_a_column_of_its_own(tmp_path: Path,
                                                                            suffix: str) -> None:
    rows: list[list[object]] = [
        ["部件名称", "经度", "纬度"],
        ["井盖", 114.0512, 22.5431],
        ["井盖", 114.0513, 22.5432, None, "待核实"]]
    survey = read_survey(_table(tmp_path / f"wide{suffix}", rows))
    assert list(survey.attributes.columns) == ["部件名称", "经度", "纬度", "Unnamed: 3", "Unnamed: 4"]
    assert survey.attributes["Unnamed: 4"].tolist() == [None, "待核实"]
    where = "cell E3" if suffix == ".xlsx" else "line 3, field 5"
    assert f"2 column(s) without a heading hold values (first: {where}, '待核实'): read as Unnamed: 3, " \
        "Unnamed: 4" in survey.notes


def test_sections_headed_over_the_columns_leave_the_standard_names_under_them(tmp_path: Path) -> None:
    """部件信息 over 部件名称 and 小类代码, 权属信息 over 养护单位: the form's sections, not part of the
    names; 主管部门 over 代码 and 名称 still makes 主管部门代码."""
    rows: list[list[object]] = [
        ["部件信息", None, "权属信息", "主管部门", None, "位置信息", None],
        ["部件名称", "小类代码", "养护单位", "代码", "名称", "经度", "纬度"],
        ["井盖", "01003", "市政公司", "001", "城管局", 114.0512, 22.5431]]
    survey = read_survey(_sheet(tmp_path / "sections.xlsx", rows, merges=("A1:B1", "D1:E1", "F1:G1")))
    assert list(survey.attributes.columns) == [
        "部件名称", "小类代码", "养护单位", "主管部门代码", "主管部门名称", "经度", "纬度"]
    assert survey.geometries[0].equals(shapely.Point(114.0512, 22.5431))


def test_the_delimiter_is_the_one_that_splits_the_lines_alike(tmp_path: Path) -> None:
    """Tab-separated under a title line, with a comma inside the header's pair column."""
    path = tmp_path / "tabs.csv"
    path.write_text("福田区部件普查表\n部件名称\t坐标(纬度,经度)\t备注\n井盖\t22.5431,114.0512\t东侧\n",
                    encoding="utf-8")
    survey = read_survey(path)
    assert list(survey.attributes.columns) == ["部件名称", "坐标(纬度,经度)", "备注"]
    assert survey.geometries[0].equals(shapely.Point(114.0512, 22.5431))
    assert "CSV delimiter taken as '\\t'" in survey.notes


def test_cells_excel_kept_as_text_with_a_formula_are_read_as_their_text(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_text('部件编码,小类代码,经度,纬度\n="44030401003000011",="01003",114.0512,22.5431\n',
                    encoding="utf-8")
    survey = read_survey(path)
    assert survey.attributes[["部件编码", "小类代码"]].iloc[0].tolist() == ["44030401003000011", "01003"]
    assert '2 cell(s) written ="…" (how Excel keeps digits as text in a CSV) read as their text' \
        in survey.notes


def test_a_csv_file_mixing_encodings_says_so_and_names_the_lines(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes("部件名称,经度,纬度\n井盖,114.05,22.54\n".encode() + "路灯,114.06,22.55\n".encode("gbk")
                     + "树,114.07,22.56\n".encode())
    with pytest.raises(ImportValidationError, match="mixes encodings: line 3 is not UTF-8 though the lines "
                                                    r"before it are, and line \d is not GB18030"):
        read_survey(path)


@pytest.mark.parametrize(("parts", "lines"), [
    ((("部件名称,经度,纬度\n路灯,114.05,22.54\n", "gbk"), ("路灯,114.06,22.55\n", "utf-8")), (3, 1)),
    ((("部件名称,经度,纬度\n", "utf-8"), ("路灯,114.06,22.55\n", "gbk")), (1, 2)),
], ids=["gbk-then-utf8", "utf8-header-then-gbk"])
def test_a_csv_file_mixing_encodings_without_a_byte_order_mark_says_so(tmp_path: Path, parts, lines) -> None:
    """GB18030 reads UTF-8 bytes without an error, as other characters: without this check, a GBK file with
    rows pasted from a UTF-8 tool loaded garbled names."""
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"".join(text.encode(codec) for text, codec in parts))
    expected = f"mixes encodings: line {lines[0]} is Chinese text in UTF-8, line {lines[1]} is not UTF-8"
    with pytest.raises(ImportValidationError, match=expected):
        read_survey(path)
    path.write_bytes(b"".join(text.encode("gbk") for text, _ in parts))
    assert read_survey(path).attributes["部件名称"].tolist() == ["路灯"] * (2 if lines[0] == 3 else 1)


def test_a_hidden_sheet_is_read_only_when_named(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    visible = book.active
    assert visible is not None
    visible.title = "雨水井盖"
    for row in [["部件名称", "经度", "纬度"], ["井盖", 114.0512, 22.5431]]:
        visible.append(row)
    draft = book.create_sheet("雨水井盖(旧)")
    for row in [["部件名称", "经度", "纬度"], ["井盖", 114.0, 22.5]]:
        draft.append(row)
    draft.sheet_state = "hidden"
    path = tmp_path / "hidden.xlsx"
    book.save(path)
    survey = read_survey(path)
    assert len(survey) == 1 and survey.geometries[0].equals(shapely.Point(114.0512, 22.5431))
    assert "hidden sheet(s) 雨水井盖(旧) not read; --layer names one to read it" in survey.notes
    named = read_survey(path, layer="雨水井盖(旧)")
    assert named.geometries[0].equals(shapely.Point(114.0, 22.5))
    assert "sheet '雨水井盖(旧)' is hidden in the workbook: read because --layer names it" in named.notes


def test_a_number_of_sixteen_digits_or_more_is_read_as_excel_shows_it(tmp_path: Path) -> None:
    """Excel keeps 15 significant digits of a typed number: a 16-digit code typed as a number has lost
    its last digit, and is read as the number it is, which the identifier check refuses."""
    rows: list[list[object]] = [["部件编码", "经度", "纬度"], [4403040101000123, 114.0512, 22.5431]]
    path = _sheet(tmp_path / "ids.xlsx", rows)
    book = openpyxl.load_workbook(path)
    book["普查"]["A2"] = 4403040101000120.0  # what Excel stores for what was typed
    book.save(path)
    assert read_survey(path).attributes["部件编码"].tolist() == ["4.40304010100012E+15"]


@pytest.mark.parametrize(("decimals", "lattice"), [(2, 1110), (4, 11)])
def test_coordinates_a_sheet_rounded_are_named_with_the_lattice_they_stand_on(tmp_path: Path, decimals: int,
                                                                              lattice: int) -> None:
    header = ["小类代码", "主管部门名称", "经度", "纬度"]
    points = [(114.0 + 0.0013737 * i, 22.52 + 0.0011111 * i) for i in range(1, 30)]
    survey = read_survey(_csv(tmp_path / "full.csv", [header] + [["01006", "局", f"{x:.7f}", f"{y:.7f}"]
                                                                 for x, y in points]))
    assert not [n for n in survey.notes if "rounded" in n]
    shown = [["01006", "局", f"{x:.{decimals}f}", f"{y:.{decimals}f}"] for x, y in points]
    rounded = read_survey(_csv(tmp_path / "rounded.csv", [header, *shown]))
    (note,) = [n for n in rounded.notes if "rounded" in n]
    assert note.startswith(f"29 of 29 points have coordinates in ['经度', '纬度'] rounded to {decimals} "
                           f"decimals, a lattice of about {lattice} m (first: line 2)")


def test_projected_coordinates_in_whole_metres_are_not_taken_for_rounded_ones(tmp_path: Path) -> None:
    metres = [["01006", "局", str(500_000 + 37 * i), str(2_490_000 + 41 * i)] for i in range(20)]
    rows: list[list[object]] = [["小类代码", "主管部门名称", "X", "Y"], *metres]
    survey = read_survey(_csv(tmp_path / "gk.csv", rows), crs=parse_crs("EPSG:4547"))
    assert len(survey) == 20 and not [n for n in survey.notes if "rounded" in n]
