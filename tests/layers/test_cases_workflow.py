"""The case workflow state machine: every (state, action, role), against a table written out here."""

import itertools

import pytest

from gis.auth import ROLES
from gis.errors import InvalidParameter, InvalidTransition, PermissionDenied
from layers.case_workflow import ACTIONS, STATES, actions_from, next_state

# The workflow of issue 7, written independently of layers/case_workflow.py:
# (from state, action) -> to state
ALLOWED = {
    ("reported", "file"): "filed",
    ("filed", "dispatch"): "dispatched",
    ("dispatched", "handle"): "handled",
    ("handled", "feed_back"): "fed_back",
    ("fed_back", "verify"): "verified",
    ("verified", "close"): "closed",
    ("fed_back", "rework"): "dispatched",
    ("reported", "cancel"): "cancelled",
    ("filed", "cancel"): "cancelled",
    ("reported", "self_handle"): "closed",
}
CENTRE = {"dispatcher", "admin"}
FIELD = {"inspector", "dispatcher", "admin"}
ROLES_OF = {
    "file": CENTRE,
    "dispatch": CENTRE,
    "handle": CENTRE,
    "feed_back": CENTRE,
    "verify": FIELD,
    "close": CENTRE,
    "rework": FIELD,
    "cancel": CENTRE,
    "self_handle": {"inspector", "admin"},
}


def test_the_table_covers_every_action_and_state():
    assert set(ROLES_OF) == set(ACTIONS)
    assert {s for s, _ in ALLOWED} | set(ALLOWED.values()) == set(STATES)


@pytest.mark.parametrize(
    ("state", "action", "role"), list(itertools.product(STATES, ACTIONS, ROLES)), ids=lambda v: str(v)
)
def test_every_transition(state, action, role):
    if role not in ROLES_OF[action]:
        with pytest.raises(PermissionDenied, match=f"role '{role}' may not {action}"):
            next_state(state, action, role)
    elif (state, action) not in ALLOWED:
        with pytest.raises(InvalidTransition, match=f"cannot {action} .* a case that is {state}"):
            next_state(state, action, role)
    else:
        assert next_state(state, action, role) == ALLOWED[(state, action)]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", STATES)
def test_actions_from_lists_exactly_the_allowed_ones(state, role):
    expected = {a for (s, a) in ALLOWED if s == state and role in ROLES_OF[a]}
    assert set(actions_from(state, role)) == expected


@pytest.mark.parametrize("state", ["closed", "cancelled"])
def test_final_states_have_no_way_out(state):
    assert actions_from(state, "admin") == ()


def test_the_full_path_with_one_rework_ends_closed():
    state = "reported"
    for action in [
        "file",
        "dispatch",
        "handle",
        "feed_back",
        "rework",
        "handle",
        "feed_back",
        "verify",
        "close",
    ]:
        state = next_state(state, action, "dispatcher")
    assert state == "closed"


@pytest.mark.parametrize("action", ["", "FILE", "close ", "drop table", 42, None], ids=repr)
def test_unknown_actions_are_refused_naming_the_actions(action):
    with pytest.raises(InvalidParameter, match="choose one of file, dispatch"):
        next_state("reported", action, "admin")


def test_unknown_role_may_do_nothing():
    with pytest.raises(PermissionDenied):
        next_state("reported", "file", "root")
