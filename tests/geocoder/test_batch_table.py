"""The tables of batch geocoding: reading them (encodings, formats, which column holds the address) and
writing the result CSV."""

import csv
import io
from pathlib import Path

import openpyxl
import pytest
import xlwt

from geocoder.batch import HTTP_ADVICE, RESULT_COLUMNS, check_output, read_table, write_csv
from gis.crs import CrsSpec
from gis.errors import ImportValidationError, InvalidParameter
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


def test_the_http_advice_names_the_upload_and_the_query_parameter() -> None:
    with pytest.raises(ImportValidationError) as refused:
        read_table("编号,描述\n1,a\n".encode(), "upload.csv", advice=HTTP_ADVICE)
    assert str(refused.value).startswith("the uploaded table: no address column")
    assert str(refused.value).endswith("name it with ?column= in the URL")
    with pytest.raises(ImportValidationError, match=r"pass --encoding$"):  # the CLI's own words
        read_table("id,地址\n1,僑香路\n".encode("big5"), "cases.csv", encoding="utf-8")


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=HYPERLINK(\"http://x\",\"看\")", "'=HYPERLINK(\"http://x\",\"看\")"),
        ("+86 755 8888", "'+86 755 8888"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-12.5", "-12.5"),  # a number, not a formula
        ("侨香路7号", "侨香路7号"),
    ],
    ids=["equals", "plus", "minus", "at", "negative-number", "address"],
)
def test_a_result_csv_writes_formula_cells_as_text(cell: str, written: str) -> None:
    """CSV injection: a cell that a spreadsheet would run as a formula keeps a leading ' (shown as text)."""
    result = {c: None if c in ("score", "lon", "lat", "candidates") else "" for c in RESULT_COLUMNS}
    text = write_csv(["备注", "地址"], [[cell, cell]], [{**result, "normalized": cell}], None)
    header, row = csv.reader(io.StringIO(text.decode("utf-8-sig")))
    assert row[:2] == [written, written] and row[header.index("normalized")] == written
    assert row[header.index("crs")] == ""  # no point, no CRS


@pytest.mark.parametrize(("name", "crs", "said"), [
    ("out.gpkg", CrsSpec(offset="gcj02"), "a GeoPackage cannot be written in GCJ-02"),
    ("out.xlsx", None, "use a .csv or .gpkg file name"),
])
def test_an_output_that_cannot_be_written_is_refused_before_the_work(
    tmp_path: Path, name: str, crs: CrsSpec | None, said: str
) -> None:
    with pytest.raises(InvalidParameter, match=said):
        check_output(tmp_path / name, crs)
    check_output(tmp_path / "out.gpkg", CrsSpec(epsg=4326))
