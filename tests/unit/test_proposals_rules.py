"""Proposals without a database: pounds → pence, the state machine table, and the policy table
(role × state × action → allowed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.auth.models import Role
from app.core.permissions import Permission, can
from app.proposals.models import Proposal, ProposalState
from app.proposals.money import AmountError, parse_pounds, pounds_text
from app.proposals.policy import SUPPORTABLE_STATES
from app.proposals.services import ALLOWED_TRANSITIONS, Mover, is_allowed, may_move, next_states

S = ProposalState


@pytest.mark.parametrize(
    "raw, pence",
    [("2,500", 250000), ("2500", 250000), ("2500.50", 250050), ("2500.5", 250050), ("£1,234.56", 123456),
     (" 7 ", 700), ("0", 0), ("0.01", 1), ("1,000,000", 100000000), ("", None), (None, None), ("100,000,000", 10000000000)],
)
def test_parse_pounds(raw, pence):
    assert parse_pounds(raw) == pence


@pytest.mark.parametrize(
    "raw, code",
    [("abc", "format"), ("2,50", "format"), ("25,00.00", "format"), ("1.2.3", "format"), ("2500.505", "pence"),
     ("-1", "negative"), ("100,000,000.01", "too_large"), ("1e5", "format"), ("£", "format"), ("1,0000", "format")],
)
def test_parse_pounds_errors(raw, code):
    with pytest.raises(AmountError) as info:
        parse_pounds(raw)
    assert info.value.code == code


@given(st.integers(min_value=0, max_value=100_000_000_00))
def test_pounds_text_round_trips(pence):
    assert parse_pounds(pounds_text(pence)) == pence


def test_the_state_machine_table():
    assert set(ALLOWED_TRANSITIONS) == set(ProposalState)
    pairs = {(a, b) for a, targets in ALLOWED_TRANSITIONS.items() for b in targets}
    assert pairs == {
        (S.DRAFT, S.PUBLISHED), (S.PUBLISHED, S.UNDER_REVIEW), (S.UNDER_REVIEW, S.SHORTLISTED),
        (S.UNDER_REVIEW, S.DECLINED), (S.SHORTLISTED, S.ON_BALLOT), (S.ON_BALLOT, S.SELECTED),
        (S.ON_BALLOT, S.NOT_SELECTED), (S.SELECTED, S.IN_DELIVERY), (S.IN_DELIVERY, S.DELIVERED),
    }
    assert all(not is_allowed(s, s) for s in ProposalState)
    assert ALLOWED_TRANSITIONS[S.DRAFT][S.PUBLISHED] is Mover.OWNER
    assert all(m is Mover.OFFICER for a, t in ALLOWED_TRANSITIONS.items() for b, m in t.items() if a is not S.DRAFT)


# --- the policy table -----------------------------------------------------------------------------


@dataclass
class FakeUser:
    id: int
    roles: set[Role] = field(default_factory=set)
    is_authenticated: bool = True
    is_suspended: bool = False
    has_confirmed_identity: bool = True  # a confirmed e-mail address or an officer's check

    def has_role(self, role: Role) -> bool:
        return role is Role.RESIDENT or role in self.roles


AUTHOR = FakeUser(1)
OTHER = FakeUser(2)
MODERATOR = FakeUser(3, {Role.MODERATOR})
OFFICER = FakeUser(4, {Role.OFFICER})
ADMIN = FakeUser(5, {Role.ADMINISTRATOR})
ROLES = {"author": AUTHOR, "other resident": OTHER, "moderator": MODERATOR, "officer": OFFICER, "administrator": ADMIN}
OFFICERS = {"officer", "administrator"}


def proposal_in(state: ProposalState, hidden: bool = False) -> Proposal:
    return Proposal(id=10, author_id=AUTHOR.id, state=state.value, hidden_at=datetime(2026, 1, 1) if hidden else None)


def expected(role: str, state: ProposalState, action: str) -> bool:
    """The rules, written out once more as plain statements."""
    officer = role in OFFICERS
    author = role == "author"
    open_states = {S.PUBLISHED, S.UNDER_REVIEW, S.SHORTLISTED, S.ON_BALLOT}
    return {
        "view": state is not S.DRAFT or author or officer,
        "edit": state is S.DRAFT and author,
        "open transition form": author or officer,
        "review": officer and state in {S.UNDER_REVIEW, S.SHORTLISTED},
        "post update": officer and state in {S.SELECTED, S.IN_DELIVERY, S.DELIVERED},
        "support": state in open_states,
        "withdraw support": state is not S.DRAFT or author or officer,
        "manage topics": officer,
        "assisted entry": officer,
        "review queue": officer,
        "create": True,
    }[action]


ACTIONS = {
    "view": Permission.PROPOSAL_WITHDRAW_SUPPORT,  # same rule: whoever may see it
    "edit": Permission.PROPOSAL_EDIT,
    "open transition form": Permission.PROPOSAL_TRANSITION,
    "review": Permission.PROPOSAL_REVIEW,
    "post update": Permission.PROPOSAL_POST_UPDATE,
    "support": Permission.PROPOSAL_SUPPORT,
    "withdraw support": Permission.PROPOSAL_WITHDRAW_SUPPORT,
    "manage topics": Permission.PROPOSAL_MANAGE_TOPICS,
    "assisted entry": Permission.PROPOSAL_ASSISTED_ENTRY,
    "review queue": Permission.PROPOSAL_REVIEW,
    "create": Permission.PROPOSAL_CREATE,
}
NO_OBJECT = {"manage topics", "assisted entry", "review queue", "create"}


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("state", list(ProposalState))
@pytest.mark.parametrize("role", list(ROLES))
def test_policy_table(role, state, action):
    user = ROLES[role]
    obj = None if action in NO_OBJECT else proposal_in(state)
    assert can(ACTIONS[action], obj, user=user) is expected(role, state, action), (role, state, action)


@pytest.mark.parametrize("state", list(ProposalState))
@pytest.mark.parametrize("role", list(ROLES))
def test_who_may_make_each_move(role, state):
    proposal = proposal_in(state)
    user = ROLES[role]
    moves = next_states(user, proposal)
    if state is S.DRAFT:
        assert moves == ([S.PUBLISHED] if role == "author" else [])
    else:
        assert moves == (list(ALLOWED_TRANSITIONS[state]) if role in OFFICERS else [])
    assert all(may_move(None, proposal, to) for to in ALLOWED_TRANSITIONS[state] if state is not S.DRAFT)


def test_hidden_proposals_cannot_be_supported_and_suspended_accounts_can_do_nothing():
    assert not can(Permission.PROPOSAL_SUPPORT, proposal_in(S.PUBLISHED, hidden=True), user=OTHER)
    suspended = FakeUser(9, {Role.OFFICER}, is_suspended=True)
    for permission in ACTIONS.values():
        assert not can(permission, proposal_in(S.PUBLISHED), user=suspended)
        assert not can(permission, proposal_in(S.PUBLISHED), user=FakeUser(8, is_authenticated=False))


@pytest.mark.parametrize("state", sorted(SUPPORTABLE_STATES))
def test_supporting_needs_a_confirmed_identity(state):
    """Issue 13, item 5: an account whose e-mail is unconfirmed (and whom no officer verified) cannot support."""
    unconfirmed = FakeUser(7, has_confirmed_identity=False)
    assert not can(Permission.PROPOSAL_SUPPORT, proposal_in(state), user=unconfirmed)
    assert can(Permission.PROPOSAL_SUPPORT, proposal_in(state), user=OTHER)
