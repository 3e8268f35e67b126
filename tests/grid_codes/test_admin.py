"""Administrative division codes: round-trips, hierarchy, rejections, oracle against NBS data."""

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grid_codes.admin import (
    DEFAULT_VINTAGE,
    AdminCode,
    CommunityCode,
    StreetCode,
    parse_admin_code,
)
from grid_codes.errors import InvalidAdminCode, InvalidCode
from tests.grid_codes import strategies as codes

SHARED_DIVISIONS = Path(__file__).resolve().parents[3] / "shared/standards/admin_divisions.csv"


@given(codes.admin_any_level, codes.vintages)
def test_admin_code_round_trips(text: str, vintage: int) -> None:
    code = AdminCode.parse(text, vintage)
    assert str(code) == text
    assert AdminCode.parse(str(code), code.vintage) == code


@given(codes.streets, codes.vintages)
def test_street_code_round_trips(text: str, vintage: int) -> None:
    code = StreetCode.parse(text, vintage)
    assert str(code) == text
    assert StreetCode.parse(str(code), vintage) == code
    assert StreetCode.from_parts(code.county, code.number) == code


@given(codes.communities, codes.vintages)
def test_community_code_round_trips(text: str, vintage: int) -> None:
    code = CommunityCode.parse(text, vintage)
    assert str(code) == text
    assert CommunityCode.from_parts(code.street, code.number) == code


@given(st.one_of(codes.counties, codes.streets, codes.communities))
def test_parse_admin_code_dispatches_by_length(text: str) -> None:
    code = parse_admin_code(text)
    expected = {6: AdminCode, 9: StreetCode, 12: CommunityCode}[len(text)]
    assert type(code) is expected
    assert str(code) == text


@given(st.text(max_size=14))
def test_arbitrary_text_is_parsed_or_rejected_with_an_invalid_code(text: str) -> None:
    try:
        code = parse_admin_code(text)
    except InvalidAdminCode:
        return
    assert str(code) == text


def test_default_vintage_is_the_2023_nbs_edition() -> None:
    assert AdminCode.parse("440304").vintage == DEFAULT_VINTAGE == 2023


def test_vintage_takes_part_in_equality() -> None:
    assert StreetCode.parse("350212106", 2017) != StreetCode.parse("350212106", 2023)


def test_hierarchy_accessors_of_a_community() -> None:
    community = CommunityCode.parse("152527201206")
    assert community.street == StreetCode.parse("152527201")
    assert community.county == AdminCode.parse("152527")
    assert community.number == 206
    assert (community.province_code, community.prefecture_code) == ("15", "1525")
    assert community.county.province == AdminCode.parse("150000")
    assert community.county.prefecture == AdminCode.parse("152500")


@pytest.mark.parametrize(
    ("text", "level"),
    [("440000", "province"), ("440300", "prefecture"), ("440304", "county")],
    ids=["province", "prefecture", "county"],
)
def test_level_of_a_six_digit_code(text: str, level: str) -> None:
    assert AdminCode.parse(text).level == level


def test_province_has_no_prefecture() -> None:
    province = AdminCode.parse("810000")
    assert province.prefecture is None
    assert province.prefecture_code is None


def test_prefecture_without_counties_is_county_level() -> None:
    dongguan = AdminCode.parse("441900", level="county")
    assert dongguan.is_county_level
    assert StreetCode.parse("441900003").county == dongguan


@pytest.mark.parametrize(
    ("text", "kind", "kind_name"),
    [
        ("350203001", "street", "街道"),
        ("330381101", "town", "镇"),
        ("330381221", "township", "乡"),
        ("350211401", "special", "类似乡级单位"),
    ],
    ids=["street-0xx", "town-1xx", "township-2xx", "farm-4xx"],
)
def test_street_kind_follows_gb_t_10114(text: str, kind: str, kind_name: str) -> None:
    street = StreetCode.parse(text)
    assert (street.kind, street.kind_name) == (kind, kind_name)


REJECTED = [
    (None, "missing (None)"),
    ("", "is empty"),
    (440304, "must be a str, got int"),
    ("44030", "has 5 digits; expected 6"),
    ("4403041", "has 7 digits; expected 6"),
    ("４４０３０４", "non-ASCII digit '４' (FULLWIDTH DIGIT FOUR) at position 1"),
    (" 440304", "whitespace ' ' (SPACE) at position 1"),
    ("440304 ", "whitespace ' ' (SPACE) at position 7"),
    ("4403\t04", "whitespace '\\t'"),
    ("44O304", "non-digit 'O' (LATIN CAPITAL LETTER O) at position 3"),
    ("990304", "province part '99', which is not a GB/T 2260 province"),
    ("100000", "province part '10'"),
    ("440012", "prefecture part '00' but county part '12'"),
]


