"""Map contractors' column names to onemap's standard component fields (GB/T 47678.5 table 2).

The packaged `mappings/default.yml` lists, under `fields:`, the aliases of every standard field. A user
mapping file changes it per field:

    extend:              # aliases added to the default ones
      name: [设施名称]
    override:            # aliases that replace the default ones (`fields:` is read as `override:`)
      state: [现状]

Every problem of a user's file is told in one error, each at its line. An import notes the file's aliases
that matched no delivered column, and the free-attribute columns that read as a slip of an alias of a
field their file lacks (部件状太 for 部件状态); the mapping never reads such a column itself.
"""

import difflib
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from gis.errors import ConfigurationError, ImportValidationError
from layers.components import PLACE_NAMES, STATES, VERSION_FIELD
from layers.mapping_file import CLASS_CODE, STATE, MappingFile

STANDARD_FIELDS: tuple[str, ...] = (
    "id",
    "name",
    "class_code",
    "competent_dept_code",
    "competent_dept_name",
    "owner_dept_code",
    "owner_dept_name",
    "maintainer_dept_code",
    "maintainer_dept_name",
    "grid_code",
    "state",
    "initial_date",
    "change_date",
    "data_source",
    "note",
    "street_code",
    "community_code",
    "street_name",
    "community_name",
    VERSION_FIELD,
)


_SLIPS_KEPT = 4096  # column names whose near aliases a mapping keeps (FieldMapping._slip_of)
_NEGATIONS = frozenset("不未无没非")  # before a state word: the state is denied (无破损), not named
DBF_NAME_BYTES = 10  # a .dbf field name's limit, which Shapefile writers cut longer names to


def fold(name: str) -> str:
    """The matching key of a column name: NFKC (full-width to half-width), without whitespace (a header
    cell wrapped in Excel with Alt+Enter, 主管部门⏎名称, or spaced out, 名  称), case-folded."""
    return "".join(unicodedata.normalize("NFKC", name).split()).casefold()


@dataclass(frozen=True)
class ResolvedFields:
    """Which source column feeds each standard field, and the columns kept as free attributes."""

    fields: Mapping[str, str]  # standard field -> source column
    extra: tuple[str, ...]  # unmapped source columns, in file order
    missing: tuple[str, ...]  # standard fields no column maps to
    cut: Mapping[str, str] = field(default_factory=dict)  # source column -> the alias it is the start of
    # every column giving the class, in file order, when there are several (a form's 小类代码 and 小类名称)
    class_columns: tuple[str, ...] = ()

    def renames(self) -> dict[str, str]:
        """Source column -> standard field, for DataFrame.rename."""
        return {column: name for name, column in self.fields.items()}


class MappingEntry(NamedTuple):
    """A column name a user's mapping file lists for a standard field, and where."""

    origin: str  # the file
    line: int
    section: str  # extend, override or fields
    field: str
    alias: str


