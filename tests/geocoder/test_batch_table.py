"""Reading the tables that batch geocoding takes: encodings, formats and which column holds the address."""

import openpyxl
import pytest
import xlwt

from geocoder.batch import read_table
from gis.errors import ImportValidationError
from tests.layers.opendocument_sheets import write_ods


@pytest.mark.parametrize(("header", "column"), [
    ("编号,地址,备注", 1),
    ("编号,案件地址,上报人", 1),  # a case export names the column after the case
    ("编号,发生地点,上报人", 1),
    ("Address,id", 0),
])
def test_the_address_column_is_found(header: str, column: int) -> None:
    table = read_table(f"{header}\n1,侨香路7号,x\n".encode("gb18030"), "cases.csv")
    assert table.address_column == column


@pytest.mark.parametrize("header", ["编号,案件地址,回访地址", "编号,描述,上报人"],
                         ids=["two-candidates", "none"])
def test_an_unclear_address_column_asks_for_column(header: str) -> None:
    with pytest.raises(ImportValidationError, match="name it with --column"):
        read_table(f"{header}\n1,a,b\n".encode(), "cases.csv")


def test_the_named_column_wins() -> None:
    data = "编号,案件地址,回访地址\n1,侨香路7号,侨香路8号\n".encode()
    table = read_table(data, "cases.csv", column="回访地址")
    assert table.address_column == 2


@pytest.mark.parametrize("suffix", [".xlsx", ".xls", ".ods"])
def test_workbooks_of_each_kind_are_read(tmp_path, suffix: str) -> None:
    path = tmp_path / f"cases{suffix}"
    if suffix == ".ods":
        write_ods(path, {"cases": [["编号", "案件地址"], [1, "侨香路7号"]]})
    elif suffix == ".xls":
        book = xlwt.Workbook(encoding="utf-8")
        sheet = book.add_sheet("cases")
        for row, values in enumerate([["编号", "案件地址"], [1, "侨香路7号"]]):
            for column, value in enumerate(values):
                sheet.write(row, column, value)
        book.save(str(path))
    else:
        workbook = openpyxl.Workbook()
        workbook.active.append(["编号", "案件地址"])
        workbook.active.append([1, "侨香路7号"])
        workbook.save(path)
    table = read_table(path.read_bytes(), path.name)
    assert (table.header, table.rows, table.address_column) == (["编号", "案件地址"], [["1", "侨香路7号"]], 1)


def test_a_broken_workbook_is_a_clear_error() -> None:
    with pytest.raises(ImportValidationError, match=r"cases\.xls: cannot read the workbook"):
        read_table(b"not a workbook", "cases.xls")


@pytest.mark.parametrize(("name", "codec"), [("cases.txt", "utf-16"), ("cases.txt", "gbk"),
                                             ("cases.tsv", "utf-8")])
def test_excels_tab_delimited_text_saves_are_read(name: str, codec: str) -> None:
    """Excel's 文本文件(制表符分隔) (GBK) and Unicode 文本 (UTF-16), both .txt; blank lines are no rows."""
    table = read_table("编号\t案件地址\r\n1\t侨香路7号\r\n\r\n2\t侨香路8号\r\n".encode(codec), name)
    assert (table.header, table.rows, table.address_column) == (
        ["编号", "案件地址"], [["1", "侨香路7号"], ["2", "侨香路8号"]], 1)


def test_an_encoding_given_reads_text_the_detection_would_misread() -> None:
    """A Big5 file (Traditional Chinese Windows) decodes as GB18030 without an error, into other
    characters."""
    data = "編號,地址\n1,福田區僑香路7號\n".encode("big5")
    assert read_table(data, "cases.csv", encoding="big5").rows == [["1", "福田區僑香路7號"]]
    with pytest.raises(ImportValidationError, match="no address column"):  # the header misread
        read_table(data, "cases.csv")
    with pytest.raises(ImportValidationError, match=r"cases\.csv: unknown text encoding 'bogus'"):
        read_table(data, "cases.csv", encoding="bogus")
