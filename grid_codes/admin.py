"""Administrative division codes: GB/T 2260 (6 digits), GB/T 10114 (9) and NBS statistical (12).

Codes below county level are renumbered often (README §5: Xiamen 同安区 towns 350212106/108
became streets 350212003/004 between 2017 and 2023), so every code carries the vintage
(edition year) of the list it comes from, and two codes are equal only if their vintages
are too. The rules checked here are structural; whether a code exists in a given vintage
is a question for the division tables, not for this module.
"""

from dataclasses import dataclass
from typing import Literal, Self

from grid_codes._digits import describe, is_digits, show
from grid_codes.errors import InvalidAdminCode

__all__ = [
    "DEFAULT_VINTAGE",
    "PREFECTURES_WITHOUT_COUNTIES",
    "PROVINCE_CODES",
    "AdminCode",
    "AdminLevel",
    "CommunityCode",
    "StreetCode",
    "StreetKind",
    "parse_admin_code",
]

DEFAULT_VINTAGE = 2023
"""The NBS 统计用区划代码 edition the shipped division data comes from (cut-off 2023-06-30)."""

# GB/T 2260 province-level prefixes: 11–15 North, 21–23 North-East, 31–37 East, 41–46
# Central-South, 50–54 South-West, 61–65 North-West, 71 Taiwan, 81 Hong Kong, 82 Macao.
PROVINCE_CODES: frozenset[str] = frozenset(
    f"{n:02d}"
    for lo, hi in ((11, 15), (21, 23), (31, 37), (41, 46), (50, 54), (61, 65), (71, 71), (81, 82))
    for n in range(lo, hi + 1)
)

# GB/T 2260 prefecture-level cities without county-level divisions (不设区的地级市): their
# streets and towns hang directly off the prefecture code, e.g. 东莞 441900003 莞城街道.
PREFECTURES_WITHOUT_COUNTIES: frozenset[str] = frozenset({"4419", "4420", "4604", "6202"})

AdminLevel = Literal["province", "prefecture", "county"]
StreetKind = Literal["street", "town", "township", "special"]

_PROVINCES_TEXT = "11–15, 21–23, 31–37, 41–46, 50–54, 61–65, 71, 81, 82"
_EXPECT_6 = "6 ASCII digits (province 2 + prefecture 2 + county 2, GB/T 2260)"
_EXPECT_9 = "9 ASCII digits (county 6 + street 3, GB/T 10114)"
_EXPECT_12 = "12 ASCII digits (county 6 + street 3 + community 3, NBS 统计用区划代码)"
_STREET_RANGES = "001–099 街道, 100–199 镇, 200–399 乡, 400–599 farms, zones and similar"
_KIND_NAMES: dict[str, str] = {
    "street": "街道",
    "town": "镇",
    "township": "乡",
    "special": "类似乡级单位",
}


def check_vintage(vintage: object, what: str) -> None:
    """Reject a vintage that is not a plausible edition year."""
    if type(vintage) is not int or not 1980 <= vintage <= 2100:
        raise InvalidAdminCode(
            f"{what} vintage {vintage!r} is not an edition year; expected an int such as"
            f" {DEFAULT_VINTAGE} (1980–2100)"
        )


def division_level(part: str, what: str, whole: str) -> AdminLevel:
    """Check the 6-digit GB/T 2260 `part` of `whole` and return its level."""
    if part[:2] not in PROVINCE_CODES:
        raise InvalidAdminCode(
            f"{what} {show(whole)} has province part {part[:2]!r}, which is not a GB/T 2260"
            f" province; expected one of {_PROVINCES_TEXT}"
        )
    if part[2:4] == "00":
        if part[4:] != "00":
            raise InvalidAdminCode(
                f"{what} {show(whole)} has prefecture part '00' but county part {part[4:]!r};"
                " GB/T 2260 puts no county directly under a province code"
            )
        return "province"
    return "prefecture" if part[4:] == "00" else "county"


