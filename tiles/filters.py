"""Filters on tiles: `?filter=` CQL2 (compiled by layers.ogc_cql) and the class / state / grid shortcuts.

A filter may name a layer's queryable properties only, those its items API filters on (never a
column the layer does not publish); it applies to every layer of the tileset whose queryables hold
all it names, the other layers of a fused tile (the admin and grid base) are drawn unfiltered. A
filter that no layer of the tileset can take is a 400.
"""

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import tzinfo
from functools import cached_property
from typing import Any

from psycopg import sql
from pygeofilter import ast

from gis.crs import CRS84
from gis.errors import InvalidParameter
from layers.ogc_cql import GEOMETRY_NAMES, compile_filter, parse_filter

_CLASS = re.compile(r"[0-9]{2,6}")
_GRID = re.compile(r"[0-9]{1,15}")
_MAX_STATES = 10


@dataclass(frozen=True)
class TileFilter:
    """The parsed filter of a tile request (None members are absent)."""

    cql: ast.Node | None = None
    class_prefix: str | None = None
    states: tuple[str, ...] = ()
    grid_prefix: str | None = None
    key: str = ""  # stable digest of the filter, part of the cache key

    @property
    def empty(self) -> bool:
        return not self.key

    @property
    def class_only(self) -> bool:
        """Nothing but the class shortcut (the component summary table can answer it)."""
        return self.cql is None and not self.states and self.grid_prefix is None

    def applies_to(self, queryables: Mapping[str, str]) -> bool:
        """Whether a layer with these queryable properties has every one the filter names."""
        return all(name in queryables for name in self.names)

    @cached_property
    def names(self) -> frozenset[str]:
        """The properties the filter names (the CQL tree walked once per request)."""
        names = _attributes(self.cql) if self.cql is not None else set()
        if self.class_prefix is not None:
            names.add("class_code")
        if self.states:
            names.add("state")
        if self.grid_prefix is not None:
            names.add("grid_code")
        return frozenset(names)

    def compile(self, queryables: Mapping[str, str], index: int,
                zone: tzinfo) -> tuple[sql.Composable, dict[str, Any]]:
        """The WHERE condition (alias `t`) and its bound parameters, named apart per source; dates and times
        without an offset are the city's local time `zone`."""
        conditions: list[sql.Composable] = []
        params: dict[str, Any] = {}
        if self.cql is not None:
            condition, cql_params = compile_filter(self.cql, queryables, crs=CRS84, zone=zone,
                                                   prefix=f"cql{index}_")
            conditions.append(condition)
            params.update(cql_params)
        if self.class_prefix is not None:
            conditions.append(sql.SQL("t.class_code LIKE {} || '%%'").format(
                sql.Placeholder(f"class{index}")))
            params[f"class{index}"] = self.class_prefix
        if self.states:
            conditions.append(sql.SQL("t.state = ANY({})").format(sql.Placeholder(f"state{index}")))
            params[f"state{index}"] = list(self.states)
        if self.grid_prefix is not None:
            conditions.append(sql.SQL("t.grid_code LIKE {} || '%%'").format(sql.Placeholder(f"grid{index}")))
            params[f"grid{index}"] = self.grid_prefix
        return sql.SQL("({})").format(sql.SQL(" AND ").join(conditions)), params


def _attributes(node: Any) -> set[str]:
    """The properties a CQL2 expression names (not the geometry, which every layer has)."""
    if isinstance(node, ast.Attribute):
        return set() if node.name in GEOMETRY_NAMES else {node.name}
    found: set[str] = set()
    if isinstance(node, ast.Node):
        for child in node.get_sub_nodes():
            found |= _attributes(child)
    return found


def parse_tile_filter(query: Mapping[str, str]) -> TileFilter:
    """The filter of a tile request's query parameters (InvalidParameter on bad values)."""
    text, lang = query.get("filter"), query.get("filter-lang")
    cql = parse_filter(text, lang) if text is not None and text.strip() else None
    class_prefix = query.get("class")
    if class_prefix is not None and not _CLASS.fullmatch(class_prefix):
        raise InvalidParameter("class must be a class-code prefix of 2 to 6 digits")
    grid_prefix = query.get("grid")
    if grid_prefix is not None and not _GRID.fullmatch(grid_prefix):
        raise InvalidParameter("grid must be a unit-grid or admin code prefix of 1 to 15 digits")
    states: tuple[str, ...] = ()
    if query.get("state"):
        states = tuple(sorted({s.strip() for s in query["state"].split(",") if s.strip()}))
        if len(states) > _MAX_STATES or any(len(s) > 20 for s in states):
            raise InvalidParameter(f"state takes at most {_MAX_STATES} comma-separated values "
                                   "of at most 20 characters")
    parts = [f"filter={text or ''}", f"lang={lang or ''}", f"class={class_prefix or ''}",
             f"state={','.join(states)}", f"grid={grid_prefix or ''}"]
    key = "" if cql is None and class_prefix is None and not states and grid_prefix is None else (
        hashlib.blake2b("\n".join(parts).encode(), digest_size=8).hexdigest())
    return TileFilter(cql, class_prefix, states, grid_prefix, key)
