"""Component identifiers: both schemes, round-trips, class validation, rejections."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grid_codes.admin import AdminCode
from grid_codes.classes import ClassCode, Scheme, default_table
from grid_codes.component_id import ComponentId
from grid_codes.errors import InvalidComponentId, UnknownClass
from tests.grid_codes import strategies as codes


@given(st.one_of(codes.legacy_component_ids, codes.gb47678_component_ids), codes.vintages)
def test_component_id_round_trips(text: str, vintage: int) -> None:
    component = ComponentId.parse(text, vintage=vintage)
    assert str(component) == text
    assert ComponentId.parse(str(component), vintage=vintage) == component
    rebuilt = ComponentId.from_parts(component.county, component.class_code, component.serial)
    assert rebuilt == component


@given(st.text(max_size=18))
def test_arbitrary_text_is_parsed_or_rejected(text: str) -> None:
    try:
        ComponentId.parse(text)
    except InvalidComponentId:
        return
    assert len(text) in (16, 17)


@pytest.mark.parametrize(
    ("text", "scheme", "county", "class_code", "serial"),
    [
        ("3205080101000001", "legacy", "320508", "0101", 1),
        ("3205820102048188", "legacy", "320582", "0102", 48188),
        ("35020301001000123", "gb47678", "350203", "01001", 123),
    ],
    ids=["suzhou-legacy", "zhangjiagang-legacy", "xiamen-gb47678"],
)
def test_accessors(text: str, scheme: Scheme, county: str, class_code: str, serial: int) -> None:
    component = ComponentId.parse(text, table=default_table())
    assert component.scheme == scheme
    assert component.county == AdminCode.parse(county)
    assert component.class_code == ClassCode(scheme, "component", class_code)
    assert component.serial == serial


def test_class_is_checked_only_against_a_given_table() -> None:
    text = "35020301016000001"  # 01016 is a gap in the GB/T 47678.5 transcription
    assert ComponentId.parse(text).class_code.code == "01016"
    with pytest.raises(UnknownClass) as caught:
        ComponentId.parse(text, table=default_table())
    assert str(caught.value).startswith("component id '35020301016000001': gb47678 component")


def test_local_classes_need_allow_local() -> None:
    text = "3502030701000001"
    with pytest.raises(UnknownClass, match="pass allow_local=True"):
        ComponentId.parse(text, table=default_table())
    component = ComponentId.parse(text, table=default_table(), allow_local=True)
    assert component.class_code.info(allow_local=True).is_local


REJECTED = [
    (None, None, "component id is missing (None)"),
    ("", None, "component id is empty"),
    ("320508010100000", None, "has 15 digits; expected 16 (legacy"),
    (
        "32050801010000011",
        "legacy",
        "legacy component id '32050801010000011' has 17 digits;"
        " expected 16 ASCII digits (county 6 + major 2 + minor 2 + serial 6)",
    ),
    ("3205080101000001", "gb47678", "has 16 digits; expected 17 ASCII digits"),
    ("3205080101000000", None, "serial '000000'"),
    ("3205000101000001", None, "prefecture-level division '320500'"),
    ("3205080001000001", None, "major '00'"),
    ("3205080100000001", None, "minor '00'"),
    ("３205080101000001", None, "non-ASCII digit '３' (FULLWIDTH DIGIT THREE)"),
    ("3205080101000001 ", None, "whitespace"),
]


@pytest.mark.parametrize(
    ("text", "scheme", "message"),
    REJECTED,
    ids=[
        "none",
        "empty",
        "15-digits",
        "legacy-given-17",
        "gb-given-16",
        "serial-0",
        "prefecture",
        "major-00",
        "minor-00",
        "full-width",
        "trailing-space",
    ],
)
def test_component_id_rejections(text: object, scheme: str | None, message: str) -> None:
    with pytest.raises(InvalidComponentId) as caught:
        ComponentId.parse(text, scheme)  # type: ignore[arg-type]
    assert message in str(caught.value)


def test_from_parts_rejects_an_event_class() -> None:
    with pytest.raises(InvalidComponentId, match="needs a component class"):
        ComponentId.from_parts(AdminCode.parse("350203"), ClassCode.parse("0101", kind="event"), 1)


@pytest.mark.parametrize("serial", [0, 1_000_000, "1"], ids=["0", "million", "str"])
def test_from_parts_rejects_bad_serials(serial: object) -> None:
    with pytest.raises(InvalidComponentId, match="expected an int 1–999999"):
        ComponentId.from_parts(AdminCode.parse("350203"), ClassCode.parse("0101"), serial)  # type: ignore[arg-type]
