"""Class tables: completeness against the CSVs, lookups, local extensions, unknown classes."""

import csv
import io
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given

from grid_codes.classes import KINDS, SCHEMES, ClassCode, ClassTable, Kind, Scheme, default_table
from grid_codes.errors import InvalidClassCode, UnknownClass
from tests.grid_codes import strategies as codes

SHARED = Path(__file__).resolve().parents[3] / "shared/standards"
FILES = {"component": "components.csv", "event": "events.csv"}
SCHEME_OF_LABEL: dict[str, Scheme] = {
    "legacy CJ/T214-2007/GB/T30428.2-2013 (practice)": "legacy",
    "GB/T 47678.5-2026": "gb47678",
}


def _packaged(kind: str) -> str:
    return (resources.files("grid_codes") / "tables" / FILES[kind]).read_text(encoding="utf-8")


def _csv_counts(kind: str) -> Counter[tuple[str, str]]:
    rows = csv.DictReader(io.StringIO(_packaged(kind)))
    return Counter((SCHEME_OF_LABEL[row["scheme"]], row["major_code"]) for row in rows)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("scheme", SCHEMES)
def test_counts_per_major_match_the_csv(scheme: Scheme, kind: Kind) -> None:
    expected = {major: n for (sch, major), n in _csv_counts(kind).items() if sch == scheme}
    assert default_table().counts_per_major(scheme, kind) == expected


@pytest.mark.parametrize(
    ("scheme", "kind", "counts"),
    [
        ("legacy", "component", [38, 17, 11, 10, 3, 6]),
        ("legacy", "event", [19, 5, 6, 10, 14]),
        ("gb47678", "component", [76, 44, 16, 14, 3]),
        ("gb47678", "event", [76, 44, 16, 14, 3, 51, 7, 16, 21, 2]),
    ],
    ids=["legacy-components-85", "legacy-events-54", "gb-components-153", "gb-matters-250"],
)
def test_documented_totals(scheme: Scheme, kind: Kind, counts: list[int]) -> None:
    majors = default_table().majors(scheme, kind)
    assert [major.count for major in majors] == counts
    assert [major.code for major in majors] == [f"{n:02d}" for n in range(1, len(counts) + 1)]


def test_every_csv_row_is_in_the_table_with_its_names() -> None:
    table = default_table()
    seen = 0
    for kind in KINDS:
        for row in csv.DictReader(io.StringIO(_packaged(kind))):
            info = table.lookup(SCHEME_OF_LABEL[row["scheme"]], kind, row["full_class_code"])
            assert (info.name, info.major_name) == (row["minor_name"], row["major_name"])
            assert info.notes == row["notes"] and info.source == row["source"]
            seen += 1
    assert seen == len(table) == 542


@pytest.mark.parametrize("kind", KINDS)
def test_packaged_tables_are_the_shared_standards(kind: str) -> None:
    shared = SHARED / FILES[kind]
    if not shared.exists():
        pytest.skip(f"{shared} is absent (it lives outside the repository)")
    assert _packaged(kind) == shared.read_text(encoding="utf-8")


def test_component_and_matter_with_the_same_code_are_distinct() -> None:
    table = default_table()
    component = table.lookup("gb47678", "component", "01001")
    matter = table.lookup("gb47678", "event", "01001")
    assert (component.name, matter.name) == ("供水井盖", "供水井盖异常")
    assert matter.related_component == component.code
    assert component.geometry_type_inferred == "point" and matter.geometry_type_inferred is None


# 01066: the transcription names the matter 紧急报警点异常SOS for component 紧急报警点SOS.
NAME_ORDER_QUIRKS = {"01066"}


def test_every_component_anomaly_matter_names_its_component() -> None:
    table = default_table()
    anomalies = [i for i in table.classes("gb47678", "event") if i.related_component is not None]
    assert len(anomalies) == 153
    for matter in anomalies:
        assert matter.related_component is not None
        component = table.lookup("gb47678", "component", matter.related_component.code)
        assert matter.code.code == component.code.code
        assert matter.major_name == f"{component.major_name}类"
        if matter.code.code in NAME_ORDER_QUIRKS:
            assert sorted(matter.name or "") == sorted(f"{component.name}异常")
        else:
            assert matter.name == f"{component.name}异常"


def test_classes_in_major_are_in_code_order() -> None:
    infos = default_table().classes_in_major("gb47678", "component", "05")
    assert [info.code.code for info in infos] == ["05002", "05003", "05009"]
    assert default_table().classes_in_major("gb47678", "component", "06") == ()


@pytest.mark.parametrize(
    ("code", "major", "minor"),
    [("0101", "01", "01"), ("01001", "01", "001")],
    ids=["legacy", "gb47678"],
)
def test_class_code_major_minor_and_scheme_by_length(code: str, major: str, minor: str) -> None:
    parsed = ClassCode.parse(code)
    assert (parsed.major, parsed.minor, str(parsed)) == (major, minor, code)
    assert parsed.scheme == ("legacy" if len(code) == 4 else "gb47678")


@given(codes.legacy_classes)
def test_legacy_class_code_round_trips(text: str) -> None:
    code = ClassCode.parse(text, kind="event")
    assert str(code) == text and ClassCode.parse(str(code), kind="event") == code


