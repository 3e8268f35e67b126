"""Unit grid codes (单元网格标识码): county 6 + street 3 + community 3 + serial 3.

GB/T 30428.1-2013 and Beijing DB11 practice use 15 digits; GB/T 47678.5-2026 declares the
field as 15 characters. CJ/T 213-2005 data is commonly read as 14 digits with a 2-digit
serial (README §1.2, unverified), so `GridCode.parse` accepts 14 digits and emits 15 by
zero-padding the serial. Serials count from 001 west to east, then north to south,
inside one community (DB11; CJ/T 349-2010), and a grid never crosses a community
boundary (README §1.3), which is why every grid code starts with a community code.
"""

from dataclasses import dataclass
from typing import Self

from grid_codes._digits import describe, is_digits, show
from grid_codes.admin import (
    DEFAULT_VINTAGE,
    AdminCode,
    CommunityCode,
    InCounty,
    StreetCode,
    check_community_part,
    check_county_level,
    check_street_part,
    check_vintage,
)
from grid_codes.errors import InvalidAdminCode, InvalidGridCode

__all__ = ["GridCode"]

_EXPECT = "15 (county 6 + street 3 + community 3 + serial 3) or the legacy 14"
_EXPECT_15 = "15 ASCII digits (county 6 + street 3 + community 3 + serial 3)"


@dataclass(frozen=True, slots=True, order=True)
class GridCode(InCounty):
    """A 15-digit unit grid code; `vintage` is that of the division codes it embeds."""

    code: str
    vintage: int = DEFAULT_VINTAGE

    def __post_init__(self) -> None:
        if not is_digits(self.code, 15):
            raise InvalidGridCode(describe(self.code, "grid code", _EXPECT_15))
        code = self.code
        try:
            check_county_level(code[:6], "grid code", code)
            check_street_part(code[6:9], "grid code", code)
            check_community_part(code[9:12], "grid code", code)
            check_vintage(self.vintage, f"grid code {code!r}")
        except InvalidAdminCode as exc:
            raise InvalidGridCode(str(exc)) from None
        if code[12:] == "000":
            raise InvalidGridCode(
                f"grid code {show(code)} has serial '000'; serials count from 001 (GB/T 30428.1)"
            )

    @classmethod
    def parse(
        cls, text: object, vintage: int = DEFAULT_VINTAGE, *, allow_legacy: bool = True
    ) -> Self:
        """Parse 15 digits, or with `allow_legacy` the CJ/T 213 14-digit form (2-digit serial)."""
        if isinstance(text, str):
            if len(text) == 15:
                return cls(text, vintage)
            if allow_legacy and is_digits(text, 14):
                if text[12:] == "00":
                    raise InvalidGridCode(
                        f"legacy grid code {show(text)} has serial '00'; serials count from 01"
                        " (CJ/T 213-2005)"
                    )
                return cls(f"{text[:12]}0{text[12:]}", vintage)
        expected = _EXPECT if allow_legacy else _EXPECT_15
        raise InvalidGridCode(describe(text, "grid code", expected))

    @classmethod
    def from_community(
        cls,
        community: CommunityCode,
        serial: int,
        *,
        street: StreetCode | None = None,
        county: AdminCode | None = None,
    ) -> Self:
        """The grid `serial` (1–999) of `community`; `street`/`county`, if given, must agree."""
        if street is not None and street.code != community.code[:9]:
            raise InvalidGridCode(
                f"community {community.code} lies in street {community.code[:9]}, not in the"
                f" given street {street.code}; a grid cannot cross a street boundary"
            )
        if county is not None and county.code != community.code[:6]:
            raise InvalidGridCode(
                f"community {community.code} lies in county {community.code[:6]}, not in the"
                f" given county {county.code}; a grid cannot cross a county boundary"
            )
        if type(serial) is not int or not 1 <= serial <= 999:
            raise InvalidGridCode(
                f"grid serial {serial!r} in community {community.code} is out of range;"
                " expected an int 1–999"
            )
        return cls(f"{community.code}{serial:03d}", community.vintage)

    def __str__(self) -> str:
        return self.code

    def to_legacy(self) -> str:
        """The CJ/T 213 14-digit form, for serials up to 99."""
        if self.code[12] != "0":
            raise InvalidGridCode(
                f"grid code {self.code} has serial {self.code[12:]}; the legacy 14-digit form"
                " holds serials 01–99 only"
            )
        return self.code[:12] + self.code[13:]

    @property
    def serial(self) -> int:
        """The serial number within the community (1–999)."""
        return int(self.code[12:])

    @property
    def community(self) -> CommunityCode:
        """The community/village the grid lies in."""
        return CommunityCode(self.code[:12], self.vintage)

    @property
    def street(self) -> StreetCode:
        """The street/town/township the grid lies in."""
        return StreetCode(self.code[:9], self.vintage)