@pytest.mark.parametrize(
    ("text", "message"),
    REJECTED,
    ids=[
        "none",
        "empty",
        "int",
        "too-short",
        "too-long",
        "full-width",
        "leading-space",
        "trailing-space",
        "inner-tab",
        "letter-o",
        "unknown-province",
        "province-10",
        "county-under-province",
    ],
)
def test_admin_code_rejections(text: object, message: str) -> None:
    with pytest.raises(InvalidAdminCode, match="admin code") as caught:
        AdminCode.parse(text)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("440300", "prefecture-level division '440300' where a county is required"),
        ("440000", "province-level division '440000'"),
    ],
    ids=["prefecture", "province"],
)
def test_county_level_is_required_on_request(text: str, message: str) -> None:
    with pytest.raises(InvalidAdminCode) as caught:
        AdminCode.parse(text, level="county")
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("350203000", "street part '000'; expected 001–599"),
        ("350203601", "street part '601'"),
        ("350200001", "prefecture-level division '350200'"),
        ("35020300１", "non-ASCII digit '１'"),
        ("35020300", "has 8 digits; expected 9"),
    ],
    ids=["street-000", "street-6xx", "under-prefecture", "full-width", "too-short"],
)
def test_street_code_rejections(text: str, message: str) -> None:
    with pytest.raises(InvalidAdminCode, match="street code") as caught:
        StreetCode.parse(text)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("350203001000", "community part '000'"),
        ("350203000001", "street part '000'"),
        ("35020300100", "has 11 digits; expected 12"),
    ],
    ids=["community-000", "street-000", "too-short"],
)
def test_community_code_rejections(text: str, message: str) -> None:
    with pytest.raises(InvalidAdminCode, match="community code") as caught:
        CommunityCode.parse(text)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "text",
    ["4403041", "44030400", "4403040050", "44030400500", "4403040050010"],
    ids=["7", "8", "10", "11", "13"],
)
def test_parse_admin_code_names_the_three_lengths(text: str) -> None:
    with pytest.raises(InvalidAdminCode) as caught:
        parse_admin_code(text)
    assert f"has {len(text)} digits; expected 6 (county" in str(caught.value)


@pytest.mark.parametrize(
    ("number", "message"),
    [(0, "street number"), (600, "1–599"), ("1", "'1'")],
    ids=["zero", "600", "str"],
)
def test_street_from_parts_rejects_bad_numbers(number: object, message: str) -> None:
    with pytest.raises(InvalidAdminCode) as caught:
        StreetCode.from_parts(AdminCode.parse("350203"), number)  # type: ignore[arg-type]
    assert message in str(caught.value)


@pytest.mark.parametrize("vintage", [23, "2023", 2023.0, True], ids=["short", "str", "float", "bool"])
def test_vintage_must_be_a_year(vintage: object) -> None:
    with pytest.raises(InvalidAdminCode, match="is not an edition year"):
        AdminCode("440304", vintage)  # type: ignore[arg-type]


def test_invalid_admin_code_is_an_invalid_code() -> None:
    assert issubclass(InvalidAdminCode, InvalidCode)


def _division_rows() -> list[dict[str, str]]:
    if not SHARED_DIVISIONS.exists():
        pytest.skip(f"{SHARED_DIVISIONS} is absent (it lives outside the repository)")
    with SHARED_DIVISIONS.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_nbs_2023_row_parses_with_its_parent_and_kind() -> None:
    suffix_kind = {"街道": "street", "镇": "town", "乡": "township"}
    rows = _division_rows()
    for row in rows:
        code = parse_admin_code(row["code"])
        if row["level"] == "township":
            assert isinstance(code, StreetCode)
            assert str(code.county) == row["parent_code"]
            expected = next(
                (kind for sfx, kind in suffix_kind.items() if row["name"].endswith(sfx)), "special"
            )
            assert code.kind == expected, row
        else:
            assert isinstance(code, AdminCode)
            assert code.level == row["level"], row
    assert len(rows) == 98
