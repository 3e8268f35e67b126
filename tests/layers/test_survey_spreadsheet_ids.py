"""Identifiers a spreadsheet turned into numbers (layers.survey_identifiers): Excel and WPS open a CSV's
17-digit identifiers as numbers of 15 significant digits, so a contractor's edited export comes back with
4.4030403004E+16 on every row, or 44030403004000000 in a number format. Each row gets one reason, which says
what happened and what to do, and not also that the identifier repeats, nor that the class or the position
it named is missing."""

import csv
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest

from gis.crs import parse_crs
from layers.survey_rows import Rejection
from tests.layers.test_survey_export import _export
from tests.layers.test_survey_import import _run

BINS = "03004"  # 39 garbage rooms: their identifiers differ in the last three digits only
TAKE_THEM_AGAIN = ("take the identifiers from an XLSX export (onemap export components out.xlsx), which "
                   "keeps them as text, or format the column as text before typing or pasting them")
WHAT_TO_DO = ("is a number: Excel or WPS turned the identifiers into numbers, which keep 15 significant "
              f"digits, so the codes lost their last digits; {TAKE_THEM_AGAIN}")
CUT = ("lost its last digits: every identifier of its file ends in zeros past the 15th digit, and some "
       "repeat, as when Excel or WPS turned the identifiers into numbers, which keep 15 significant digits; "
       f"{TAKE_THEM_AGAIN}")


def _as_excel_saves_it(path: Path) -> None:
    """The CSV export `path` as Excel saves it again: each identifier a number in scientific notation."""
    _with_identifiers(path, lambda identifier: f"{int(identifier):.10E}")


def _in_a_number_format(path: Path) -> None:
    """The CSV export `path` as Excel saves it with the identifiers' column formatted as numbers (数值, no
    decimals): each written in full, its digits past the 15th zeros."""
    _with_identifiers(path, lambda identifier: identifier[:15] + "0" * (len(identifier) - 15))


def _with_identifiers(path: Path, written: Callable[[str], str]) -> None:
    with path.open(encoding="utf-8-sig", newline="") as file:
        header, *rows = list(csv.reader(file))
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        csv.writer(file).writerows([header, *[[written(row[0]), *row[1:]] for row in rows]])


def _as_numbers_in_the_workbook(path: Path) -> None:
    """The XLSX export `path` with its identifiers typed again as numbers (number cells)."""
    book = openpyxl.load_workbook(path)
    for (cell,) in book.worksheets[0].iter_rows(min_row=2, max_col=1):
        cell.value = int(cell.value)
    book.save(path)


@pytest.mark.parametrize(("fmt", "edit", "reason"), [
    ("csv", _as_excel_saves_it, f"identifier 4.4030403004E+16 {WHAT_TO_DO}"),
    ("xlsx", _as_numbers_in_the_workbook, f"identifier 4.4030403004E+16 {WHAT_TO_DO}"),
    ("csv", _in_a_number_format, f"identifier 44030403004000000 {CUT}"),
], ids=["csv-saved-by-excel", "xlsx-number-cells", "csv-in-a-number-format"])
def test_identifiers_a_spreadsheet_turned_into_numbers_get_one_reason_per_row(db_url, tmp_path, fmt, edit,
                                                                              reason):
    path = tmp_path / f"bins.{fmt}"
    count = _export(db_url, path, fmt, crs=parse_crs("EPSG:4490"), class_prefix=BINS)
    edit(path)
    result = _run(db_url, [path], mode="upsert", dry_run=True)
    assert result.rejections == [Rejection(path.name, row, "id", reason) for row in range(2, count + 2)]


def test_identifiers_are_told_cut_per_file(db_url, tmp_path):
    """A code ends in 00 once in a hundred: identifiers that all do and repeat were cut by a spreadsheet,
    but those of another file that end so without repeating are codes."""
    cut = tmp_path / "bins.csv"
    count = _export(db_url, cut, "csv", crs=parse_crs("EPSG:4490"), class_prefix=BINS)
    _in_a_number_format(cut)
    codes = tmp_path / "states.csv"
    codes.write_text("GLBJBSM,GLBJZT\n44030401037000100,破损\n44030401037000200,破损\n", encoding="utf-8")
    result = _run(db_url, [cut, codes], mode="upsert", dry_run=True, skip_invalid=True)
    assert result.rejections == [Rejection("bins.csv", row, "id", f"identifier 44030403004000000 {CUT}")
                                 for row in range(2, count + 2)]
    assert result.loaded_per_class == {"01037": 2}


def test_a_sheet_of_identifiers_and_states_is_refused_for_its_identifiers_alone(db_url, tmp_path):
    """Without coordinates or a class, an upsert's row takes both from its identifier: a number names
    neither, which its one reason says."""
    path = tmp_path / "states.csv"
    path.write_text("GLBJBSM,GLBJZT\n4.4030403004E+16,破损\n4.4030403004E+16,完好\n", encoding="utf-8")
    result = _run(db_url, [path], mode="upsert", dry_run=True)
    reason = f"identifier 4.4030403004E+16 {WHAT_TO_DO}"
    assert result.rejections == [Rejection("states.csv", row, "id", reason) for row in (2, 3)]


def test_identifiers_of_a_number_field_are_not_also_reported_as_repeated(db_url, tmp_path):
    """A GeoPackage REAL holds a 17-digit code only to within 8: codes of a class that differ in the last
    digit read alike."""
    exported = tmp_path / "bins.gpkg"
    _export(db_url, exported, "gpkg", crs=parse_crs("EPSG:4490"), class_prefix=BINS)
    frame = gpd.read_file(exported)
    frame["GLBJBSM"] = frame["GLBJBSM"].astype(float)
    assert frame["GLBJBSM"].duplicated().any()
    path = tmp_path / "numbers.gpkg"
    frame.to_file(path)
    result = _run(db_url, [path], mode="upsert", dry_run=True)
    lost = ("was stored as a number, which keeps 15 significant digits and so loses a 16- or 17-digit code: "
            "store the column as text and enter the codes again")
    assert result.rejections == [Rejection("numbers.gpkg", row, "id", f"identifier {number!r} {lost}")
                                 for row, number in enumerate(frame["GLBJBSM"], 1)]
