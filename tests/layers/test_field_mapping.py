"""Field mapping: contractor column names to onemap's standard component fields."""

import csv
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gis.errors import ImportValidationError
from layers.field_mapping import STANDARD_FIELDS, FieldMapping

DEFAULT = FieldMapping.default()
SHARED = Path(os.environ.get("ONEMAP_SHARED_DIR") or Path(__file__).resolve().parents[3] / "shared")
STANDARDS = SHARED / "standards"

# GB/T 47678.5-2026 table 2, attribute order -> onemap field (standards README §2.4).
TABLE2_FIELDS = {
    1: "id", 2: "name", 3: "competent_dept_code", 4: "competent_dept_name", 5: "owner_dept_code",
    6: "owner_dept_name", 7: "maintainer_dept_code", 8: "maintainer_dept_name", 9: "grid_code", 10: "state",
    11: "initial_date", 12: "change_date", 13: "data_source", 14: "note", 15: "street_code",
    16: "street_name", 17: "community_code", 18: "community_name",
}  # fmt: skip
# Legacy CJ/T 214 practice order -> onemap fields (a/b pairs split on '/').
LEGACY_FIELDS = {
    1: ("id",), 2: ("name",), 3: ("competent_dept_code", "competent_dept_name"),
    4: ("owner_dept_code", "owner_dept_name"), 5: ("maintainer_dept_code", "maintainer_dept_name"),
    6: ("grid_code",), 7: ("state",), 8: ("initial_date",), 9: ("change_date",), 10: ("data_source",),
    11: ("note",),
}  # fmt: skip


def _field(column: str, mapping: FieldMapping = DEFAULT) -> str | None:
    resolved = mapping.resolve([column])
    return next(iter(resolved.fields), None)


def test_default_covers_every_standard_field() -> None:
    assert set(DEFAULT.aliases) == set(STANDARD_FIELDS)
    assert all(DEFAULT.aliases[name] for name in STANDARD_FIELDS)


def _attribute_rows() -> list[dict[str, str]]:
    path = STANDARDS / "component_attributes.csv"
    if not path.exists():
        pytest.skip(f"../shared/standards not present ({path}): test reads the standard's attribute table")
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_every_table2_name_and_abbreviation_maps_to_its_field() -> None:
    rows = [r for r in _attribute_rows() if r["table"].startswith("component(表2)")]
    assert len(rows) == 18
    for row in rows:
        expected = TABLE2_FIELDS[int(row["order"])]
        assert _field(row["field_name"]) == expected, row["field_name"]
        assert _field(row["abbr"]) == expected, row["abbr"]


