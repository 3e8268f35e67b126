"""The forms in which surveys write a class, read as the scheme's class code."""

import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gis.errors import ImportValidationError
from grid_codes.classes import default_table
from layers.field_mapping import FieldMapping
from layers.survey_classes import class_codes, class_named_by, given_class, unread_reason
from layers.survey_gather import read_rows
from layers.survey_import import ImportOptions
from layers.survey_validate import ValidationContext, validate

TABLE = default_table()
ONEMAP = str(Path(sys.executable).with_name("onemap"))
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
        "class '路灯杆' is neither a gb47678 class code nor the standard name of a gb47678 class (closest "
        "standard names: 路灯 01037); a mapping file's classes: section reads a survey's own class names as "
        "codes")
    assert unread_reason("01999", "gb47678", TABLE) is None  # a code: the class table says why


def test_a_code_of_the_other_scheme_is_told_which_scheme_lists_it():
    assert unread_reason("0102", "gb47678", TABLE) == (
        "class 0102 is not a gb47678 code but the legacy code of 污水井盖: pass --scheme legacy for a survey "
        "coded in that scheme")
    assert unread_reason("01002", "legacy", TABLE) == (
        "class 01002 is not a legacy code but the gb47678 code of 污水井盖: pass --scheme gb47678 for a "
        "survey coded in that scheme")
    assert unread_reason("0999", "gb47678", TABLE) is None  # listed nowhere: the class table says why


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


def test_a_standard_name_with_a_remark_in_brackets_reads_as_its_class_with_a_note():
    """Forms qualify a class in brackets after its name; a name that is no standard one, or a remark before
    the name, is left as written."""
    codes, notes = _read("供水井盖(圆形)", "供水井盖（球墨铸铁）", "供水井盖【双层】", "输油(气)井盖(方形)",
                         "供水(圆形)", "(圆形)供水井盖", "井盖(供水井盖)")
    assert codes == ["01001", "01001", "01001", "01021", "供水(圆形)", "(圆形)供水井盖", "井盖(供水井盖)"]
    assert notes == ["s.xlsx: 4 row(s): classes written as a standard name with a remark in brackets "
                     "(污水井盖(圆形)) read as its code"]
    assert class_named_by("路灯(1)", "gb47678", TABLE) == "01037"  # a file saved again beside its first copy


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


def test_a_name_that_names_no_class_is_told_the_closest_standard_names_or_its_major_class():
    assert "(closest standard names: 垃圾箱 03005)" in str(unread_reason("垃圾桶", "gb47678", TABLE))
    assert "closest" not in str(unread_reason("消火栓", "gb47678", TABLE))
    assert unread_reason("市政公用设施", "gb47678", TABLE) == (
        "class '市政公用设施' is the major class (大类) 01: a row needs its minor class (小类), by code or "
        "standard name")


def _validated_form(path, header: str, lines: list[str], options: ImportOptions,
                    class_code: str | None = None):
    text = [header + ",主管部门名称", *(line + ",局" for line in lines)]
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    rows, notes = read_rows([path], options)
    ctx = ValidationContext(scheme="gb47678", table=TABLE, city=shapely.box(114.0, 22.5, 114.1, 22.6),
                            county_codes=frozenset({"440304"}), zone_epsg=4547, class_code=class_code)
    return validate(rows, ctx), notes


def test_a_form_writing_the_class_as_code_and_name_takes_the_class_they_name(tmp_path):
    """Census forms carry 小类代码 and 小类名称 side by side: a row takes the class they name, the code alone
    where the name is a contractor's own, the name where the code is blank; rows where they differ are refused
    naming both."""
    checked, notes = _validated_form(tmp_path / "form.csv", "小类代码,小类名称,经度,纬度", [
        "01001,供水井盖,114.05,22.54", "03005,垃圾桶,114.05,22.541", ",路灯,114.05,22.542",
        "01001,路灯,114.05,22.543", "1001,供水井盖,114.05,22.544", "03005,垃圾桶,114.05,22.545",
    ], ImportOptions(actor="tester"))
    assert list(checked.class_codes) == ["01001", "03005", "01037", None, "01001", "03005"]
    assert [(r.row, r.field, r.reason) for r in checked.rejections] == [
        (5, "class_code", "小类代码 '01001' is class 01001 but 小类名称 '路灯' is class 01037: the "
                          "columns name different classes")]
    assert "form.csv: columns '小类代码', '小类名称' all give the class: a row takes the one class they " \
           "name, and is refused where they name different ones" in notes
    assert "form.csv: 2 row(s): 小类名称 '垃圾桶' names no gb47678 class; the class is the one the other " \
           "column names" in notes


