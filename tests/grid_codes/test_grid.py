"""Unit grid codes: 15-digit round-trips, the legacy 14-digit form, hierarchy and rejections."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grid_codes.admin import AdminCode, CommunityCode, StreetCode
from grid_codes.errors import InvalidGridCode
from grid_codes.grid import GridCode
from tests.grid_codes import strategies as codes


@given(codes.grids, codes.vintages)
def test_grid_code_round_trips(text: str, vintage: int) -> None:
    grid = GridCode.parse(text, vintage)
    assert str(grid) == text
    assert GridCode.parse(str(grid), vintage) == grid
    assert GridCode.from_community(grid.community, grid.serial) == grid


@given(codes.legacy_grids)
def test_legacy_14_digits_become_15_with_a_padded_serial(text: str) -> None:
    grid = GridCode.parse(text)
    assert str(grid) == f"{text[:12]}0{text[12:]}"
    assert grid.serial == int(text[12:])
    assert grid.to_legacy() == text


@given(st.text(max_size=16))
def test_arbitrary_text_is_parsed_or_rejected_with_invalid_grid_code(text: str) -> None:
    try:
        grid = GridCode.parse(text)
    except InvalidGridCode:
        return
    assert len(text) in (14, 15) and str(grid).startswith(text[:12])


def test_real_zhangjiagang_grid_code() -> None:
    grid = GridCode.parse("320582110152102")
    assert grid.county == AdminCode.parse("320582")
    assert grid.street == StreetCode.parse("320582110")
    assert grid.street.kind == "town"
    assert grid.community == CommunityCode.parse("320582110152")
    assert grid.serial == 102


def test_vintage_is_passed_to_the_embedded_division_codes() -> None:
    grid = GridCode.parse("350212106001001", 2017)
    assert grid.community.vintage == grid.street.vintage == grid.county.vintage == 2017


def test_legacy_form_can_be_refused() -> None:
    with pytest.raises(InvalidGridCode, match="has 14 digits; expected 15 ASCII digits"):
        GridCode.parse("32058211015201", allow_legacy=False)


def test_serial_above_99_has_no_legacy_form() -> None:
    with pytest.raises(InvalidGridCode, match="holds serials 01–99 only"):
        GridCode.parse("320582110152102").to_legacy()


REJECTED = [
    (None, "grid code is missing (None)"),
    ("", "grid code is empty"),
    (
        "4403040050010",
        "grid code '4403040050010' has 13 digits; expected 15 (county 6 + street 3 +"
        " community 3 + serial 3) or the legacy 14",
    ),
    ("4403040050010011", "has 16 digits"),
    ("４４０３０４００５００１００１", "non-ASCII digit '４' (FULLWIDTH DIGIT FOUR) at position 1"),
    (" 440304005001001", "whitespace ' ' (SPACE) at position 1"),
    ("440304005001001\n", "whitespace '\\n'"),
    ("4403040 05001001", "whitespace ' ' (SPACE) at position 8"),
    ("44030400500100A", "non-digit 'A'"),
    ("440304005001000", "serial '000'; serials count from 001"),
    ("44030400500100", "legacy grid code '44030400500100' has serial '00'"),
    ("440304005000001", "community part '000'"),
    ("440304000001001", "street part '000'"),
    ("440304700001001", "street part '700'"),
    ("440300005001001", "prefecture-level division '440300' where a county is required"),
    ("990304005001001", "province part '99'"),
]


@pytest.mark.parametrize(
    ("text", "message"),
    REJECTED,
    ids=[
        "none",
        "empty",
        "13-digits",
        "16-digits",
        "full-width",
        "leading-space",
        "trailing-newline",
        "inner-space",
        "letter",
        "serial-000",
        "legacy-serial-00",
        "community-000",
        "street-000",
        "street-7xx",
        "prefecture-not-county",
        "unknown-province",
    ],
)
def test_grid_code_rejections(text: object, message: str) -> None:
    with pytest.raises(InvalidGridCode) as caught:
        GridCode.parse(text)
    assert message in str(caught.value)


def test_from_community_rejects_a_street_that_disagrees() -> None:
    community = CommunityCode.parse("440304005001")
    with pytest.raises(InvalidGridCode) as caught:
        GridCode.from_community(community, 1, street=StreetCode.parse("440304006"))
    assert str(caught.value) == (
        "community 440304005001 lies in street 440304005, not in the given street 440304006;"
        " a grid cannot cross a street boundary"
    )


def test_from_community_rejects_a_county_that_disagrees() -> None:
    community = CommunityCode.parse("440304005001")
    with pytest.raises(InvalidGridCode, match="lies in county 440304, not in the given county"):
        GridCode.from_community(community, 1, county=AdminCode.parse("440305"))


def test_from_community_accepts_an_agreeing_street_and_county() -> None:
    community = CommunityCode.parse("440304005001")
    grid = GridCode.from_community(community, 7, street=community.street, county=community.county)
    assert str(grid) == "440304005001007"


@pytest.mark.parametrize("serial", [0, 1000, -1, "1", 1.0], ids=["0", "1000", "neg", "str", "float"])
def test_from_community_rejects_bad_serials(serial: object) -> None:
    with pytest.raises(InvalidGridCode, match="expected an int 1–999"):
        GridCode.from_community(CommunityCode.parse("440304005001"), serial)  # type: ignore[arg-type]


def test_grid_codes_are_hashable_and_ordered() -> None:
    a, b = GridCode.parse("440304005001001"), GridCode.parse("440304005001002")
    assert len({a, b, GridCode.parse("440304005001001")}) == 2
    assert sorted([b, a]) == [a, b]