def test_every_legacy_name_maps_to_its_field() -> None:
    rows = [r for r in _attribute_rows() if r["scheme"].startswith("legacy")]
    assert len(rows) == 11
    for row in rows:
        expected = LEGACY_FIELDS[int(row["order"])]
        for abbr, name in zip(row["abbr"].split("/"), expected, strict=True):
            assert _field(abbr) == name, abbr
        if len(expected) == 1:
            assert _field(row["field_name"]) == expected[0], row["field_name"]


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("部件编码", "id"), ("部件标识码", "id"), ("BJBM", "id"), ("ObjID", "id"),
        ("部件名称", "name"), ("BJMC", "name"),
        ("小类代码", "class_code"), ("部件小类", "class_code"), ("类别代码", "class_code"),
        ("XLDM", "class_code"), ("小类名称", "class_code"), ("XLMC", "class_code"),
        ("主管部门", "competent_dept_name"), ("ZGBM", "competent_dept_name"),
        ("权属单位", "owner_dept_name"), ("QSDW", "owner_dept_name"),
        ("养护单位", "maintainer_dept_name"), ("YHDW", "maintainer_dept_name"),
        ("所在网格", "grid_code"), ("单元网格", "grid_code"), ("DYWG", "grid_code"), ("BGID", "grid_code"),
        ("部件状态", "state"), ("状态", "state"), ("BJZT", "state"),
        ("初始日期", "initial_date"), ("CSRQ", "initial_date"), ("变更日期", "change_date"),
        ("BGRQ", "change_date"), ("数据来源", "data_source"), ("SJLY", "data_source"),
        ("备注", "note"), ("BZ", "note"), ("SQDM", "community_code"), ("社区名称", "community_name"),
        ("street_code", "street_code"),
        ("设施名称", "name"), ("主管单位", "competent_dept_name"), ("主管单位名称", "competent_dept_name"),
        ("ZGDW", "competent_dept_name"), ("产权单位", "owner_dept_name"), ("权属部门", "owner_dept_name"),
        ("维护单位", "maintainer_dept_name"), ("管养单位", "maintainer_dept_name"),
        ("养护部门", "maintainer_dept_name"), ("普查日期", "initial_date"), ("调查日期", "initial_date"),
        ("采集日期", "initial_date"), ("更新日期", "change_date"), ("备注信息", "note"),
        ("维护单位名", "maintainer_dept_name"),  # 维护单位名称 cut at a GBK .dbf's 10 bytes
    ],
    ids=lambda v: v,
)  # fmt: skip
def test_common_variants_and_pinyin_abbreviations(column: str, expected: str) -> None:
    assert _field(column) == expected


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        (" ObjID ", "id"), ("OBJID", "id"), ("ｏｂｊＩＤ", "id"), ("\u3000BZ\t", "note"),
        ("主管部门\n名称", "competent_dept_name"), ("部件 名称", "name"), ("初始\r\n日期", "initial_date"),
        ("所在街道(镇、乡)代码", "street_code"), ("所在社区（村）名称", "community_name"),
        ("ＧＬＢＪＭＣ", "name"),
    ],
    ids=["spaces", "upper", "full-width", "ideographic-space", "wrapped", "spaced", "wrapped-crlf",
         "half-width-parens", "fw-parens", "fw-abbr"],
)  # fmt: skip
def test_matching_ignores_case_whitespace_and_width(column: str, expected: str) -> None:
    assert _field(column) == expected


@pytest.mark.parametrize("column", ["Id", "FID", "OBJECTID", "名称", "编码", "lon", "经度", "Shape_Leng"])
def test_generic_names_are_not_mapped(column: str) -> None:
    assert _field(column) is None


@pytest.mark.parametrize(("column", "expected"), [
    ("主管部门名", "competent_dept_name"),  # 主管部门名称 in a GBK .dbf: 10 bytes
    ("主管部门代", "competent_dept_code"),
    ("管理部件标", "id"),  # 管理部件标识码
    ("所在单元网", "grid_code"),  # 所在单元网格标识码
])
def test_dbase_names_cut_at_ten_bytes_resolve_to_their_field(column: str, expected: str) -> None:
    resolved = DEFAULT.resolve([column])
    assert dict(resolved.fields) == {expected: column} and column in resolved.cut


@pytest.mark.parametrize("column", ["主管部", "部件", "所在单位名称X"])
def test_short_or_ambiguous_starts_are_not_cut_names(column: str) -> None:
    assert DEFAULT.resolve([column]).cut == {} and _field(column) is None


def _disguise(alias: str, data: st.DataObject) -> str:
    out = []
    for char in alias:
        if char.isascii() and char.isalpha():
            char = data.draw(st.sampled_from([char.lower(), char.upper()]))
        if "!" <= char <= "~" and data.draw(st.booleans()):
            char = chr(ord(char) + 0xFEE0)  # the full-width form
        out.append(char)
    pad = st.sampled_from(["", " ", "\t", "\u3000", "  "])
    return data.draw(pad) + "".join(out) + data.draw(pad)


@given(st.data())
def test_any_disguise_of_an_alias_resolves_to_its_field(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(STANDARD_FIELDS))
    alias = data.draw(st.sampled_from(DEFAULT.aliases[name]))
    assert _field(_disguise(alias, data)) == name