@given(codes.gb47678_classes)
def test_gb47678_class_code_round_trips(text: str) -> None:
    code = ClassCode.parse(text)
    assert str(code) == text and ClassCode.parse(str(code)) == code


def test_name_lookup() -> None:
    assert ClassCode.parse("0101").name == "上水井盖"
    assert ClassCode.parse("10002", kind="event").name == "架空线缆脱落"


def test_legacy_catch_all_rows_are_flagged_local() -> None:
    info = default_table().lookup("legacy", "event", "0199")
    assert info.in_table and info.is_local and info.is_catch_all
    assert not default_table().lookup("legacy", "event", "0101").is_local


@pytest.mark.parametrize(
    ("kind", "code", "catch_all"),
    [
        ("component", "0701", False),
        ("component", "2101", False),
        ("event", "2105", False),
        ("component", "0195", True),
        ("event", "0598", True),
    ],
    ids=["major-07", "major-21", "event-major-21", "component-minor-95", "event-minor-98"],
)
def test_local_extensions_need_allow_local(kind: Kind, code: str, catch_all: bool) -> None:
    table = default_table()
    with pytest.raises(UnknownClass, match="is a local extension, not in the shipped table"):
        table.lookup("legacy", kind, code)
    info = table.lookup("legacy", kind, code, allow_local=True)
    assert info.is_local and not info.in_table and info.is_catch_all == catch_all
    assert info.name is None


UNKNOWN = [
    (
        "gb47678",
        "component",
        "01016",
        "gb47678 component (管理部件) class '01016' is not in the"
        " table; major 01 (市政公用设施) lists minors 001–077 with gaps 016",
    ),
    ("gb47678", "event", "06031", "gb47678 event (管理事项) class '06031' is not in the table"),
    ("gb47678", "component", "11001", "has major '11', which is not one of 01, 02, 03, 04, 05"),
    ("legacy", "component", "0139", "major 01 (公用设施) lists minors 01–38"),
    ("legacy", "component", "0801", "local extension majors are 07 and 21–99"),
    ("legacy", "event", "0601", "legacy event (事件) class '0601' has major '06'"),
]


@pytest.mark.parametrize(
    ("scheme", "kind", "code", "message"),
    UNKNOWN,
    ids=["gb-gap", "gb-matter-gap", "gb-major", "legacy-minor", "legacy-major", "legacy-event"],
)
def test_unknown_classes_name_scheme_and_kind(scheme: Scheme, kind: Kind, code: str, message: str) -> None:
    with pytest.raises(UnknownClass) as caught:
        default_table().lookup(scheme, kind, code, allow_local=True)
    assert message in str(caught.value)


MALFORMED = [
    ("legacy", "component", "010", "has 3 digits; expected 4 ASCII digits (major 2 + minor 2)"),
    ("gb47678", "component", "0101", "has 4 digits; expected 5 ASCII digits (major 2 + minor 3)"),
    ("legacy", "component", "0100", "minor '00'"),
    ("gb47678", "event", "00001", "major '00'"),
    ("legacy", "component", "０１０１", "non-ASCII digit '０'"),
    ("legacy", "component", " 101", "whitespace"),
    ("modern", "component", "0101", "scheme 'modern' is unknown"),
    ("legacy", "matter", "0101", "kind 'matter' is unknown"),
]


@pytest.mark.parametrize(
    ("scheme", "kind", "code", "message"),
    MALFORMED,
    ids=["short", "gb-short", "minor-00", "major-00", "full-width", "space", "scheme", "kind"],
)
def test_malformed_class_codes(scheme: Scheme, kind: Kind, code: str, message: str) -> None:
    with pytest.raises(InvalidClassCode) as caught:
        default_table().lookup(scheme, kind, code)
    assert message in str(caught.value)


@pytest.mark.parametrize("text", [None, "", "010", "010011"], ids=["none", "empty", "3", "6"])
def test_class_code_parse_without_scheme_names_both_lengths(text: object) -> None:
    with pytest.raises(InvalidClassCode, match=r"expected 4 \(legacy\) or 5 \(gb47678\)"):
        ClassCode.parse(text)


def test_table_is_loaded_once() -> None:
    assert default_table() is default_table()


def test_loader_rejects_a_row_whose_codes_disagree() -> None:
    header = "scheme,major_code,major_name,minor_code,minor_name,full_class_code,source,notes\n"
    bad = header + "GB/T 47678.5-2026,02,交通设施,01001,供水井盖,01001,x,\n"
    with pytest.raises(InvalidClassCode, match=r"components\.csv line 2: major_code '02'"):
        ClassTable.from_csv(bad, header)


def test_loader_rejects_an_unknown_scheme_label() -> None:
    header = "scheme,major_code,major_name,minor_code,minor_name,full_class_code,source,notes\n"
    bad = header + "CJJ/T 312-2021,01,x,0101,y,0101,s,\n"
    with pytest.raises(InvalidClassCode, match="scheme 'CJJ/T 312-2021' is not a known scheme"):
        ClassTable.from_csv(bad, header)
