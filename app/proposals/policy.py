"""Who may do what to a proposal.

Officers here means accounts with the officer or the administrator role.  ``can()`` answers no for anonymous
and suspended accounts before these functions are asked; ``may_view`` is also used directly (for anonymous
visitors too) by the proposal loader, because reading a published proposal needs no account.

Which transition each kind of account may make is the state machine's business
(``services.ALLOWED_TRANSITIONS``); ``PROPOSAL_TRANSITION`` only decides who may open the form at all.
"""

from __future__ import annotations

from typing import Any

from app.auth.models import Role
from app.auth.policy import has_confirmed_identity
from app.core.permissions import Permission, policy
from app.proposals.models import Proposal, ProposalState

# A support means "I want this to happen"; it is open while the proposal can still be taken up.
SUPPORTABLE_STATES = frozenset(
    {ProposalState.PUBLISHED, ProposalState.UNDER_REVIEW, ProposalState.SHORTLISTED, ProposalState.ON_BALLOT}
)
# "You said, we did" updates are posted from selection onwards.
UPDATE_STATES = frozenset({ProposalState.SELECTED, ProposalState.IN_DELIVERY, ProposalState.DELIVERED})
# An officer's review (feasibility, costing, responsible service) can be recorded or corrected in these.
REVIEW_STATES = frozenset({ProposalState.UNDER_REVIEW, ProposalState.SHORTLISTED})


def is_officer(user: Any) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and (user.has_role(Role.OFFICER) or user.has_role(Role.ADMINISTRATOR))
    )


def is_owner(user: Any, proposal: Proposal) -> bool:
    """The author, or the officer who entered the proposal on someone's behalf."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.id is not None and user.id in (proposal.author_id, proposal.entered_by_id)


def may_view(user: Any, proposal: Proposal) -> bool:
    """Published (and later) proposals are public; drafts only for their owner and officers."""
    if proposal.state != ProposalState.DRAFT.value:
        return True
    return is_owner(user, proposal) or is_officer(user)


@policy(Permission.PROPOSAL_CREATE)
def may_create(user: Any, _: Any) -> bool:
    return True  # any signed-in, non-suspended account


@policy(Permission.PROPOSAL_EDIT)
def may_edit(user: Any, proposal: Proposal | None) -> bool:
    return proposal is not None and proposal.state == ProposalState.DRAFT.value and is_owner(user, proposal)


@policy(Permission.PROPOSAL_TRANSITION)
def may_open_transition(user: Any, proposal: Proposal | None) -> bool:
    if proposal is None:
        return is_officer(user)
    return is_officer(user) or is_owner(user, proposal)


@policy(Permission.PROPOSAL_REVIEW)
def may_review(user: Any, proposal: Proposal | None) -> bool:
    if not is_officer(user):
        return False
    return proposal is None or proposal.state_enum in REVIEW_STATES


@policy(Permission.PROPOSAL_POST_UPDATE)
def may_post_update(user: Any, proposal: Proposal | None) -> bool:
    if not is_officer(user):
        return False
    return proposal is None or proposal.state_enum in UPDATE_STATES


@policy(Permission.PROPOSAL_SUPPORT)
def may_support(user: Any, proposal: Proposal | None) -> bool:
    # Supporting your own proposal is allowed (as in Decidim): the count is of people who want it to happen.
    return (
        proposal is not None and proposal.state_enum in SUPPORTABLE_STATES and proposal.hidden_at is None
        and has_confirmed_identity(user)  # a confirmed e-mail address, or verified in person by an officer
    )


@policy(Permission.PROPOSAL_WITHDRAW_SUPPORT)
def may_withdraw_support(user: Any, proposal: Proposal | None) -> bool:
    return proposal is not None and may_view(user, proposal)


@policy(Permission.PROPOSAL_MANAGE_TOPICS)
def may_manage_topics(user: Any, _: Any) -> bool:
    return is_officer(user)


@policy(Permission.PROPOSAL_ASSISTED_ENTRY)
def may_enter_for_someone(user: Any, _: Any) -> bool:
    return is_officer(user)
