"""A user's field-mapping YAML file read node by node (layers.field_mapping merges what it gives), so that
each problem is told with its line, all in one error: unknown sections and fields, values that are not
column names, class codes or states, and keys written twice (YAML would keep the last one silently)."""

from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

import yaml

from gis.errors import ImportValidationError
from layers.components import STATES

SECTIONS = ("extend", "override", "fields", "classes", "states")


class Target(NamedTuple):
    """What a value section maps to: a test of the target, and how the error shows a good one."""

    fits: Callable[[str], bool]
    example: str


CLASS_CODE = Target(str.isdigit, "a class code: 雨水井: '01003'")
STATE = Target(lambda state: state in STATES, f"one of the states {'/'.join(STATES)}: 正常: 完好")


class MappingFile:
    """A YAML mapping file read node by node, so that each problem is told with its line, all in one
    error (`raise_problems`)."""

    def __init__(self, text: str, origin: str, fields: Sequence[str]) -> None:
        self.origin = origin
        self.standard_fields = fields  # the field names the alias sections may list
        self.problems: list[tuple[int, str]] = []
        try:
            self._loader = yaml.SafeLoader(text)
            self.root = self._loader.get_single_node()
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            where = f" line {mark.line + 1}" if mark is not None else ""
            what = "; ".join(str(part) for part in (error.context, error.problem) if part)
            raise ImportValidationError(f"{origin}{where}: invalid YAML: {what}") from None
        except yaml.YAMLError as error:
            raise ImportValidationError(f"{origin}: invalid YAML: {error}") from None

    def problem(self, node: yaml.Node | None, message: str) -> None:
        self.problems.append((node.start_mark.line + 1 if node is not None else 1, message))

    def raise_problems(self) -> None:
        if self.problems:
            ordered = sorted(self.problems, key=lambda problem: problem[0])
            raise ImportValidationError("\n".join(f"{self.origin} line {line}: {message}"
                                                  for line, message in ordered))

    def value(self, node: yaml.Node) -> object:
        """The node's value as yaml.safe_load reads it (NO is False, 01003 the octal number 515)."""
        try:
            return self._loader.construct_object(node, deep=True)
        except yaml.YAMLError as error:
            self.problem(node, f"cannot read {node.value!r}: {getattr(error, 'problem', error)}")
            return node.value if isinstance(node, yaml.ScalarNode) else None

    def text(self, node: yaml.Node) -> object:
        """A value as written: an unquoted 01003 (to YAML the octal number 515) or 1.10 stays the text the
        user typed, as a cell's value is text; other nodes as `value` reads them."""
        if isinstance(node, yaml.ScalarNode) and node.style is None and node.value[:1].isdigit():
            return node.value
        return self.value(node)

    def pairs(self, node: yaml.MappingNode, where: str) -> list[tuple[yaml.Node, yaml.Node]]:
        """The key and value nodes of a mapping, merge keys (<<) applied; a key written twice is a problem,
        as YAML would keep the last one without a word."""
        first: dict[tuple[str, str], yaml.Node] = {}
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                seen = first.setdefault((key.tag, key.value), key)
                if seen is not key:
                    self.problem(key, f"{where}{key.value!r} is written twice (also at line "
                                      f"{seen.start_mark.line + 1}); YAML would keep only the last one")
        self._loader.flatten_mapping(node)
        return list(node.value)

    def sections(self) -> Iterator[tuple[str, yaml.Node]]:
        if not isinstance(self.root, yaml.MappingNode) or not self.root.value:
            self.problem(self.root, "expected a mapping with 'extend' and/or 'override'")
            return
        for key, node in self.pairs(self.root, ""):
            section = self.value(key)
            if section in SECTIONS:
                yield str(section), node
            else:
                self.problem(key, f"unknown key {section!r}; use 'extend', 'override', 'classes' or 'states'")

    def fields(self, section: str, node: yaml.Node) -> Iterator[tuple[str, list[tuple[int, str]]]]:
        """A section of aliases (extend, override, fields): each standard field with its column names
        and their lines."""
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"{section}: expected standard field: [column names]")
            return
        for key, names in self.pairs(node, f"{section}: "):
            name = self.value(key)
            if name not in self.standard_fields:
                self.problem(key, f"{section}: {name!r} is not a standard field (one of "
                                  f"{', '.join(self.standard_fields)})")
            elif listed := self.names(f"{section}.{name}", names):
                yield str(name), listed

    def names(self, key: str, node: yaml.Node) -> list[tuple[int, str]]:
        """Column names with their lines: a string or a list of non-empty strings."""
        scalar = isinstance(node, yaml.ScalarNode) and isinstance(self.value(node), str)
        items = [node] if scalar else node.value if isinstance(node, yaml.SequenceNode) else []
        if not items:
            self.problem(node, f"{key}: expected a list of column names")
        names: list[tuple[int, str]] = []
        for item in items:
            name = self.value(item)
            if isinstance(name, str) and name.strip():
                names.append((item.start_mark.line + 1, name))
            else:
                self.problem(item, f"{key}: {name!r} is not a column name (quote names such as 'NO', 'Y' or "
                                   "'123')")
        return names

    def values(self, section: str, node: yaml.Node, target: Target) -> dict[str, tuple[str, int]]:
        """A `classes:` or `states:` section: written value -> (class code or standard state, its line),
        each as the user wrote it (an unquoted 01003 is the code, not YAML's octal number)."""
        if not isinstance(node, yaml.MappingNode) or not node.value:
            self.problem(node, f"{section}: expected written value: {target.example}")
            return {}
        values: dict[str, tuple[str, int]] = {}
        for key, mapped_node in self.pairs(node, f"{section}: "):
            written, mapped = self.text(key), self.text(mapped_node)
            if isinstance(mapped, str) and target.fits(mapped.strip()):
                values[str(written)] = (mapped.strip(), mapped_node.start_mark.line + 1)
            else:
                self.problem(mapped_node, f"{section}: {written!r}: {mapped!r} is not {target.example}")
        return values