def check_county_level(part: str, what: str, whole: str) -> None:
    """Check that the 6-digit `part` of `whole` is a county-level division."""
    level = division_level(part, what, whole)
    if level == "county" or part[:4] in PREFECTURES_WITHOUT_COUNTIES:
        return
    raise InvalidAdminCode(
        f"{what} {show(whole)} has the {level}-level division {part!r} where a county is"
        " required; expected a GB/T 2260 county code (county part not '00'; the exceptions"
        " are the prefectures without counties 441900, 442000, 460400, 620200)"
    )


def check_street_part(part: str, what: str, whole: str) -> None:
    """Check the 3-digit GB/T 10114 street/township `part` of `whole`."""
    if part == "000" or part[0] > "5":
        raise InvalidAdminCode(
            f"{what} {show(whole)} has street part {part!r}; expected 001–599"
            f" (GB/T 10114: {_STREET_RANGES})"
        )


def check_community_part(part: str, what: str, whole: str) -> None:
    """Check the 3-digit NBS community/village `part` of `whole`."""
    if part == "000":
        raise InvalidAdminCode(
            f"{what} {show(whole)} has community part '000'; expected 001–999 (NBS 居委会/村委会)"
        )


def _check_number(number: object, what: str, highest: int) -> int:
    """Check a local serial number given as an int in 1..highest."""
    if type(number) is not int or not 1 <= number <= highest:
        raise InvalidAdminCode(f"{what} {number!r} is out of range; expected an int 1–{highest}")
    return number


@dataclass(frozen=True, slots=True, order=True)
class AdminCode:
    """A 6-digit GB/T 2260 division code (province, prefecture or county) of one vintage."""

    code: str
    vintage: int = DEFAULT_VINTAGE

    def __post_init__(self) -> None:
        if not is_digits(self.code, 6):
            raise InvalidAdminCode(describe(self.code, "admin code", _EXPECT_6))
        division_level(self.code, "admin code", self.code)
        check_vintage(self.vintage, f"admin code {self.code!r}")

    @classmethod
    def parse(
        cls, text: object, vintage: int = DEFAULT_VINTAGE, *, level: AdminLevel | None = None
    ) -> Self:
        """Parse a 6-digit code; with `level`, also require that level (e.g. 'county')."""
        if not isinstance(text, str):
            raise InvalidAdminCode(describe(text, "admin code", _EXPECT_6))
        admin = cls(text, vintage)
        if level == "county":
            check_county_level(text, "admin code", text)
        elif level is not None and admin.level != level:
            raise InvalidAdminCode(
                f"admin code {text!r} is a {admin.level}-level code; expected a {level}-level one"
            )
        return admin

    def __str__(self) -> str:
        return self.code

    @property
    def level(self) -> AdminLevel:
        """Province ('xx0000'), prefecture ('xxxx00') or county."""
        if self.code[2:] == "0000":
            return "province"
        return "prefecture" if self.code[4:] == "00" else "county"

    @property
    def is_county_level(self) -> bool:
        """Whether streets hang directly off this code (a county, or a prefecture without any)."""
        return self.code[4:] != "00" or self.code[:4] in PREFECTURES_WITHOUT_COUNTIES

    @property
    def province_code(self) -> str:
        """The 2-digit province part."""
        return self.code[:2]

    @property
    def prefecture_code(self) -> str | None:
        """The 4-digit province + prefecture part; None for a province-level code."""
        return None if self.code[2:4] == "00" else self.code[:4]

    @property
    def province(self) -> "AdminCode":
        """The province this code lies in (itself for a province)."""
        return AdminCode(self.code[:2] + "0000", self.vintage)

    @property
    def prefecture(self) -> "AdminCode | None":
        """The prefecture this code lies in (itself for a prefecture); None for a province."""
        if self.code[2:4] == "00":
            return None
        return AdminCode(self.code[:4] + "00", self.vintage)


class InCounty:
    """Accessors shared by every code that starts with a 6-digit county code."""

    __slots__ = ()
    code: str
    vintage: int

    @property
    def county(self) -> AdminCode:
        """The county-level division the code belongs to."""
        return AdminCode(self.code[:6], self.vintage)

    @property
    def province_code(self) -> str:
        """The 2-digit province part."""
        return self.code[:2]

    @property
    def prefecture_code(self) -> str:
        """The 4-digit province + prefecture part."""
        return self.code[:4]


