"""The forms in which surveys write a class, read as the scheme's class code."""

import geopandas as gpd
import numpy as np
import pytest
import shapely

from grid_codes.classes import default_table
from layers.survey_classes import class_codes, class_named_by, unread_reason
from layers.survey_gather import read_rows
from layers.survey_import import ImportOptions
from layers.survey_validate import ValidationContext, validate

TABLE = default_table()
WATER = TABLE.get("gb47678", "component", "01001")


def _read(*written: str | None, scheme: str = "gb47678") -> tuple[list, list[str]]:
    codes, notes = class_codes(np.array(written, dtype=object), np.full(len(written), "s.xlsx", dtype=object),
                               scheme, TABLE)  # type: ignore[arg-type]
    return list(codes), notes


def test_the_standard_table_names_the_class_the_tests_use():
    assert WATER is not None and WATER.name == "供水井盖"


@pytest.mark.parametrize("written", [
    "01001", " 01001 ", "１００１", "1001", "０１００１", "供水井盖", "01001-供水井盖", "01001 供水井盖",
    "供水井盖(01001)", "供水井盖（01001）", "【01001】供水井盖", "1001:供水井盖", "01001/供水井盖", "1001.0",
    "01001.0",
])
def test_each_written_form_of_a_class_reads_as_its_code(written):
    assert _read(written)[0] == ["01001"]


@pytest.mark.parametrize("written", ["01001 路灯", "路灯杆", "99999", "1999", "010010", "供水", None])
def test_what_names_no_single_class_is_left_as_written(written):
    assert _read(written)[0] == [written]


def test_legacy_codes_get_their_leading_zero_and_names_their_code():
    legacy = TABLE.get("legacy", "component", "0101")
    assert legacy is not None
    assert _read("101", legacy.name or "", "0101", scheme="legacy")[0] == ["0101"] * 3


def test_each_form_is_counted_per_file_in_a_note():
    codes, notes = _read("1001", "1001", "供水井盖", "０１００１", "01001")
    assert codes == ["01001"] * 5
    assert notes == [
        "s.xlsx: 1 row(s): class codes written in full-width digits read as ASCII digits",
        "s.xlsx: 2 row(s): class codes without their leading zero (a spreadsheet keeps a typed code as a "
        "number) read with it",
        "s.xlsx: 1 row(s): classes written by their standard name read as its code",
    ]


def test_a_code_and_a_name_that_disagree_are_refused_naming_both():
    assert unread_reason("01001 路灯", "gb47678", TABLE) == "class '01001 路灯': 01001 is 供水井盖, not 路灯"
    assert unread_reason("路灯杆", "gb47678", TABLE) == (
        "class '路灯杆' is neither a gb47678 class code nor the standard name of a gb47678 class")
    assert unread_reason("01999", "gb47678", TABLE) is None  # a code: the class table says why


@pytest.mark.parametrize(("name", "code"), [
    ("供水井盖", "01001"), ("01001", "01001"), ("01001供水井盖", "01001"), ("供水井盖_01001", "01001"),
    ("０１００１", "01001"),
    ("1001", None),  # a number without its leading zero names a year or a sequence, not a class
    ("99999", None), ("井盖", None), ("survey", None), ("01001路灯", None), ("", None),
    ("供水井盖 (#2)", "01001"),  # GDAL's name for a nested KML folder repeating its parent's name
    ("L01001", "01001"), ("JG_01001", "01001"), ("01001_pt", "01001"), ("BJ-01001", "01001"),
    ("路灯 (#3)", "01037"), ("L1001", None), ("L99999", None), ("GB47678", None), ("L01001_2023", None),
    ("井盖 (#2)", None),
])
def test_a_layer_or_file_name_names_a_class_only_as_a_listed_code_or_standard_name(name, code):
    assert class_named_by(name, "gb47678", TABLE) == code


def test_names_written_with_half_width_brackets_read_as_the_full_width_ones_of_the_table():
    """The table writes 输油（气）井盖; a form typed on a half-width keyboard 输油(气)井盖."""
    oil = TABLE.get("gb47678", "component", "01021")
    assert oil is not None and "（" in (oil.name or "")
    assert _read("输油(气)井盖", "01021-输油(气)井盖", "输油（气）井盖")[0] == ["01021"] * 3
    assert class_named_by("输油(气)井盖", "gb47678", TABLE) == "01021"  # a sheet or file named so


def test_a_code_kept_as_a_number_is_counted_in_its_own_note():
    codes, notes = _read("01001.0", "01001")
    assert codes == ["01001"] * 2
    assert notes == ["s.xlsx: 1 row(s): class codes kept as numbers (01003.0) read as the code"]


def test_a_geodatabase_layer_named_after_its_class_code_gives_its_rows_that_class(tmp_path):
    """A census delivered as one feature class per class, named L01001 and JG_01006, with no class column."""
    survey = tmp_path / "census.gpkg"
    for layer, lon in (("L01001", 114.05), ("JG_01006", 114.051)):
        gpd.GeoDataFrame({"主管部门名称": ["局", "局"]}, crs=4490,
                         geometry=[shapely.Point(lon, 22.54), shapely.Point(lon, 22.541)]).to_file(
            survey, layer=layer, engine="pyogrio")
    rows, _ = read_rows([survey], ImportOptions(actor="tester"))
    ctx = ValidationContext(scheme="gb47678", table=TABLE, city=shapely.box(114.0, 22.5, 114.1, 22.6),
                            county_codes=frozenset({"440304"}), zone_epsg=4547)
    checked = validate(rows, ctx)
    assert checked.valid.all(), checked.rejections
    assert sorted(zip(rows.sources, checked.class_codes, strict=True)) == [
        ("JG_01006", "01006"), ("JG_01006", "01006"), ("L01001", "01001"), ("L01001", "01001")]
