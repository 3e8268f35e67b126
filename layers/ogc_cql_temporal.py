"""CQL2's temporal functions (OGC 21-065r2, 7.8): T_AFTER(a, b), T_DURING(a, INTERVAL(…)) and the rest.

The standard defines every function as a condition on the begin and end of its two operands; an instant is
an interval whose begin and end coincide, and an open end of an INTERVAL ('..') is unbounded. Both CQL2
encodings and pygeofilter's infix draft form (`a T_AFTER b`, with its draft names T_BEGINS … T_ENDEDBY)
become one `TemporalRelation`, which the filter compiler turns into those conditions.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from pygeofilter import ast, values

from gis.local_time import read_timestamp

OPEN_END = ".."

BEGIN, END = 0, 1
# Each function: the (end of the first operand, operator, end of the second operand) that must all hold.
ENDPOINT_CONDITIONS: dict[str, tuple[tuple[int, str, int], ...]] = {
    "t_before": ((END, "<", BEGIN),),
    "t_after": ((BEGIN, ">", END),),
    "t_meets": ((END, "=", BEGIN),),
    "t_metby": ((BEGIN, "=", END),),
    "t_overlaps": ((BEGIN, "<", BEGIN), (END, ">", BEGIN), (END, "<", END)),
    "t_overlappedby": ((BEGIN, ">", BEGIN), (BEGIN, "<", END), (END, ">", END)),
    "t_starts": ((BEGIN, "=", BEGIN), (END, "<", END)),
    "t_startedby": ((BEGIN, "=", BEGIN), (END, ">", END)),
    "t_during": ((BEGIN, ">", BEGIN), (END, "<", END)),
    "t_contains": ((BEGIN, "<", BEGIN), (END, ">", END)),
    "t_finishes": ((END, "=", END), (BEGIN, ">", BEGIN)),
    "t_finishedby": ((END, "=", END), (BEGIN, "<", BEGIN)),
    "t_equals": ((BEGIN, "=", BEGIN), (END, "=", END)),
    "t_intersects": ((BEGIN, "<=", END), (END, ">=", BEGIN)),
}
NEGATED = {"t_disjoint": "t_intersects"}
FUNCTIONS = tuple(ENDPOINT_CONDITIONS) + tuple(NEGATED)
_DRAFT_NAMES = {"t_begins": "t_starts", "t_begunby": "t_startedby", "t_ends": "t_finishes",
                "t_endedby": "t_finishedby"}


@dataclass
class TemporalRelation(ast.Predicate):
    """One temporal function applied to two operands: each a property, a date or timestamp, or an
    INTERVAL (`values.Interval`) whose ends are those or None when open."""

    function: str
    lhs: Any
    rhs: Any

    def get_sub_nodes(self) -> list[Any]:
        return [self.lhs, self.rhs]

    def get_template(self) -> str:
        return f"{self.function.upper()}({{}}, {{}})"


def function_named(name: str) -> str | None:
    """The temporal function a name (any case, standard or draft) names, or None when it names none."""
    function = _DRAFT_NAMES.get(name.lower(), name.lower())
    return function if function in FUNCTIONS else None


def interval(start: Any, end: Any) -> values.Interval:
    """An INTERVAL whose ends are properties, dates, timestamps or their text; '..' is an open end."""
    return values.Interval(_end(start), _end(end))


def _end(value: Any) -> Any:
    return None if value == OPEN_END or value is None else value


def json_operand(node: Any) -> Any:
    """A CQL2 JSON temporal operand: {"property"}, {"date"}, {"timestamp"}, {"interval": [a, b]}, or text."""
    if not isinstance(node, dict):
        return node
    if "interval" in node and isinstance(node["interval"], list) and len(node["interval"]) == 2:
        return interval(*[json_operand(end) for end in node["interval"]])
    if "property" in node:
        return ast.Attribute(str(node["property"]))
    if "date" in node:
        return date.fromisoformat(str(node["date"]))
    if "timestamp" in node:
        return read_timestamp(str(node["timestamp"]))
    raise ValueError(f"{node!r} is not a date, a timestamp, an interval or a property")
