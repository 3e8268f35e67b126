"""Component and event class codes of the two schemes, loaded from the shipped CSV tables.

Two schemes are shipped (README §0, §2): `legacy`, the 4-digit codes (major 2 + minor 2) of
CJ/T 214-2007 / GB/T 30428.2-2013 as deployed, and `gb47678`, the 5-digit codes (major 2 +
minor 3) of GB/T 47678.5-2026. GB/T 47678.5 renames events (事件) to matters (事项); both
are kind 'event' here. Components and matters share the code form (01001 is both 供水井盖
and 供水井盖异常), so a class is keyed by (scheme, kind, code), never by the code alone.

Legacy deployments extend the list locally (README §2.1): majors 07 and 21–99 are local
extension majors (扩展部件/扩展事件), and minors 90–99 are local catch-alls (其他…). Such codes
are accepted only when the caller passes `allow_local=True`, and are flagged `is_local`.
"""

import csv
import functools
import io
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Literal, Self

from grid_codes._digits import describe, is_digits, show
from grid_codes.errors import InvalidClassCode, UnknownClass

__all__ = [
    "KINDS",
    "SCHEMES",
    "ClassCode",
    "ClassInfo",
    "ClassTable",
    "Kind",
    "MajorInfo",
    "Scheme",
    "default_table",
]

Scheme = Literal["legacy", "gb47678"]
Kind = Literal["component", "event"]
SCHEMES: tuple[Scheme, ...] = ("legacy", "gb47678")
KINDS: tuple[Kind, ...] = ("component", "event")

CODE_LENGTHS: dict[str, int] = {"legacy": 4, "gb47678": 5}
_LAYOUT = {"legacy": "major 2 + minor 2", "gb47678": "major 2 + minor 3"}
_KIND_LABEL = {
    ("legacy", "component"): "component (部件)",
    ("legacy", "event"): "event (事件)",
    ("gb47678", "component"): "component (管理部件)",
    ("gb47678", "event"): "event (管理事项)",
}
# The `scheme` column of the shipped CSVs, mapped to onemap's scheme names.
_CSV_SCHEMES: dict[str, Scheme] = {
    "legacy CJ/T214-2007/GB/T30428.2-2013 (practice)": "legacy",
    "GB/T 47678.5-2026": "gb47678",
}
_CSV_FILES: dict[Kind, str] = {"component": "components.csv", "event": "events.csv"}


def _is_local_major(major: str) -> bool:
    """Legacy local extension majors: 07 and 21–99 (README §2.1)."""
    return major == "07" or major >= "21"


@dataclass(frozen=True, slots=True, order=True)
class ClassCode:
    """A class code of one scheme and kind, e.g. ('gb47678', 'component', '01001')."""

    scheme: Scheme
    kind: Kind
    code: str

    def __post_init__(self) -> None:
        if self.scheme not in CODE_LENGTHS:
            raise InvalidClassCode(
                f"class scheme {show(self.scheme)} is unknown; expected 'legacy' or 'gb47678'"
            )
        if self.kind not in KINDS:
            raise InvalidClassCode(
                f"class kind {show(self.kind)} is unknown; expected 'component' or 'event'"
            )
        size = CODE_LENGTHS[self.scheme]
        what = f"{self.scheme} {self.kind} class code"
        if not is_digits(self.code, size):
            raise InvalidClassCode(describe(self.code, what, f"{size} ASCII digits ({_LAYOUT[self.scheme]})"))
        if self.code[:2] == "00" or self.code[2:] == "0" * (size - 2):
            raise InvalidClassCode(
                f"{what} {self.code!r} has major {self.code[:2]!r} and minor {self.code[2:]!r};"
                " neither may be all zeros"
            )

    @classmethod
    def parse(cls, text: object, *, kind: Kind = "component", scheme: Scheme | None = None) -> Self:
        """Parse a class code; the scheme is taken from the length (4 legacy, 5 gb47678)."""
        if scheme is None:
            size = len(text) if isinstance(text, str) else -1
            if size not in (4, 5):
                raise InvalidClassCode(
                    describe(text, f"{kind} class code", "4 (legacy) or 5 (gb47678) ASCII digits")
                )
            scheme = "legacy" if size == 4 else "gb47678"
        if not isinstance(text, str):
            raise InvalidClassCode(describe(text, f"{scheme} {kind} class code", "a str"))
        return cls(scheme, kind, text)

    def __str__(self) -> str:
        return self.code

    @property
    def major(self) -> str:
        """The 2-digit major class (大类)."""
        return self.code[:2]

    @property
    def minor(self) -> str:
        """The minor class (小类): 2 digits legacy, 3 digits gb47678."""
        return self.code[2:]

    @property
    def name(self) -> str:
        """The minor class name in the shipped table (UnknownClass if it lacks the code)."""
        return default_table().lookup(self.scheme, self.kind, self.code).name or ""

    def info(self, table: "ClassTable | None" = None, *, allow_local: bool = False) -> "ClassInfo":
        """Look this code up in `table` (the shipped one by default)."""
        return (table or default_table()).lookup(self.scheme, self.kind, self.code, allow_local=allow_local)


