"""Map contractors' column names to onemap's standard component fields (GB/T 47678.5 table 2).

The packaged `mappings/default.yml` lists, under `fields:`, the aliases of every standard field. A user
mapping file changes it per field:

    extend:              # aliases added to the default ones
      name: [设施名称]
    override:            # aliases that replace the default ones (`fields:` is read as `override:`)
      state: [现状]
"""

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

import yaml

from gis.errors import ConfigurationError, ImportValidationError
from layers.components import STATES

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
)
_SECTIONS = ("extend", "override", "fields", "classes", "states")


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

    def renames(self) -> dict[str, str]:
        """Source column -> standard field, for DataFrame.rename."""
        return {column: name for name, column in self.fields.items()}


@dataclass(frozen=True, eq=False)
class FieldMapping:
    """Aliases per standard field, with an index from folded alias to field."""

    aliases: Mapping[str, tuple[str, ...]]
    origin: str = "<mapping>"
    # a contractor's own class values (雨水井, JG01), folded as column names are, -> the class code
    classes: Mapping[str, str] = field(default_factory=dict)
    # state values in common use (正常, 损坏) or a contractor's own, folded -> the standard state (完好)
    states: Mapping[str, str] = field(default_factory=dict)
    _index: Mapping[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        index: dict[str, str] = {}
        for name, names in self.aliases.items():
            if name not in STANDARD_FIELDS:
                raise ImportValidationError(f"{self.origin}: {name!r} is not a standard field")
            for alias in names:
                other = index.setdefault(fold(alias), name)
                if other != name:
                    raise ImportValidationError(
                        f"{self.origin}: alias {alias!r} is listed under both {other!r} and {name!r}"
                    )
        object.__setattr__(self, "aliases", MappingProxyType({k: tuple(v) for k, v in self.aliases.items()}))
        object.__setattr__(self, "classes", MappingProxyType(dict(self.classes)))
        object.__setattr__(self, "states", MappingProxyType(dict(self.states)))
        object.__setattr__(self, "_index", MappingProxyType(index))

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

    def _merged(self, text: str, origin: str) -> "FieldMapping":
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            raise ImportValidationError(f"{origin}: invalid YAML{where}: {error}") from None
        if not isinstance(document, dict) or not document:
            raise ImportValidationError(f"{origin}: expected a mapping with 'extend' and/or 'override'")
        aliases = {name: list(names) for name, names in self.aliases.items()}
        classes, states = dict(self.classes), dict(self.states)
        for section, entries in document.items():
            if section not in _SECTIONS:
                raise ImportValidationError(f"{origin}: unknown key {section!r}; use 'extend', 'override', "
                                            "'classes' or 'states'")
            if section == "classes":
                classes |= _values(origin, section, entries, _CLASS_CODE)
                continue
            if section == "states":
                states |= _values(origin, section, entries, _STATE)
                continue
            if not isinstance(entries, dict):
                raise ImportValidationError(f"{origin}: {section}: expected standard field: [column names]")
            for name, names in entries.items():
                if name not in STANDARD_FIELDS:
                    raise ImportValidationError(
                        f"{origin}: {section}.{name}: unknown standard field; "
                        f"the fields are {', '.join(STANDARD_FIELDS)}"
                    )
                values = _names(origin, f"{section}.{name}", names)
                aliases[name] = [*aliases.get(name, []), *values] if section == "extend" else values
        return FieldMapping({k: tuple(dict.fromkeys(v)) for k, v in aliases.items()}, origin, classes, states)

    def class_code_of(self, value: object) -> str | None:
        """The class code the `classes:` section gives a written class value, else None."""
        return self.classes.get(fold(str(value))) if value is not None and self.classes else None

    def state_of(self, value: object) -> str | None:
        """The standard state the `states:` section gives a written state (正常 → 完好), else None."""
        return self.states.get(fold(str(value))) if value is not None and self.states else None

    def field_named(self, name: str) -> str | None:
        """The standard field that `name` names: the field itself (competent_dept_name) or an alias
        (主管部门名称, ZGBMMC); None for neither."""
        return name if name in STANDARD_FIELDS else self._index.get(fold(name))

    def resolve(self, columns: Sequence[str], *, source: str | Path | None = None,
                yielding: Sequence[str] = ()) -> ResolvedFields:
        """Match source columns to standard fields; two columns for one field is an error naming both. A
        column in `yielding` (a KML placemark's Name, its label) gives way to another column of its field,
        and is then an extra column."""
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
        clashes = [f"{cols} all map to {name!r}" for name, cols in matched.items() if len(cols) > 1]
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
        )

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
    return FieldMapping({}, "default.yml")._merged(text, "layers/mappings/default.yml")


class _Target(NamedTuple):
    """What a value section maps to: a test of the target, and how the error shows a good one."""

    fits: Callable[[str], bool]
    example: str


_CLASS_CODE = _Target(str.isdigit, "a class code written as text; quote it: 雨水井: '01003'")
_STATE = _Target(lambda state: state in STATES, f"one of the states {'/'.join(STATES)}: 正常: 完好")


def _values(origin: str, section: str, entries: object, target: _Target) -> dict[str, str]:
    """A `classes:` or `states:` section: written value -> class code or standard state, the value
    folded as column names are. Class codes are text: an unquoted 01003 is a number to YAML."""
    if not isinstance(entries, dict) or not entries:
        raise ImportValidationError(f"{origin}: {section}: expected written value: {target.example}")
    values: dict[str, str] = {}
    for value, mapped in entries.items():
        if not isinstance(mapped, str) or not target.fits(mapped.strip()):
            raise ImportValidationError(f"{origin}: {section}: {value!r}: {mapped!r} is not {target.example}")
        values[fold(str(value))] = mapped.strip()
    return values


def _names(origin: str, key: str, value: object) -> list[str]:
    """A list of column names from YAML: a string or a list of non-empty strings."""
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values:
        raise ImportValidationError(f"{origin}: {key}: expected a list of column names")
    for item in values:
        if not isinstance(item, str) or not item.strip():
            raise ImportValidationError(
                f"{origin}: {key}: {item!r} is not a column name (quote names such as 'NO', 'Y' or '123')"
            )
    return list(values)
