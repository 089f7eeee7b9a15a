"""Policy tables for deliberation (role × action → allowed), on plain objects: no app, no database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

import app.deliberation  # noqa: F401  (registers the policies)
from app.auth.models import User, UserRole
from app.core.db import utcnow
from app.core.permissions import Permission, can
from app.deliberation.models import Comment, Debate, Recommendation, Space, SpaceKind, SpaceMembership
from app.deliberation.policy import may_view_comment, may_view_debate, may_view_space
from app.proposals.models import Proposal, ProposalState

P = Permission
ROLES = ["anonymous", "resident", "suspended", "moderator", "officer", "administrator"]


class Anonymous:
    is_authenticated = False
    is_suspended = False


def person(kind: str, user_id: int) -> object:
    if kind == "anonymous":
        return Anonymous()
    user = User(id=user_id, display_name=kind, is_deleted=False, is_suspended=kind == "suspended")
    if kind in ("moderator", "officer", "administrator"):
        user.role_rows = [UserRole(role=kind)]
    return user


@pytest.fixture
def people() -> dict[str, object]:
    return {kind: person(kind, n) for n, kind in enumerate(ROLES, start=1)}


def published() -> Proposal:
    return Proposal(id=1, title="t", state=ProposalState.PUBLISHED.value, author_id=99)


def check(table: list[tuple[str, Permission, object, bool]], people: dict[str, object]) -> None:
    failures = [(role, perm.value, allowed) for role, perm, obj, allowed in table
                if can(perm, obj, user=people[role]) is not allowed]
    assert failures == []


def test_comment_policy_table(people):
    proposal = published()
    draft = Proposal(id=2, title="d", state=ProposalState.DRAFT.value, author_id=99)
    hidden = Proposal(id=3, title="h", state=ProposalState.PUBLISHED.value, author_id=99, hidden_at=utcnow())
    debate = Debate(id=1, title="d", body="b", author_id=99)
    own = Comment(id=1, proposal_id=1, proposal=proposal, author_id=2, body="x")  # the resident's
    hidden_comment = Comment(id=2, proposal_id=1, proposal=proposal, author_id=2, body="x", hidden_at=utcnow())
    assisted = Comment(id=3, proposal_id=1, proposal=proposal, author_id=2, entered_by_id=5, body="x")
    table = []
    for role in ROLES:
        signed_in_ok = role not in ("anonymous", "suspended")
        officer = role in ("officer", "administrator")
        table += [
            (role, P.DELIBERATION_COMMENT, proposal, signed_in_ok),
            (role, P.DELIBERATION_COMMENT, debate, signed_in_ok),
            (role, P.DELIBERATION_COMMENT, own, signed_in_ok),  # a reply
            (role, P.DELIBERATION_COMMENT, hidden_comment, False),
            (role, P.DELIBERATION_COMMENT, hidden, False),
            (role, P.DELIBERATION_COMMENT, draft, officer),  # drafts are visible to officers only (and closed anyway)
            (role, P.DELIBERATION_EDIT_COMMENT, own, role == "resident"),
            (role, P.DELIBERATION_EDIT_COMMENT, hidden_comment, False),
            (role, P.DELIBERATION_EDIT_COMMENT, assisted, False),  # entered by an officer: not the resident's to edit online
            (role, P.DELIBERATION_ASSISTED_COMMENT, proposal, officer),
            (role, P.DELIBERATION_ASSISTED_COMMENT, hidden, False),
            (role, P.DELIBERATION_START_DEBATE, None, signed_in_ok),
        ]
    # Drafts take no comments even from officers.
    table = [(r, p, o, False if o is draft and p is P.DELIBERATION_COMMENT else a) for r, p, o, a in table]
    check(table, people)


def test_space_policy_table(people):
    today = utcnow().date()
    panel = Space(id=1, slug="panel", name="Panel", kind=SpaceKind.PANEL.value, is_restricted=True, memberships=[
        SpaceMembership(user_id=2, started_on=today - timedelta(days=30), term_ends_on=None),  # the resident
        SpaceMembership(user_id=4, started_on=today - timedelta(days=800), term_ends_on=today - timedelta(days=1)),  # officer, ended
    ])
    coalition = Space(id=2, slug="gc", name="GC", kind=SpaceKind.COALITION.value, is_restricted=True, memberships=[
        SpaceMembership(user_id=2, started_on=today - timedelta(days=1), term_ends_on=today + timedelta(days=700)),
    ])
    public = Space(id=3, slug="open", name="Open", kind=SpaceKind.PUBLIC.value, is_restricted=False, memberships=[])
    rec = Recommendation(id=1, title="r", text="t", published_on=date(2026, 1, 1), space_id=2, status="published")
    draft_rec = Recommendation(id=3, title="r", text="t", space_id=2, space=coalition, status="draft")
    table = []
    for role in ROLES:
        active = role not in ("anonymous", "suspended")
        officer = role in ("officer", "administrator")
        table += [
            (role, P.DELIBERATION_START_DEBATE, public, active),
            (role, P.DELIBERATION_START_DEBATE, panel, role == "resident"),  # members only; an ended term no longer counts
            (role, P.DELIBERATION_MANAGE_SPACES, None, officer),
            # coalition and citizens' panel members propose (officers only when members); it goes out when enough
            # members agree
            (role, P.DELIBERATION_PUBLISH_RECOMMENDATION, coalition, role == "resident"),
            (role, P.DELIBERATION_PUBLISH_RECOMMENDATION, panel, role == "resident"),
            (role, P.DELIBERATION_RESPOND_RECOMMENDATION, rec, officer),
            (role, P.DELIBERATION_RESPOND_RECOMMENDATION, draft_rec, False),
            (role, P.DELIBERATION_AGREE_RECOMMENDATION, draft_rec, role == "resident"),
            (role, P.DELIBERATION_AGREE_RECOMMENDATION, rec, False),
        ]
    check(table, people)
    # Visibility (used by the loaders, which answer 404): anonymous visitors and non-members see nothing inside.
    debate = Debate(id=5, title="x", body="y", space=panel)
    comment = Comment(id=9, debate_id=5, debate=debate, body="z")
    for role in ROLES:
        member = role == "resident"
        assert may_view_space(people[role], panel) is member, role
        assert may_view_debate(people[role], debate) is member, role
        assert may_view_comment(people[role], comment) is member, role
        assert may_view_space(people[role], public) is True


def test_moderation_policy_table(people):
    comment = Comment(id=1, proposal_id=1, proposal=published(), author_id=2, body="x")
    table = []
    for role in ROLES:
        active = role not in ("anonymous", "suspended")
        moderator = role in ("moderator", "administrator")
        table += [
            (role, P.DELIBERATION_REPORT, comment, active),
            (role, P.DELIBERATION_MODERATE, None, moderator),
            (role, P.DELIBERATION_MODERATE, comment, moderator),
            (role, P.DELIBERATION_MODERATE, people["resident"], moderator),
        ]
    check(table, people)
    # Nobody moderates their own account.
    assert not can(P.DELIBERATION_MODERATE, people["moderator"], user=people["moderator"])
    # A responded recommendation takes no second response.
    answered = Recommendation(id=2, title="r", text="t", published_on=date(2026, 1, 1), space_id=2)
    from app.deliberation.models import CouncilResponse

    answered.response = CouncilResponse(outcome="adopted", explanation="e", responded_on=date(2026, 2, 1))
    assert not can(P.DELIBERATION_RESPOND_RECOMMENDATION, answered, user=people["officer"])


@pytest.mark.parametrize("where", ["public", "restricted, not a member", "restricted, a member"])
@pytest.mark.parametrize("state", ["neither", "reported", "hidden"])
def test_who_may_review_content_in_moderation(people, where, state):
    """role × where the content is × its moderation state → may open it in moderation (review, hide, restore,
    dismiss).  Moderators handle reports wherever the content is, but see inside a restricted space they are
    not a member of only what is reported or hidden; nobody else moderates."""
    from app.deliberation.policy import may_review_content

    today = utcnow().date()
    members = [SpaceMembership(user_id=4, started_on=today)] if where == "restricted, a member" else []  # the moderator only
    space = None if where == "public" else Space(id=1, slug="p", name="P", kind=SpaceKind.PANEL.value,
                                                 is_restricted=True, memberships=members)
    debate = Debate(id=1, title="d", body="b", space=space, hidden_at=None)
    comment = Comment(id=1, debate_id=1, debate=debate, body="x", hidden_at=utcnow() if state == "hidden" else None)
    draft = Proposal(id=2, title="d", state=ProposalState.DRAFT.value, author_id=99)
    for role in ROLES:
        moderator = role in ("moderator", "administrator")
        sees_anyway = where == "public" or (where == "restricted, a member" and role == "moderator")
        expected = moderator and (sees_anyway or state != "neither")
        assert may_review_content(people[role], comment, state == "reported") is expected, (role, where, state)
        # Drafts are never reviewable by moderators: only their owner and officers can see them.
        assert may_review_content(people[role], draft, True) is (role == "administrator"), role


@pytest.mark.parametrize("state", list(ProposalState))
@pytest.mark.parametrize("hidden", [False, True])
def test_comment_policy_table_by_proposal_state(people, state, hidden):
    """role × proposal state (shown or hidden by a moderator) × action → allowed.  A thread is open from
    publication on, whatever happens to the proposal next (declined or delivered proposals are still
    discussed), and closed while the proposal is a draft or hidden."""
    proposal = Proposal(id=1, title="t", state=state.value, author_id=99, hidden_at=utcnow() if hidden else None)
    own = Comment(id=1, proposal_id=1, proposal=proposal, author_id=2, body="x")  # the resident's
    draft = state is ProposalState.DRAFT
    table = []
    for role in ROLES:
        active = role not in ("anonymous", "suspended")
        officer = role in ("officer", "administrator")
        open_thread = active and not draft and not hidden
        table += [
            (role, P.DELIBERATION_COMMENT, proposal, open_thread),
            (role, P.DELIBERATION_COMMENT, own, open_thread),  # a reply
            (role, P.DELIBERATION_EDIT_COMMENT, own, open_thread and role == "resident"),
            (role, P.DELIBERATION_ASSISTED_COMMENT, proposal, open_thread and officer),
            # Reporting: the loader decides what the person can see (drafts: owner and officers only).
            (role, P.DELIBERATION_REPORT, own, active),
            (role, P.DELIBERATION_MODERATE, own, active and role in ("moderator", "administrator")),
        ]
    check(table, people)


@pytest.mark.parametrize("kind", list(SpaceKind))
@pytest.mark.parametrize("membership", ["none", "current", "ended", "not yet begun"])
def test_space_policy_table_by_kind_and_membership(people, kind, membership):
    """role × kind of space × the resident's membership × action → allowed (the resident, id 2, holds the
    membership; nobody else is a member).  A public space is open to all; any other kind is members only, and an
    officers' working group is for council staff only (a resident's membership row gives no access)."""
    today = utcnow().date()
    spans = {"current": (today - timedelta(days=5), None), "ended": (today - timedelta(days=800), today - timedelta(days=1)),
             "not yet begun": (today + timedelta(days=3), None)}
    rows = [] if membership == "none" else [SpaceMembership(user_id=2, started_on=spans[membership][0], term_ends_on=spans[membership][1])]
    restricted = kind is not SpaceKind.PUBLIC
    space = Space(id=1, slug="s", name="S", kind=kind.value, is_restricted=restricted, memberships=rows)
    debate = Debate(id=1, title="d", body="b", space=space, author_id=99)
    for role in ROLES:
        active = role not in ("anonymous", "suspended")
        officer = role in ("officer", "administrator")
        member = role == "resident" and membership == "current" and kind is not SpaceKind.WORKING_GROUP
        sees = not restricted or member
        assert may_view_space(people[role], space) is sees, role
        assert may_view_debate(people[role], debate) is sees, role
        expected = [
            (P.DELIBERATION_START_DEBATE, space, active and sees),
            (P.DELIBERATION_COMMENT, debate, active and sees),
            (P.DELIBERATION_MANAGE_SPACES, space, officer),
            (P.DELIBERATION_PUBLISH_RECOMMENDATION, space, active and member and kind in (SpaceKind.COALITION, SpaceKind.PANEL)),
        ]
        for permission, obj, allowed in expected:
            assert can(permission, obj, user=people[role]) is allowed, (role, permission.value)


def test_an_officers_working_group_is_for_officers_only(people):
    today = utcnow().date()
    group = Space(id=1, slug="wg", name="WG", kind=SpaceKind.WORKING_GROUP.value, is_restricted=True, memberships=[
        SpaceMembership(user_id=n, started_on=today) for n in range(1, 7)])  # everyone holds a membership row
    for role in ROLES:
        assert may_view_space(people[role], group) is (role in ("officer", "administrator")), role