@dataclass(frozen=True, slots=True, order=True)
class StreetCode(InCounty):
    """A 9-digit street/town/township code: county 6 + GB/T 10114 street 3."""

    code: str
    vintage: int = DEFAULT_VINTAGE

    def __post_init__(self) -> None:
        if not is_digits(self.code, 9):
            raise InvalidAdminCode(describe(self.code, "street code", _EXPECT_9))
        check_county_level(self.code[:6], "street code", self.code)
        check_street_part(self.code[6:], "street code", self.code)
        check_vintage(self.vintage, f"street code {self.code!r}")

    @classmethod
    def parse(cls, text: object, vintage: int = DEFAULT_VINTAGE) -> Self:
        """Parse a 9-digit street code exactly as given (nothing is stripped)."""
        if not isinstance(text, str):
            raise InvalidAdminCode(describe(text, "street code", _EXPECT_9))
        return cls(text, vintage)

    @classmethod
    def from_parts(cls, county: AdminCode, number: int) -> Self:
        """The street `number` (1–599) of `county`, in the county's vintage."""
        check_county_level(county.code, "county of a street code", county.code)
        _check_number(number, f"street number in county {county.code}", 599)
        return cls(f"{county.code}{number:03d}", county.vintage)

    def __str__(self) -> str:
        return self.code

    @property
    def number(self) -> int:
        """The 3-digit street number within the county."""
        return int(self.code[6:])

    @property
    def kind(self) -> StreetKind:
        """GB/T 10114 kind by first digit: 0 street, 1 town, 2–3 township, 4–5 special."""
        first = self.code[6]
        if first == "0":
            return "street"
        if first == "1":
            return "town"
        return "township" if first in "23" else "special"

    @property
    def kind_name(self) -> str:
        """The Chinese name of `kind` (街道, 镇, 乡, 类似乡级单位)."""
        return _KIND_NAMES[self.kind]


@dataclass(frozen=True, slots=True, order=True)
class CommunityCode(InCounty):
    """A 12-digit NBS community/village code: county 6 + street 3 + community 3."""

    code: str
    vintage: int = DEFAULT_VINTAGE

    def __post_init__(self) -> None:
        if not is_digits(self.code, 12):
            raise InvalidAdminCode(describe(self.code, "community code", _EXPECT_12))
        check_county_level(self.code[:6], "community code", self.code)
        check_street_part(self.code[6:9], "community code", self.code)
        check_community_part(self.code[9:], "community code", self.code)
        check_vintage(self.vintage, f"community code {self.code!r}")

    @classmethod
    def parse(cls, text: object, vintage: int = DEFAULT_VINTAGE) -> Self:
        """Parse a 12-digit community code exactly as given (nothing is stripped)."""
        if not isinstance(text, str):
            raise InvalidAdminCode(describe(text, "community code", _EXPECT_12))
        return cls(text, vintage)

    @classmethod
    def from_parts(cls, street: StreetCode, number: int) -> Self:
        """The community `number` (1–999) of `street`, in the street's vintage."""
        _check_number(number, f"community number in street {street.code}", 999)
        return cls(f"{street.code}{number:03d}", street.vintage)

    def __str__(self) -> str:
        return self.code

    @property
    def street(self) -> StreetCode:
        """The street/town/township the community belongs to."""
        return StreetCode(self.code[:9], self.vintage)

    @property
    def number(self) -> int:
        """The 3-digit community number within the street."""
        return int(self.code[9:])


def parse_admin_code(
    text: object, vintage: int = DEFAULT_VINTAGE
) -> AdminCode | StreetCode | CommunityCode:
    """Parse a 6-, 9- or 12-digit division code into its type by length."""
    size = len(text) if isinstance(text, str) else -1
    if size == 6:
        return AdminCode.parse(text, vintage)
    if size == 9:
        return StreetCode.parse(text, vintage)
    if size == 12:
        return CommunityCode.parse(text, vintage)
    raise InvalidAdminCode(
        describe(
            text,
            "admin code",
            "6 (county, GB/T 2260), 9 (street, GB/T 10114) or 12 (community, NBS) ASCII digits",
        )
    )