def test_resolve_lists_extra_and_missing_in_order() -> None:
    columns = ["FID", "部件编码", "lon", "部件名称", "lat", "自定义"]
    resolved = DEFAULT.resolve(columns)
    assert dict(resolved.fields) == {"id": "部件编码", "name": "部件名称"}
    assert resolved.extra == ("FID", "lon", "lat", "自定义")
    assert resolved.missing == tuple(n for n in STANDARD_FIELDS if n not in ("id", "name"))
    assert resolved.renames() == {"部件编码": "id", "部件名称": "name"}


@pytest.mark.parametrize(
    "columns", [["BJMC", "部件名称"], ["Note", "NOTE"], ["ObjID", "GLBJBSM"]], ids=["cn", "case", "legacy"]
)
def test_two_columns_for_one_field_is_an_error_naming_both(columns: list[str]) -> None:
    with pytest.raises(ImportValidationError) as excinfo:
        DEFAULT.resolve(["x", *columns], source="survey.csv")
    message = str(excinfo.value)
    assert message.startswith("survey.csv: ")
    assert all(repr(c) in message for c in columns)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mapping.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_user_file_extends_a_field(tmp_path: Path) -> None:
    mapping = FieldMapping.from_yaml(_write(tmp_path, "extend:\n  name: [设施名称, SSMC]\n"))
    assert _field("设施名称", mapping) == "name" and _field("ssmc", mapping) == "name"
    assert _field("部件名称", mapping) == "name"  # the default ones stay


def test_user_file_overrides_a_field(tmp_path: Path) -> None:
    mapping = FieldMapping.from_yaml(_write(tmp_path, "override:\n  state: 现状\n"))
    assert _field("现状", mapping) == "state"
    assert _field("状态", mapping) is None
    assert _field("备注", mapping) == "note"


def test_fields_section_reads_as_override(tmp_path: Path) -> None:
    mapping = FieldMapping.from_yaml(_write(tmp_path, "fields:\n  note: [说明]\n"))
    assert _field("说明", mapping) == "note" and _field("备注", mapping) is None


def test_a_user_files_classes_read_a_contractors_class_values_as_codes(tmp_path: Path) -> None:
    mapping = FieldMapping.from_yaml(_write(tmp_path, "classes:\n  雨水井: '01003'\n  JG-01: '01014'\n"
                                                      "  YSJ: 01003\n  01: 01014\n"))
    assert mapping.class_code_of("雨水井") == "01003"
    # unquoted, as staff write them: to YAML 01003 is the octal number 515 and 01 the number 1
    assert (mapping.class_code_of("YSJ"), mapping.class_code_of("01")) == ("01003", "01014")
    assert mapping.class_code_of(" ｊｇ-01 ") == "01014"  # matched as column names are
    assert mapping.class_code_of("园林井盖") is None and mapping.class_code_of(None) is None
    assert _field("部件名称", mapping) == "name"  # the default aliases stay
    assert FieldMapping.default().class_code_of("雨水井") is None


def test_state_values_in_common_use_and_a_user_files_own(tmp_path: Path) -> None:
    default = FieldMapping.default()
    assert [default.state_of(v) for v in ("正常", " 已拆除 ", "损坏", "完好", "很好")] == [
        "完好", "移除", "破损", None, None]
    assert [default.state_of(v) for v in ("基本完好", "已损坏", "损毁", "缺损", "已丢失", "占用中", "已报废",
                                           "正常使用", "好", "差", "在用")] == [
        "完好", "破损", "破损", "破损", "丢失", "占用", "废弃", "完好", None, None, None]  # 好/差/在用: vague
    mapping = FieldMapping.from_yaml(_write(tmp_path, "states:\n  在用: 完好\n  正常: 其他\n"))
    assert mapping.state_of("在用") == "完好" and mapping.state_of("正常") == "其他"  # read differently
    assert mapping.state_of("损坏") == "破损"  # the common ones stay