@dataclass(frozen=True, eq=False)
class FieldMapping:
    """Aliases per standard field, with an index from folded alias to field."""

    aliases: Mapping[str, tuple[str, ...]]
    origin: str = "<mapping>"
    # a contractor's own class values (雨水井, JG01), folded as column names are, -> the class code
    classes: Mapping[str, str] = field(default_factory=dict)
    # state values in common use (正常, 损坏) or a contractor's own, folded -> the standard state (完好)
    states: Mapping[str, str] = field(default_factory=dict)
    # the aliases user mapping files listed (none of the packaged default's), for `unmatched_notes`
    entries: tuple[MappingEntry, ...] = ()
    # per folded written class value (each key of `classes`), the mapping file and line that gave its code:
    # a code the import's scheme does not know (the scheme is chosen after the file is read) is told there
    class_lines: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    _index: Mapping[str, str] = field(init=False, repr=False)
    _slips: dict[str, tuple[tuple[str, str], ...]] = field(init=False, repr=False)  # see `_slip_of`

    def __post_init__(self) -> None:
        if unknown := [name for name in self.aliases if name not in STANDARD_FIELDS]:
            raise ImportValidationError(f"{self.origin}: {unknown[0]!r} is not a standard field")
        index, clashes = _indexed(self.aliases)
        if clashes:
            alias, other, name = clashes[0]
            raise ImportValidationError(
                f"{self.origin}: alias {alias!r} is listed under both {other!r} and {name!r}")
        object.__setattr__(self, "aliases", MappingProxyType({k: tuple(v) for k, v in self.aliases.items()}))
        object.__setattr__(self, "classes", MappingProxyType(dict(self.classes)))
        object.__setattr__(self, "states", MappingProxyType(dict(self.states)))
        object.__setattr__(self, "entries", tuple(self.entries))
        object.__setattr__(self, "class_lines", MappingProxyType(dict(self.class_lines)))
        object.__setattr__(self, "_index", MappingProxyType(index))
        object.__setattr__(self, "_slips", {})

    @classmethod
    def default(cls) -> "FieldMapping":
        """The packaged default mapping (layers/mappings/default.yml)."""
        return _default()

    @classmethod
    def from_yaml(cls, path: Path, *, base: "FieldMapping | None" = None) -> "FieldMapping":
        """The default (or `base`) mapping extended / overridden by a user's YAML file."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ImportValidationError(f"{path}: cannot read the mapping file: {error}") from None
        return (base or cls.default())._merged(text, str(path))

    def _merged(self, text: str, origin: str, *, user: bool = True) -> "FieldMapping":
        """This mapping changed by a mapping file; every problem of the file in one error. A `user` file's
        aliases are kept as `entries`."""
        reading = MappingFile(text, origin, STANDARD_FIELDS)
        aliases = {name: list(names) for name, names in self.aliases.items()}
        classes, states, class_lines = dict(self.classes), dict(self.states), dict(self.class_lines)
        entries: list[MappingEntry] = []
        for section, node in reading.sections():
            if section == "classes":
                for written, (code, line) in reading.values(section, node, CLASS_CODE).items():
                    classes[fold(written)], class_lines[fold(written)] = code, (origin, line)
            elif section == "states":
                states |= {fold(k): v for k, (v, _) in reading.values(section, node, STATE).items()}
            else:
                for name, listed in reading.fields(section, node):
                    values = [alias for _, alias in listed]
                    aliases[name] = [*aliases.get(name, []), *values] if section == "extend" else values
                    entries += [MappingEntry(origin, line, section, name, alias) for line, alias in listed]
        merged = {k: tuple(dict.fromkeys(v)) for k, v in aliases.items()}
        _tell_clashes(reading, merged, entries)
        reading.raise_problems()
        kept = [e for e in (*self.entries, *entries) if e.alias in merged[e.field]] if user else []
        return FieldMapping(merged, origin, classes, states, tuple(kept), class_lines)

    def class_code_of(self, value: object) -> str | None:
        """The class code the `classes:` section gives a written class value, else None."""
        return self.classes.get(fold(str(value))) if value is not None and self.classes else None

    def state_of(self, value: object) -> str | None:
        """The standard state the `states:` section gives a written state (正常 → 完好), else None."""
        return self.states.get(fold(str(value))) if value is not None and self.states else None

    def state_within(self, value: object) -> str | None:
        """The one standard state that a longer state value names (轻微破损 → 破损, 完好无损 → 完好,
        正常使用中 → 完好), by a standard state or a `states:` value written in it; None when it names none,
        two different ones (破损丢失), or one after a negation (无破损, 未丢失, 不完好), which is read as
        nothing."""
        if value is None:
            return None
        written = fold(str(value))
        named = set()
        for word, state in (*((s, s) for s in STATES), *self.states.items()):
            start = written.find(word)
            while start >= 0:
                if start == 0 or written[start - 1] not in _NEGATIONS:
                    named.add(state)
                start = written.find(word, start + 1)
        return named.pop() if len(named) == 1 else None

    def field_named(self, name: str) -> str | None:
        """The standard field that `name` names: the field itself (competent_dept_name) or an alias
        (主管部门名称, ZGBMMC); None for neither."""
        return name if name in STANDARD_FIELDS else self._index.get(fold(name))

    def resolve(self, columns: Sequence[str], *, source: str | Path | None = None,
                yielding: Sequence[str] = ()) -> ResolvedFields:
        """Match source columns to standard fields; two columns for one field is an error naming both, except
        for the class, which census forms write as a code and a name side by side: the first feeds
        `fields`, all are `class_columns`, to be read together. A column in `yielding` (a KML placemark's
        Name, its label) gives way to another column of its field, and is then an extra column; so are
        the second and later columns of a street or community name (an export's SZJDMC beside the
        所属街道 a survey delivered before)."""
        matched: dict[str, list[str]] = {}
        extra: list[str] = []
        cut: dict[str, str] = {}
        for column in columns:
            name = self._index.get(fold(str(column)))
            if name is None and (alias := self._cut_off(str(column))) is not None:
                name, cut[column] = self._index[alias], alias
            if name is None:
                extra.append(column)
            else:
                matched.setdefault(name, []).append(column)
        for name, cols in matched.items():
            if len(cols) > 1 and (giving_way := [c for c in cols if c in yielding]):
                matched[name] = [c for c in cols if c not in yielding] or cols[:1]
                extra += [c for c in giving_way if c not in matched[name]]
            elif len(cols) > 1 and name in PLACE_NAMES:  # only compared with where rows lie: the first is
                matched[name], extra = cols[:1], [*extra, *cols[1:]]  # enough, the others stay attributes
        clashes = [f"{cols} all map to {name!r}" for name, cols in matched.items()
                   if len(cols) > 1 and name != "class_code"]
        if clashes:
            where = f"{source}: " if source is not None else ""
            raise ImportValidationError(
                f"{where}columns {'; '.join(clashes)}: drop or rename all but one, or pass a mapping file"
            )
        fields = {name: cols[0] for name, cols in matched.items()}
        return ResolvedFields(
            fields=MappingProxyType(fields),
            extra=tuple(extra),
            missing=tuple(name for name in STANDARD_FIELDS if name not in fields),
            cut=MappingProxyType(cut),
            class_columns=tuple(matched["class_code"]) if len(matched.get("class_code", ())) > 1 else (),
        )

    def misspelling_notes(self, columns: Iterable[str], carried: Collection[str]) -> list[str]:
        """A note per column of a file kept as a free attribute that reads as a slip of an alias of a
        field the file does not carry (部件状太 for 部件状态, ZGBMC for ZGBMMC), which the field then
        lacks without a word. The note asks: a name that close may still be another attribute."""
        notes: list[str] = []
        for column in columns:
            near = [(name, alias) for name, alias in self._slip_of(column) if name not in carried]
            if near:
                meant = " or ".join(f"{alias!r} ({name})" for name, alias in near)
                target = near[0][0] if len(near) == 1 else "FIELD"
                notes.append(f"column {column!r} is kept as a free attribute; did you mean {meant}? Add it "
                             f"to the mapping's fields if so (extend: {{{target}: [{column!r}]}})")
        return notes

    def unmatched_notes(self, columns: Iterable[str]) -> list[str]:
        """A note per alias of a user's mapping file that none of `columns` (the delivered files' column
        names, or the aliases cut names were read as) matches: a misspelt or a stale entry."""
        read = {fold(column) for column in columns}
        return [f"{e.origin} line {e.line}: {e.section}: {e.alias!r} ({e.field}) matched no column of the "
                "delivered files" for e in self.entries if fold(e.alias) not in read]

    def _slip_of(self, column: str) -> tuple[tuple[str, str], ...]:
        """Each standard field with its alias that `column` is a slip of (`_is_slip`), closest first;
        cached per name, as a delivery's layers repeat their columns. Nothing for an alias itself (a KML
        label that gave way to another column of its field)."""
        key = fold(column)
        if key in self._index:
            return ()
        if key in self._slips:
            return self._slips[key]
        if len(self._slips) >= _SLIPS_KEPT:
            self._slips.clear()
        closest: dict[str, tuple[float, str]] = {}  # field -> (likeness, alias as written)
        for name, aliases in self.aliases.items():
            for alias in aliases:
                if _is_slip(folded := fold(alias), key):
                    likeness = difflib.SequenceMatcher(None, folded, key, autojunk=False).ratio()
                    closest[name] = max(closest.get(name, (0.0, "")), (likeness, alias))
        ranked = sorted(closest.items(), key=lambda item: -item[1][0])
        self._slips[key] = tuple((name, alias) for name, (_, alias) in ranked)
        return self._slips[key]

    def _cut_off(self, column: str) -> str | None:
        """The alias a dBase field name is the start of, cut at 10 bytes (主管部门名称 → 主管部门名 in a
        GBK Shapefile), when the name fills those bytes and begins the aliases of one field only."""
        key = fold(column)
        if not any(DBF_NAME_BYTES - 1 <= len(key.encode(codec, errors="replace")) <= DBF_NAME_BYTES
                   for codec in ("gbk", "utf-8")):
            return None
        aliases = [alias for alias in self._index if alias.startswith(key) and alias != key]
        return aliases[0] if len({self._index[a] for a in aliases}) == 1 else None

    def aliases_cut_to(self, name: str, codec: str, width: int = DBF_NAME_BYTES) -> dict[str, str]:
        """Each standard field with its first alias too long for a .dbf name in `codec` that reads `name`
        once cut to `width` bytes (管理部 in UTF-8: 管理部件标识码, 管理部件名称 …): the fields a cut name
        may have been."""
        key = fold(name)
        found: dict[str, str] = {}
        for field_name, aliases in self.aliases.items():
            for alias in aliases:
                try:
                    long = len(alias.encode(codec)) > DBF_NAME_BYTES
                except UnicodeEncodeError:
                    continue
                if long and fold(cut_to_bytes(alias, codec, width)) == key:
                    found.setdefault(field_name, alias)
        return found


def cut_to_bytes(text: str, codec: str, size: int) -> str:
    """The longest start of `text` that is at most `size` bytes in `codec`, no character split."""
    return text.encode(codec)[:size].decode(codec, errors="ignore")


@lru_cache(maxsize=1)
def _default() -> FieldMapping:
    resource = resources.files("layers").joinpath("mappings", "default.yml")
    try:
        text = resource.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigurationError(f"the packaged field mapping {resource} is missing: {error}") from None
    return FieldMapping({}, "default.yml")._merged(text, "layers/mappings/default.yml", user=False)


def _indexed(aliases: Mapping[str, Sequence[str]]) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    """Folded alias -> field, and each alias listed under a second field as (alias, first, second)."""
    index: dict[str, str] = {}
    clashes: list[tuple[str, str, str]] = []
    for name, names in aliases.items():
        for alias in names:
            other = index.setdefault(fold(alias), name)
            if other != name:
                clashes.append((alias, other, name))
    return index, clashes


def _is_slip(alias: str, column: str) -> bool:
    """Whether the folded `column` is the folded `alias` with one character added, dropped or replaced
    (two in names of 8 characters or more): a slip, not another name. Numbered columns (备注2,
    DeptName4) are other columns; names under 4 characters (5 for Latin letters: BJZT and SZWZ are both
    initials in use) are too short to tell. A replaced character mostly makes another name in short
    names, so it counts in Latin names of 8 letters or more only (SZXQMC, 所在小区名称, is not SZSQMC),
    and in a Chinese name of 4 characters only as the last one, which the input method picked wrong
    (部件状太 for 部件状态; 部件大类, 部件型号 and 小区名称 are other names)."""
    shortest = min(len(alias), len(column))
    if shortest < (5 if alias.isascii() else 4) or abs(len(alias) - len(column)) > 2:
        return False
    opcodes = difflib.SequenceMatcher(None, alias, column, autojunk=False).get_opcodes()
    edits = [(tag, alias[i1:i2], column[j1:j2], i1) for tag, i1, i2, j1, j2 in opcodes if tag != "equal"]
    if sum(max(len(was), len(now)) for _, was, now, _ in edits) > (2 if shortest >= 8 else 1):
        return False
    if all((was + now).isdigit() for _, was, now, _ in edits):
        return False
    replaced = [at for tag, _, _, at in edits if tag == "replace"]
    if not replaced or shortest >= 8:
        return True
    return not alias.isascii() and (shortest > 4 or replaced == [len(alias) - 1])


def _tell_clashes(reading: MappingFile, aliases: Mapping[str, Sequence[str]],
                  entries: Sequence[MappingEntry]) -> None:
    """An alias listed under two fields, told at the line of the file that lists it."""
    lines = {(e.field, fold(e.alias)): e.line for e in entries}
    for alias, other, name in _indexed(aliases)[1]:
        line = lines.get((name, fold(alias))) or lines.get((other, fold(alias))) or 1
        reading.problems.append((line, f"alias {alias!r} is listed under both {other!r} and {name!r}"))
