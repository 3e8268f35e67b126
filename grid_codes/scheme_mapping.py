"""Legacy ↔ GB/T 47678.5-2026 class mapping by name, and a report of what does not map.

Classes are matched within one kind (component with component, event with matter) by
their minor names, in three tiers, each class used at most once:

1. exact: the names are identical.
2. normalised: the names are identical after NFKC folding (full-width （） become ASCII ())
   and removing whitespace and punctuation (Unicode categories P*). So 变压器(箱) matches
   变压器（箱） and 焚烧垃圾树叶 matches 焚烧垃圾、树叶, while the text inside brackets is
   kept: 道路遗撒 does not match 道路遗撒（洒）.
3. synonym: the explicit `SYNONYMS` list, each entry backed by the `notes` column of the
   legacy row (checked when the mapping is built, dropped if the note is gone).

Nothing else counts as a match: 上水井盖/供水井盖, 通讯/通信 and 坐椅/座椅 look alike but are
left for a person to decide, because a wrong mapping silently re-classifies an inventory.
"""

import unicodedata
from dataclasses import dataclass
from typing import Literal

from grid_codes.classes import KINDS, ClassInfo, ClassTable, Kind, default_table

__all__ = [
    "SYNONYMS",
    "ClassMatch",
    "SchemeMapping",
    "Synonym",
    "build_mapping",
    "mapping_report",
    "normalise_name",
]

MatchHow = Literal["exact", "normalised", "synonym"]


@dataclass(frozen=True, slots=True)
class Synonym:
    """A legacy class known by another name that is a GB/T 47678.5 name."""

    kind: Kind
    legacy_code: str
    gb47678_name: str
    evidence: str
    """Text the legacy row's `notes` must contain for the synonym to apply."""


# README §2.2: the Beijing-Chaoyang list numbers major 01 like the legacy list up to 0127,
# and names position 0114 不明井盖, which is the GB/T 47678.5 name of 01023.
SYNONYMS: tuple[Synonym, ...] = (
    Synonym("component", "0114", "不明井盖", "Beijing-Chaoyang list has 不明井盖"),
)


@dataclass(frozen=True, slots=True)
class ClassMatch:
    """One legacy class and the GB/T 47678.5 class it maps to."""

    legacy: ClassInfo
    gb47678: ClassInfo
    how: MatchHow


@dataclass(frozen=True, slots=True)
class SchemeMapping:
    """The name mapping of one kind, with the classes left over on each side."""

    kind: Kind
    matches: tuple[ClassMatch, ...]
    unmapped_legacy: tuple[ClassInfo, ...]
    unmapped_gb47678: tuple[ClassInfo, ...]

    def to_gb47678(self, legacy_code: str) -> ClassMatch | None:
        """The match of a legacy class code, or None."""
        return next((m for m in self.matches if m.legacy.code.code == legacy_code), None)

    def to_legacy(self, gb47678_code: str) -> ClassMatch | None:
        """The match of a GB/T 47678.5 class code, or None."""
        return next((m for m in self.matches if m.gb47678.code.code == gb47678_code), None)

    def count(self, how: MatchHow) -> int:
        """Number of matches made by one tier."""
        return sum(1 for m in self.matches if m.how == how)


def normalise_name(name: str) -> str:
    """NFKC-fold a class name and drop whitespace and punctuation."""
    folded = unicodedata.normalize("NFKC", name)
    return "".join(ch for ch in folded if not ch.isspace() and not unicodedata.category(ch).startswith("P"))


def build_mapping(kind: Kind, table: ClassTable | None = None) -> SchemeMapping:
    """Match the legacy and GB/T 47678.5 classes of `kind` by name."""
    table = table or default_table()
    legacy = table.classes("legacy", kind)
    modern = table.classes("gb47678", kind)
    taken: set[str] = set()
    matched: dict[str, ClassMatch] = {}

    def claim(old: ClassInfo, new: ClassInfo | None, how: MatchHow) -> None:
        if new is not None and new.code.code not in taken and old.code.code not in matched:
            taken.add(new.code.code)
            matched[old.code.code] = ClassMatch(old, new, how)

    def unique(candidates: tuple[ClassInfo, ...] | list[ClassInfo]) -> ClassInfo | None:
        return candidates[0] if len(candidates) == 1 else None  # ambiguous names map nowhere

    for old in legacy:
        claim(old, unique(table.find_by_name("gb47678", kind, old.name or "")), "exact")

    by_norm: dict[str, list[ClassInfo]] = {}
    for info in modern:
        by_norm.setdefault(normalise_name(info.name or ""), []).append(info)
    for old in legacy:
        claim(old, unique(by_norm.get(normalise_name(old.name or ""), [])), "normalised")

    legacy_by_code = {info.code.code: info for info in legacy}
    for synonym in SYNONYMS:
        old_info = legacy_by_code.get(synonym.legacy_code)
        if synonym.kind == kind and old_info is not None and synonym.evidence in old_info.notes:
            new_info = unique(table.find_by_name("gb47678", kind, synonym.gb47678_name))
            claim(old_info, new_info, "synonym")

    return SchemeMapping(
        kind=kind,
        matches=tuple(matched[info.code.code] for info in legacy if info.code.code in matched),
        unmapped_legacy=tuple(info for info in legacy if info.code.code not in matched),
        unmapped_gb47678=tuple(info for info in modern if info.code.code not in taken),
    )


def _line(info: ClassInfo) -> str:
    """One class as a report line: code, name and major."""
    return f"    {info.code.code} {info.name} [{info.code.major} {info.major_name}]"


def mapping_report(table: ClassTable | None = None) -> str:
    """A plain-text report of the mapping of both kinds, listing unmapped classes both ways."""
    lines = ["Legacy (CJ/T 214 / GB/T 30428.2 practice) <-> GB/T 47678.5-2026, by class name"]
    for kind in KINDS:
        mapping = build_mapping(kind, table)
        total_old = len(mapping.matches) + len(mapping.unmapped_legacy)
        total_new = len(mapping.matches) + len(mapping.unmapped_gb47678)
        lines.append("")
        lines.append(
            f"{kind}: {len(mapping.matches)} of {total_old} legacy classes map"
            f" ({mapping.count('exact')} exact, {mapping.count('normalised')} normalised,"
            f" {mapping.count('synonym')} synonym); {len(mapping.unmapped_gb47678)} of"
            f" {total_new} gb47678 classes have no legacy counterpart"
        )
        for match in mapping.matches:
            if match.how != "exact":
                lines.append(
                    f"    {match.how}: {match.legacy.code.code} {match.legacy.name}"
                    f" -> {match.gb47678.code.code} {match.gb47678.name}"
                )
        lines.append(
            f"  legacy {kind} classes without a gb47678 counterpart ({len(mapping.unmapped_legacy)}):"
        )
        lines.extend(_line(info) for info in mapping.unmapped_legacy)
        lines.append(
            f"  gb47678 {kind} classes without a legacy counterpart ({len(mapping.unmapped_gb47678)}):"
        )
        lines.extend(_line(info) for info in mapping.unmapped_gb47678)
    return "\n".join(lines) + "\n"
