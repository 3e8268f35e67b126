"""What an import tells about a delivery's columns and the user's mapping file: a column that reads as a
misspelt standard name, a mapping alias no column matched, and a mapping file with problems."""

import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from layers.field_mapping import FieldMapping
from layers.survey_gather import read_rows
from layers.survey_import import ImportOptions
from tests.layers.test_survey_read import _table_file

LON, LAT = 114.05, 22.54
DEPT = "福田区城市管理和综合执法局"


def _table(path: Path, header: list[str], *rows: list[object]) -> Path:
    """A CSV file or a one-sheet workbook, by the path's suffix."""
    return _table_file(path, [header, *rows])


def _mapping(tmp_path: Path, text: str) -> FieldMapping:
    path = tmp_path / "m.yml"
    path.write_text(text, encoding="utf-8")
    return FieldMapping.from_yaml(path)


def _slip_notes(notes: list[str]) -> list[str]:
    return [note for note in notes if "is kept as a free attribute; did you mean" in note]


@pytest.mark.parametrize(("column", "meant", "field"), [
    ("部件状太", "部件状态", "state"),
    ("主管部门明称", "主管部门名称", "competent_dept_name"),
    ("ZGBMC", "ZGBMMC", "competent_dept_name"),
    ("数据来原", "数据来源", "data_source"),
    ("owner_dept_nme", "owner_dept_name", "owner_dept_name"),
    ("所在单元网格标示码", "所在单元网格标识码", "grid_code"),
], ids=["homophone", "six-characters", "initials-letter-dropped", "source", "field-name", "long"])
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_misspelt_column_is_kept_as_a_free_attribute_with_a_note(tmp_path: Path, suffix: str, column: str,
                                                                   meant: str, field: str) -> None:
    survey = _table(tmp_path / f"s{suffix}", ["部件名称", column, "经度", "纬度"],
                    ["井盖1", "完好", LON, LAT])
    rows, notes = read_rows([survey], ImportOptions(actor="tester"))
    assert _slip_notes(notes) == [
        f"s{suffix}: column {column!r} is kept as a free attribute; did you mean {meant!r} ({field})? Add it "
        f"to the mapping's fields if so (extend: {{{field}: [{column!r}]}})"]
    assert rows.fields[field].tolist() == [None]  # the note corrects nothing
    assert rows.attributes[column].tolist() == ["完好"]


def test_genuinely_other_names_give_no_note_beside_a_misspelt_one(tmp_path: Path) -> None:
    others = ["材质", "口径", "照度", "备注2", "X", "Y", "经度", "纬度", "Shape_Length", "OBJECTID", "FID",
              "DeptName4", "部件名称2", "部件大类", "部件型号", "小区名称", "SZXQMC", "SZWZ", "部件状态说明"]
    survey = tmp_path / "s.geojson"
    gpd.GeoDataFrame({name: ["1"] for name in ["部件状太", *others]}, geometry=[shapely.Point(LON, LAT)],
                     crs=4490).to_file(survey, engine="pyogrio")
    rows, notes = read_rows([survey], ImportOptions(actor="tester"))
    assert set(others) <= set(rows.attributes.columns)
    assert [note.split(" is kept")[0] for note in _slip_notes(notes)] == ["s.geojson: column '部件状太'"]


def test_no_note_in_a_file_that_carries_the_field_the_column_is_close_to(tmp_path: Path) -> None:
    carried = _table(tmp_path / "a.csv", ["部件状态", "部件状太", "经度", "纬度"], ["完好", "x", LON, LAT])
    lacking = _table(tmp_path / "b.csv", ["部件状太", "经度", "纬度"], ["完好", LON, LAT + 0.001])
    _, notes = read_rows([carried, lacking], ImportOptions(actor="tester"))
    assert [note.split(":")[0] for note in _slip_notes(notes)] == ["b.csv"]


def test_a_column_close_to_an_alias_the_users_mapping_adds_gets_a_note(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, "extend:\n  name: [设施全称]\n")
    survey = _table(tmp_path / "s.csv", ["设施全名", "经度", "纬度"], ["井盖1", LON, LAT])
    _, notes = read_rows([survey], ImportOptions(actor="tester", mapping=mapping))
    assert [note.split("; ")[1] for note in _slip_notes(notes)] == [
        "did you mean '设施全称' (name)? Add it to the mapping's fields if so (extend: {name: ['设施全名']})"]


def test_aliases_of_the_users_mapping_that_match_no_column_are_named_once(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, "\n".join([
        "fields:",
        "  state: [BJZT, 现状]",
        "extend:",
        "  name: [设施名称]",
        "  competent_dept_name:",
        "    - 主管部门全称",  # the start of it, 主管部门全, fills a GBK .dbf's 10 bytes
        "    - 主管单位全称",
    ]) + "\n")
    first = _table(tmp_path / "a.csv", ["设施名称", "现状", "经度", "纬度"], ["井盖1", "完好", LON, LAT])
    second = _table(tmp_path / "b.csv", ["设施名称", "主管部门全", "经度", "纬度"], ["井盖2", DEPT, LON, LAT])
    _, notes = read_rows([first, second], ImportOptions(actor="tester", mapping=mapping))
    path = tmp_path / "m.yml"
    assert [note for note in notes if "matched no column" in note] == [
        f"{path} line 2: fields: 'BJZT' (state) matched no column of the delivered files",
        f"{path} line 7: extend: '主管单位全称' (competent_dept_name) matched no column of the delivered "
        "files"]
    _, default_notes = read_rows([first, second], ImportOptions(actor="tester"))
    assert not [note for note in default_notes if "matched no column" in note]


def test_the_command_names_every_problem_of_a_mapping_file_with_its_line(tmp_path: Path) -> None:
    survey = _table(tmp_path / "s.csv", ["部件名称", "经度", "纬度"], ["井盖1", LON, LAT])
    mapping = tmp_path / "m.yml"
    mapping.write_text("fields:\n  name: [设施名称]\n  sate: [现状]\nextend:\n  note: [NO]\n",
                       encoding="utf-8")
    onemap = str(Path(sys.executable).with_name("onemap"))
    # the mapping is read before any database is reached
    done = subprocess.run([onemap, "import", "components", str(survey), "--mapping", str(mapping)],
                          env={**os.environ, "ONEMAP_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"},
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert f"{mapping} line 3: fields: 'sate' is not a standard field (one of id, name," in done.stderr
    assert f"{mapping} line 5: extend.note: False is not a column name" in done.stderr