def test_a_longer_state_value_is_read_as_the_one_standard_state_it_names(tmp_path: Path) -> None:
    default = FieldMapping.default()
    longer = ("轻微破损", "完好无损", "井盖严重损坏", "正常使用中", "破损，已报修", "其他（待核实）")
    assert [default.state_within(v) for v in longer] == ["破损", "完好", "破损", "完好", "破损", "其他"]
    # none, two different ones, or a negated one: nothing is read
    unread = ("在用", "破损丢失", "无破损", "未丢失", "不完好", "不正常", None)
    assert [default.state_within(v) for v in unread] == [None] * 7
    assert default.state_within("正常完好") == "完好"  # two words of one state
    assert default.state_of("部分缺失") == "破损"  # listed, so not read as the 缺失 (丢失) it contains
    mapping = FieldMapping.from_yaml(_write(tmp_path, "states:\n  在用: 完好\n"))
    assert mapping.state_within("在用中") == "完好"  # a states: value written in it


def test_user_file_on_an_explicit_base(tmp_path: Path) -> None:
    base = FieldMapping.from_yaml(_write(tmp_path, "extend:\n  note: [说明]\n"))
    mapping = FieldMapping.from_yaml(_write(tmp_path, "extend:\n  name: [设施名称]\n"), base=base)
    assert _field("说明", mapping) == "note" and _field("设施名称", mapping) == "name"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("extend: [unclosed\n", 2, r"invalid YAML: while parsing a flow sequence; expected ',' or ']'"),
        ("", 1, "expected a mapping"),
        ("- name\n", 1, "expected a mapping"),
        ("replace:\n  name: [x]\n", 1, "unknown key 'replace'"),
        ("extend: [x]\n", 1, "extend: expected standard field"),
        ("extend:\n  nmae: [x]\n", 2, r"extend: 'nmae' is not a standard field \(one of id, name, "),
        ("override:\n  name: []\n", 2, r"override\.name: expected a list"),
        ("extend:\n  name: {a: b}\n", 2, r"extend\.name: expected a list"),
        ("extend:\n  note:\n    - 说明\n    - NO\n", 4, r"extend\.note: False is not a column name \(quote"),
        ("extend:\n  note: ['  ']\n", 2, r"extend\.note: '  ' is not a column name"),
        ("extend:\n  name: [状态]\n", 2, "alias '状态' is listed under both 'name' and 'state'"),
        ("extend:\n  name: [ＢＺ]\n", 2, "alias 'BZ' is listed under both 'name' and 'note'"),
        ("classes:\n  雨水井: ABC\n", 2, r"classes: '雨水井': 'ABC' is not a class code"),
        ("classes: [雨水井]\n", 1, r"classes: expected written value: a class code"),
        ("states:\n  在用: 好\n", 2, r"states: '在用': '好' is not one of the states 完好/破损"),
        ("extend:\n  name: [a]\nextend:\n  note: [b]\n", 3,
         r"'extend' is written twice \(also at line 1\); YAML would keep only the last one"),
        ("states:\n  在用: 完好\n  在用: 破损\n", 3, r"states: '在用' is written twice \(also at line 2\)"),
    ],
    ids=[
        "syntax", "empty", "list", "unknown-key", "section-not-mapping", "unknown-field", "empty-list",
        "not-list", "yaml-boolean", "blank", "clash", "clash-full-width", "class-code-not-digits",
        "classes-not-mapping", "not-a-state", "section-twice", "value-twice",
    ],
)  # fmt: skip
def test_invalid_user_file_names_file_line_and_key(tmp_path: Path, text: str, line: int,
                                                   message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ImportValidationError, match=message) as excinfo:
        FieldMapping.from_yaml(path)
    assert str(excinfo.value).startswith(f"{path} line {line}: ")


