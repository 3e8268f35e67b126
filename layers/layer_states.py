"""The states a layer's features can be in, by layer kind: the filters of items and tiles refuse others."""

from collections.abc import Collection, Iterable, Mapping
from types import MappingProxyType

from gis.errors import InvalidParameter
from layers.case_workflow import STATES as CASE_STATES
from layers.components import STATES as COMPONENT_STATES

STATES_BY_KIND: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"components": COMPONENT_STATES, "cases": CASE_STATES})


def check_states(values: Iterable[str], kinds: Collection[str]) -> None:
    """Refuse a state that no layer of these kinds can have: filtering on it would match nothing, and a
    typo (破损 typed 破坏) would look like an empty map. Kinds without a known list take any state."""
    if not kinds or any(kind not in STATES_BY_KIND for kind in kinds):
        return
    known = {state for kind in kinds for state in STATES_BY_KIND[kind]}
    for value in values:
        if value not in known:
            lists = "; ".join(f"{'/'.join(STATES_BY_KIND[kind])} ({kind})" for kind in sorted(kinds))
            raise InvalidParameter(f"state={value[:60]!r} is not one of {lists}")