@dataclass(frozen=True, slots=True)
class ClassInfo:
    """What a class table knows about one class; names are None for unlisted local classes."""

    code: ClassCode
    major_name: str | None
    name: str | None
    geometry_type_inferred: str | None
    related_component: ClassCode | None
    is_local: bool
    is_catch_all: bool
    in_table: bool
    source: str
    notes: str


@dataclass(frozen=True, slots=True)
class MajorInfo:
    """A major class (大类) with the number of minor classes the table lists in it."""

    scheme: Scheme
    kind: Kind
    code: str
    name: str
    count: int


class ClassTable:
    """All classes of both schemes and kinds, keyed by (scheme, kind, code)."""

    def __init__(self, infos: list[ClassInfo]) -> None:
        self._by_key: dict[tuple[str, str, str], ClassInfo] = {}
        self._by_name: dict[tuple[str, str, str], list[ClassInfo]] = {}
        self._majors: dict[tuple[str, str], dict[str, list[ClassInfo]]] = {}
        for info in infos:
            key = (info.code.scheme, info.code.kind, info.code.code)
            if key in self._by_key:
                raise InvalidClassCode(f"class table lists {key} twice")
            self._by_key[key] = info
            self._by_name.setdefault((key[0], key[1], info.name or ""), []).append(info)
            majors = self._majors.setdefault((key[0], key[1]), {})
            majors.setdefault(info.code.major, []).append(info)
        for majors in self._majors.values():
            for members in majors.values():
                members.sort(key=lambda item: item.code.code)

    @classmethod
    def load(cls) -> Self:
        """Load the tables shipped in `grid_codes/tables/`."""
        folder = resources.files("grid_codes") / "tables"
        texts = {kind: (folder / name).read_text(encoding="utf-8") for kind, name in _CSV_FILES.items()}
        return cls.from_csv(texts["component"], texts["event"])

    @classmethod
    def from_csv(cls, components: str, events: str) -> Self:
        """Build a table from the text of a components CSV and an events CSV."""
        infos = _read_rows(components, "component", _CSV_FILES["component"])
        infos += _read_rows(events, "event", _CSV_FILES["event"])
        table = cls(infos)
        for info in infos:
            related = info.related_component
            if related is not None and table.get(related.scheme, related.kind, related.code) is None:
                raise InvalidClassCode(
                    f"{info.code.scheme} event {info.code.code} names related component"
                    f" {related.code}, which the components table does not list"
                )
        return table

    def __len__(self) -> int:
        return len(self._by_key)

    def __iter__(self) -> Iterator[ClassInfo]:
        return iter(self._by_key.values())

    def __contains__(self, code: object) -> bool:
        if not isinstance(code, ClassCode):
            return False
        return (code.scheme, code.kind, code.code) in self._by_key

    def get(self, scheme: Scheme, kind: Kind, code: str) -> ClassInfo | None:
        """The listed class, or None (no local extension handling)."""
        return self._by_key.get((scheme, kind, code))

    def find_by_name(self, scheme: Scheme, kind: Kind, name: str) -> tuple[ClassInfo, ...]:
        """The listed classes whose minor name is exactly `name` (normally one or none)."""
        return tuple(self._by_name.get((scheme, kind, name), ()))

    def lookup(self, scheme: Scheme, kind: Kind, code: str, *, allow_local: bool = False) -> ClassInfo:
        """The class `code`; UnknownClass if unlisted (legacy local codes need `allow_local`)."""
        info = self._by_key.get((scheme, kind, code))
        if info is not None:
            return info
        class_code = ClassCode(scheme, kind, code)  # raises InvalidClassCode if malformed
        return self._unlisted(class_code, allow_local)

    def classes(self, scheme: Scheme, kind: Kind) -> tuple[ClassInfo, ...]:
        """All listed classes of one scheme and kind, in code order."""
        majors = self._majors_of(scheme, kind)
        return tuple(info for major in sorted(majors) for info in majors[major])

    def majors(self, scheme: Scheme, kind: Kind) -> tuple[MajorInfo, ...]:
        """The major classes of one scheme and kind, in code order."""
        majors = self._majors_of(scheme, kind)
        return tuple(
            MajorInfo(scheme, kind, major, majors[major][0].major_name or "", len(majors[major]))
            for major in sorted(majors)
        )

    def classes_in_major(self, scheme: Scheme, kind: Kind, major: str) -> tuple[ClassInfo, ...]:
        """The listed classes of one major, in code order (empty for an unlisted major)."""
        return tuple(self._majors_of(scheme, kind).get(major, ()))

    def counts_per_major(self, scheme: Scheme, kind: Kind) -> dict[str, int]:
        """Number of listed classes per major code."""
        return {major.code: major.count for major in self.majors(scheme, kind)}

    def _majors_of(self, scheme: Scheme, kind: Kind) -> dict[str, list[ClassInfo]]:
        """The per-major index of one scheme and kind; rejects unknown schemes and kinds."""
        if scheme not in CODE_LENGTHS or kind not in KINDS:
            raise InvalidClassCode(
                f"class scheme/kind {show(scheme)}/{show(kind)} is unknown; expected scheme"
                " 'legacy' or 'gb47678' and kind 'component' or 'event'"
            )
        return self._majors.get((scheme, kind), {})

    def _unlisted(self, code: ClassCode, allow_local: bool) -> ClassInfo:
        """Accept a legacy local class when allowed, else explain why `code` is unknown."""
        label = f"{code.scheme} {_KIND_LABEL[(code.scheme, code.kind)]} class {code.code!r}"
        majors = self._majors_of(code.scheme, code.kind)
        listed = majors.get(code.major)
        local_major = code.scheme == "legacy" and _is_local_major(code.major)
        catch_all = code.scheme == "legacy" and code.minor[0] == "9"
        if local_major or (catch_all and listed is not None):
            if allow_local:
                return ClassInfo(
                    code=code,
                    major_name=listed[0].major_name if listed else None,
                    name=None,
                    geometry_type_inferred=None,
                    related_component=None,
                    is_local=True,
                    is_catch_all=catch_all,
                    in_table=False,
                    source="local extension (not in the shipped table)",
                    notes="",
                )
            why = (
                f"major {code.major} is a local extension major (07, 21–99)"
                if local_major
                else f"minor {code.minor} is a local catch-all (9x, 其他)"
            )
            raise UnknownClass(
                f"{label} is a local extension, not in the shipped table: {why} (README §2.1);"
                " pass allow_local=True to accept local classes"
            )
        if listed is None:
            known = ", ".join(sorted(majors))
            local = "; local extension majors are 07 and 21–99" if code.scheme == "legacy" else ""
            raise UnknownClass(f"{label} has major {code.major!r}, which is not one of {known}{local}")
        minors = [int(info.code.minor) for info in listed]
        width = len(code.minor)
        gaps = sorted(set(range(min(minors), max(minors) + 1)) - set(minors))
        gap_text = " with gaps " + ", ".join(f"{gap:0{width}d}" for gap in gaps) if gaps else ""
        raise UnknownClass(
            f"{label} is not in the table; major {code.major} ({listed[0].major_name}) lists"
            f" minors {min(minors):0{width}d}–{max(minors):0{width}d}{gap_text}"
        )