def test_class_columns_read_a_contractors_own_class_names_through_the_mapping(tmp_path):
    mapping = tmp_path / "contractor.yml"
    mapping.write_text("classes:\n  雨水井: '01003'\n", encoding="utf-8")
    checked, _ = _validated_form(tmp_path / "form.csv", "部件类型,小类代码,经度,纬度", [
        "雨水井,01003,114.05,22.54", "雨水井,01001,114.05,22.541",
    ], ImportOptions(actor="tester", mapping=FieldMapping.from_yaml(mapping)))
    assert list(checked.class_codes) == ["01003", None]
    assert [r.reason for r in checked.rejections] == [
        "部件类型 '雨水井' is class 01003 but 小类代码 '01001' is class 01001: the columns name different "
        "classes"]


def test_a_row_naming_no_class_takes_the_class_its_name_is_the_standard_name_of(tmp_path):
    """A form whose only word on what a component is is its 部件名称 (污水井盖); a name that is no standard
    name (北门路灯) gives no class, and a class column wins over the name."""
    checked, _ = _validated_form(tmp_path / "form.csv", "部件名称,经度,纬度", [
        "污水井盖,114.05,22.54", "01037路灯,114.05,22.541", "北门路灯,114.05,22.542",
    ], ImportOptions(actor="tester"))
    assert list(checked.class_codes) == ["01002", "01037", None]
    assert "2 row(s) without a class take the class whose standard name their name (部件名称) is (first: " \
           "form.csv row 2: 污水井盖 → 01002)" in checked.notes
    by_column, _ = _validated_form(tmp_path / "typed.csv", "小类代码,部件名称,经度,纬度", [
        "01003,污水井盖,114.05,22.54"], ImportOptions(actor="tester"))
    assert list(by_column.class_codes) == ["01003"]


def test_class_given_for_the_import_refuses_rows_whose_own_class_is_another(tmp_path):
    """--class is for files without a class: a row whose class column names another listed class is refused
    rather than recoded; a value naming no class of the scheme (a legacy code) gives way."""
    checked, _ = _validated_form(tmp_path / "form.csv", "小类名称,经度,纬度", [
        "污水井盖,114.05,22.54", "雨水井盖,114.05,22.541", "0103,114.05,22.542", ",114.05,22.543",
    ], ImportOptions(actor="tester"), class_code="01002")
    assert list(checked.class_codes) == ["01002"] * 4
    assert [(r.row, r.reason) for r in checked.rejections] == [
        (3, "the row's class '雨水井盖' (01003) is not 01002, the class --class gives")]


@pytest.mark.parametrize("given", ["01003", "1003", "０１００３", "雨水井盖", "01003雨水井盖"])
def test_class_given_by_option_is_read_in_every_form_a_class_column_is(given):
    assert given_class(given, "gb47678", TABLE) == "01003"


@pytest.mark.parametrize(("given", "reason"), [
    ("雨水井", "--class: class '雨水井' is neither a gb47678 class code nor the standard name of a gb47678 "
             "class (closest standard names: 雨水井盖 01003, 水井 01024)"),
    ("99999", "--class: gb47678 component (管理部件) class '99999' has major '99', which is not one of 01, "
              "02, 03, 04, 05"),
    ("0101", "--class: class 0101 is not a gb47678 code but the legacy code of 上水井盖: pass --scheme "
             "legacy for a survey coded in that scheme"),
])
def test_a_class_option_naming_no_class_is_refused_once_with_its_reason(given, reason):
    """Before any file is read, not once per row (the standard name a row may carry is read as its code,
    and the mapping file's hint is for names written in rows)."""
    with pytest.raises(ImportValidationError) as refused:
        given_class(given, "gb47678", TABLE)
    assert str(refused.value) == reason


def test_the_cli_reads_class_and_scheme_options_as_a_class_column_is_read(db_url, tmp_path):
    survey = tmp_path / "s.csv"
    survey.write_text("经度,纬度,主管部门名称\n114.021137,22.531149,福田区城管局\n", encoding="utf-8")

    def run(*options: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([ONEMAP, "import", "components", str(survey), "--dry-run", *options],
                              cwd=tmp_path, env={**os.environ, "ONEMAP_DATABASE_URL": db_url},
                              capture_output=True, text=True, timeout=300)

    named = run("--class", "雨水井盖", "--scheme", "GB47678")
    assert named.returncode == 0, named.stderr
    assert "would load 1 of 1 rows (01003: 1)" in named.stdout
    unknown = run("--class", "路灯杆")
    assert (unknown.returncode, unknown.stderr) == (3, (
        "onemap: error: --class: class '路灯杆' is neither a gb47678 class code nor the standard name of a "
        "gb47678 class (closest standard names: 路灯 01037)\n"))
