"""Component identifiers (部件标识码): county 6 + class code + serial 6.

Legacy (CJ/T 214-2007 / GB/T 30428.2-2013 practice) ids are 16 digits, county 6 + major 2 +
minor 2 + serial 6 (e.g. 3205080101000001); GB/T 47678.5-2026 table 2 ids are 17 digits,
admin 6 + major 2 + minor 3 + serial 6 (README §2.1). The length tells the scheme. The
division part must be county-level, as in the legacy definition; serials count from 1.
"""

from dataclasses import dataclass
from typing import Self

from grid_codes._digits import describe, is_digits, show
from grid_codes.admin import DEFAULT_VINTAGE, AdminCode, InCounty, check_county_level, check_vintage
from grid_codes.classes import ClassCode, ClassTable, Scheme
from grid_codes.errors import InvalidAdminCode, InvalidComponentId, UnknownClass

__all__ = ["ComponentId"]

_LENGTHS: dict[str, int] = {"legacy": 16, "gb47678": 17}
_EXPECT = {
    "legacy": "16 ASCII digits (county 6 + major 2 + minor 2 + serial 6)",
    "gb47678": "17 ASCII digits (county 6 + major 2 + minor 3 + serial 6)",
}
_EXPECT_ANY = (
    "16 (legacy: county 6 + major 2 + minor 2 + serial 6) or"
    " 17 (gb47678: county 6 + major 2 + minor 3 + serial 6) ASCII digits"
)


@dataclass(frozen=True, slots=True, order=True)
class ComponentId(InCounty):
    """A component identifier of either scheme; `vintage` is that of its county code."""

    code: str
    vintage: int = DEFAULT_VINTAGE

    def __post_init__(self) -> None:
        code = self.code
        if not (is_digits(code, 16) or is_digits(code, 17)):
            raise InvalidComponentId(describe(code, "component id", _EXPECT_ANY))
        try:
            check_county_level(code[:6], "component id", code)
            check_vintage(self.vintage, f"component id {code!r}")
        except InvalidAdminCode as exc:
            raise InvalidComponentId(str(exc)) from None
        major, minor = code[6:8], code[8:-6]
        if major == "00" or minor.count("0") == len(minor):
            raise InvalidComponentId(
                f"component id {show(code)} has class major {major!r} and minor {minor!r};"
                " neither may be all zeros"
            )
        if code[-6:] == "000000":
            raise InvalidComponentId(
                f"component id {show(code)} has serial '000000'; serials count from 000001"
            )

    @classmethod
    def parse(
        cls,
        text: object,
        scheme: Scheme | None = None,
        *,
        vintage: int = DEFAULT_VINTAGE,
        table: ClassTable | None = None,
        allow_local: bool = False,
    ) -> Self:
        """Parse an id of `scheme` (or either, by length); with `table`, check its class too."""
        if scheme is not None and scheme not in _LENGTHS:
            raise InvalidComponentId(
                f"component id scheme {show(scheme)} is unknown; expected 'legacy' or 'gb47678'"
            )
        if not isinstance(text, str) or (scheme is not None and len(text) != _LENGTHS[scheme]):
            expected = _EXPECT[scheme] if scheme is not None else _EXPECT_ANY
            what = f"{scheme} component id" if scheme is not None else "component id"
            raise InvalidComponentId(describe(text, what, expected))
        component = cls(text, vintage)
        if table is not None:
            try:
                table.lookup(component.scheme, "component", text[6:-6], allow_local=allow_local)
            except UnknownClass as exc:
                raise UnknownClass(f"component id {show(text)}: {exc}") from None
        return component

    @classmethod
    def from_parts(cls, county: AdminCode, class_code: ClassCode, serial: int) -> Self:
        """The id of component `serial` (1–999999) of `class_code` in `county`."""
        if class_code.kind != "component":
            raise InvalidComponentId(
                f"class {class_code.code} is a {class_code.scheme} {class_code.kind} class;"
                " a component id needs a component class"
            )
        if type(serial) is not int or not 1 <= serial <= 999_999:
            raise InvalidComponentId(f"component serial {serial!r} is out of range; expected an int 1–999999")
        return cls(f"{county.code}{class_code.code}{serial:06d}", county.vintage)

    def __str__(self) -> str:
        return self.code

    @property
    def scheme(self) -> Scheme:
        """'legacy' for 16 digits, 'gb47678' for 17."""
        return "legacy" if len(self.code) == 16 else "gb47678"

    @property
    def class_code(self) -> ClassCode:
        """The component class (major + minor)."""
        return ClassCode(self.scheme, "component", self.code[6:-6])

    @property
    def serial(self) -> int:
        """The 6-digit serial within county and class."""
        return int(self.code[-6:])