_REQUIRED_COLUMNS = (
    "scheme",
    "major_code",
    "major_name",
    "minor_code",
    "minor_name",
    "full_class_code",
    "source",
    "notes",
)


def _read_rows(text: str, kind: Kind, origin: str) -> list[ClassInfo]:
    """Parse one class CSV into ClassInfo rows, checking each row's structure."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [col for col in _REQUIRED_COLUMNS if col not in (reader.fieldnames or ())]
    if missing:
        raise InvalidClassCode(f"{origin} lacks the columns {', '.join(missing)}")
    infos: list[ClassInfo] = []
    major_names: dict[tuple[str, str], str] = {}
    for row in reader:
        where = f"{origin} line {reader.line_num}"
        scheme = _CSV_SCHEMES.get(row["scheme"])
        if scheme is None:
            raise InvalidClassCode(f"{where}: scheme {show(row['scheme'])} is not a known scheme")
        try:
            code = ClassCode(scheme, kind, row["full_class_code"])
        except InvalidClassCode as exc:
            raise InvalidClassCode(f"{where}: {exc}") from None
        if row["major_code"] != code.major or row["minor_code"] != code.code:
            raise InvalidClassCode(
                f"{where}: major_code {row['major_code']!r} / minor_code {row['minor_code']!r}"
                f" disagree with full_class_code {code.code!r}"
            )
        if not row["minor_name"] or not row["major_name"]:
            raise InvalidClassCode(f"{where}: class {code.code} has an empty name")
        first_name = major_names.setdefault((scheme, code.major), row["major_name"])
        if first_name != row["major_name"]:
            raise InvalidClassCode(
                f"{where}: major {code.major} is named {row['major_name']!r} here but {first_name!r} above"
            )
        related = row.get("related_component_code") or ""
        legacy = scheme == "legacy"
        catch_all = legacy and code.minor[0] == "9"
        infos.append(
            ClassInfo(
                code=code,
                major_name=row["major_name"],
                name=row["minor_name"],
                geometry_type_inferred=row.get("geometry_type_inferred") or None,
                related_component=ClassCode(scheme, "component", related) if related else None,
                is_local=catch_all or (legacy and _is_local_major(code.major)),
                is_catch_all=catch_all,
                in_table=True,
                source=row["source"],
                notes=row["notes"],
            )
        )
    return infos


@functools.cache
def default_table() -> ClassTable:
    """The shipped table, loaded once on first use."""
    return ClassTable.load()
