"""The case workflow as a pure state machine: states, actions, and which roles may take them.

上报 reported → 立案 filed → 派遣 dispatched → 处置 handled → 反馈 fed_back → 核查 verified →
结案 closed; 作废 cancel (before dispatch), 返工 rework (a failed check sends the case back to
the department: fed_back → dispatched), and 自行处置 self_handle (a grid inspector fixes a minor
problem on the spot: reported → closed, counted separately in the evaluation).

Self-handling skips filing, dispatch and verification, so an inspector may take it only on a case
they reported themself from patrol (source `inspector`) that is not of urgency A; anything else — a
hotline, app or video case, someone else's report, an urgent one — goes through the centre
(`self_handle_refusal`). An admin may record a self-handling for an inspector.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, cast, get_args

from gis.auth import Role
from gis.errors import InvalidParameter, InvalidTransition, PermissionDenied

State = Literal["reported", "filed", "dispatched", "handled", "fed_back", "verified", "closed", "cancelled"]
Action = Literal[
    "file", "dispatch", "handle", "feed_back", "verify", "close", "rework", "cancel", "self_handle"
]

STATES: tuple[State, ...] = get_args(State)
ACTIONS: tuple[Action, ...] = get_args(Action)
FINAL_STATES: frozenset[State] = frozenset({"closed", "cancelled"})
STATE_LABELS: Mapping[State, str] = MappingProxyType(
    {
        "reported": "上报",
        "filed": "立案",
        "dispatched": "派遣",
        "handled": "处置",
        "fed_back": "反馈",
        "verified": "核查",
        "closed": "结案",
        "cancelled": "作废",
    }
)

_CENTRE: frozenset[Role] = frozenset({"dispatcher", "admin"})
_FIELD: frozenset[Role] = frozenset({"inspector", "dispatcher", "admin"})


@dataclass(frozen=True)
class Transition:
    """One action: the states it starts from, the state it leads to, the roles that may take it."""

    action: Action
    label: str
    sources: frozenset[State]
    target: State
    roles: frozenset[Role]


TRANSITIONS: Mapping[Action, Transition] = MappingProxyType(
    {
        t.action: t
        for t in (
            Transition("file", "立案", frozenset({"reported"}), "filed", _CENTRE),
            Transition("dispatch", "派遣", frozenset({"filed"}), "dispatched", _CENTRE),
            Transition("handle", "处置", frozenset({"dispatched"}), "handled", _CENTRE),
            Transition("feed_back", "反馈", frozenset({"handled"}), "fed_back", _CENTRE),
            Transition("verify", "核查", frozenset({"fed_back"}), "verified", _FIELD),
            Transition("close", "结案", frozenset({"verified"}), "closed", _CENTRE),
            Transition("rework", "返工", frozenset({"fed_back"}), "dispatched", _FIELD),
            Transition("cancel", "作废", frozenset({"reported", "filed"}), "cancelled", _CENTRE),
            Transition(
                "self_handle",
                "自行处置",
                frozenset({"reported"}),
                "closed",
                frozenset({"inspector", "admin"}),
            ),
        )
    }
)


def transition(action: str) -> Transition:
    """The transition of an action name; InvalidParameter naming the actions for anything else."""
    found = TRANSITIONS.get(cast(Action, action)) if isinstance(action, str) else None
    if found is None:
        shown = repr(action)[:40]
        raise InvalidParameter(f"unknown action {shown}: choose one of {', '.join(ACTIONS)}")
    return found


def next_state(state: str, action: str, role: str) -> State:
    """The state after `role` takes `action` on a case in `state`.

    PermissionDenied when the role may not take the action at all, InvalidTransition when
    the action does not start from this state.
    """
    step = transition(action)
    if role not in step.roles:
        allowed = ", ".join(sorted(step.roles))
        raise PermissionDenied(
            f"role {role!r} may not {action} ({step.label}) a case; roles that may: {allowed}"
        )
    if state not in step.sources:
        sources = ", ".join(sorted(step.sources))
        raise InvalidTransition(
            f"cannot {action} ({step.label}) a case that is {state}: the action starts from {sources}"
        )
    return step.target


def actions_from(state: str, role: str) -> tuple[Action, ...]:
    """The actions `role` may take on a case in `state` (for clients that draw buttons).

    Self-handling also depends on the case's report: see `self_handle_refusal`.
    """
    return tuple(a for a, t in TRANSITIONS.items() if state in t.sources and role in t.roles)


@dataclass(frozen=True)
class Report:
    """How a case came in: what decides, beyond its state, whether an inspector may self-handle it."""

    source: str
    urgency: str
    reported_by: str  # the actor (token name) of the case's report event


def self_handle_refusal(report: Report, *, actor: str, role: str) -> str | None:
    """Why `actor` may not self-handle (自行处置) a case of this report, or None when they may.

    The state and the role are `next_state`'s checks; this one binds inspectors only.
    """
    if role != "inspector":
        return None
    if report.source != "inspector" or report.reported_by != actor:
        reporter = repr(report.reported_by) if report.reported_by else "no one on record"
        return (
            f"inspector {actor!r} may not self-handle (自行处置) this case: it came from {report.source}, "
            f"reported by {reporter}, and an inspector self-handles only a problem they reported themself "
            "on patrol; leave it to the centre to file (立案)"
        )
    if report.urgency == "A":
        return (
            f"inspector {actor!r} may not self-handle (自行处置) this case: it is of urgency A, which the "
            "centre must file and dispatch (立案, 派遣); leave it open for the centre"
        )
    return None