def test_every_problem_of_a_user_file_is_told_at_once_at_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "\n".join([
        "fields:",
        "  name: [设施名称]",
        "  # the state, as the contractor writes it",
        "  sate: [现状]",
        "extend:",
        "  note: [说明, NO]",
        "  owner_dept_name: [状态]",
        "classes:",
        "  雨水井: 0100x",
        "colours: {}",
    ]) + "\n")
    with pytest.raises(ImportValidationError) as excinfo:
        FieldMapping.from_yaml(path)
    assert str(excinfo.value).splitlines() == [
        f"{path} line 4: fields: 'sate' is not a standard field (one of {', '.join(STANDARD_FIELDS)})",
        f"{path} line 6: extend.note: False is not a column name (quote names such as 'NO', 'Y' or '123')",
        f"{path} line 7: alias '状态' is listed under both 'owner_dept_name' and 'state'",
        f"{path} line 9: classes: '雨水井': '0100x' is not a class code: 雨水井: '01003'",
        f"{path} line 10: unknown key 'colours'; use 'extend', 'override', 'classes' or 'states'",
    ]


def test_a_user_files_aliases_are_its_entries_with_their_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, "extend:\n  name:\n    - 设施名称\n    - SSMC\noverride:\n  state: 现状\n")
    mapping = FieldMapping.from_yaml(path)
    assert [(e.origin, e.line, e.section, e.field, e.alias) for e in mapping.entries] == [
        (str(path), 3, "extend", "name", "设施名称"), (str(path), 4, "extend", "name", "SSMC"),
        (str(path), 6, "override", "state", "现状")]
    assert DEFAULT.entries == ()


def test_missing_user_file(tmp_path: Path) -> None:
    with pytest.raises(ImportValidationError, match=r"nope\.yml: cannot read"):
        FieldMapping.from_yaml(tmp_path / "nope.yml")


def test_unknown_field_in_code_is_rejected() -> None:
    with pytest.raises(ImportValidationError, match="'colour' is not a standard field"):
        FieldMapping({"colour": ("颜色",)})


def test_default_is_shared_and_immutable() -> None:
    assert FieldMapping.default() is DEFAULT
    aliases: Any = DEFAULT.aliases
    with pytest.raises(TypeError):
        aliases["name"] = ("x",)


def test_a_yielding_column_gives_way_to_another_of_its_field() -> None:
    both = DEFAULT.resolve(["Name", "BJMC", "ZGBMMC"], yielding=["Name"])
    assert dict(both.fields) == {"name": "BJMC", "competent_dept_name": "ZGBMMC"} and "Name" in both.extra
    alone = DEFAULT.resolve(["Name", "ZGBMMC"], yielding=["Name"])
    assert alone.fields["name"] == "Name"
    with pytest.raises(ImportValidationError, match="all map to 'name'"):
        DEFAULT.resolve(["部件名称", "BJMC"], yielding=["Name"])


def test_a_class_written_in_several_columns_is_not_a_clash() -> None:
    """Census forms write the class twice, as 小类代码 and 小类名称: both give it; others still clash."""
    form = DEFAULT.resolve(["小类代码", "小类名称", "部件名称"])
    assert (form.fields["class_code"], form.class_columns) == ("小类代码", ("小类代码", "小类名称"))
    assert DEFAULT.resolve(["部件类型", "部件名称"]).class_columns == ()
    with pytest.raises(ImportValidationError, match="all map to 'name'"):
        DEFAULT.resolve(["小类代码", "小类名称", "部件名称", "BJMC"])


def test_a_place_name_in_several_columns_is_compared_in_the_first_and_kept_in_the_others() -> None:
    """An export writes SZJDMC beside the 所属街道 a survey delivered before it was a place-name alias."""
    both = DEFAULT.resolve(["SZJDMC", "SZSQMC", "所属街道", "所属社区"])
    assert dict(both.fields) == {"street_name": "SZJDMC", "community_name": "SZSQMC"}
    assert both.extra == ("所属街道", "所属社区")
