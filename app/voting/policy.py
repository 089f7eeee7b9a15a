"""Who may do what to a ranked vote.  Functions taking ``user`` accept anonymous users too: the vote, ballot and
result pages are public and explain themselves."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from app.auth.models import Role
from app.auth.policy import voter_refusal
from app.core.db import utcnow
from app.core.permissions import Permission, policy
from app.voting.models import Vote, VoteState


def is_officer(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and not getattr(user, "is_suspended", False)
                and (user.has_role(Role.OFFICER) or user.has_role(Role.ADMINISTRATOR)))


def lives_in(user: Any, vote: Vote) -> bool:
    home = getattr(user, "home_place", None)
    return home is not None and vote.place_id in {p.id for p in home.lineage()}


def vote_refusal(user: Any, vote: Vote, now: datetime | None = None) -> str | None:
    """Why ``user`` may not cast a ballot in ``vote`` now, in plain words; None when they may."""
    now = now or utcnow()
    if vote.state != VoteState.OPEN.value or now >= vote.closes_at:
        return _("This vote has closed.")
    if now < vote.opens_at:
        return _("This vote has not opened yet.")
    if (refusal := voter_refusal(user)) is not None:
        return refusal
    if user.home_place is None:
        return _("Add your home postcode to your account so we can tell which votes you can vote in.")
    if not lives_in(user, vote):
        return _("This vote is for people who live in %(place)s. Your home area, %(home)s, is not in it.",
                 place=vote.place.name, home=user.home_place.name)
    return None


def results_visible(user: Any, vote: Vote) -> bool:
    """Everyone once published; officers from the count on (to check before publishing)."""
    if vote.state == VoteState.PUBLISHED.value:
        return True
    return vote.state == VoteState.CLOSED.value and is_officer(user)


@policy(Permission.VOTE_MANAGE)
def may_manage(user: Any, obj: Any) -> bool:
    return is_officer(user)


@policy(Permission.VOTE_CAST)
def may_cast(user: Any, vote: Any) -> bool:
    return isinstance(vote, Vote) and vote_refusal(user, vote) is None


@policy(Permission.VOTE_KEY_ASSISTED)
def may_key_assisted(user: Any, vote: Any) -> bool:
    return is_officer(user) and (vote is None or (isinstance(vote, Vote) and vote.state == VoteState.OPEN.value))


@policy(Permission.VOTE_COUNT)
def may_count(user: Any, vote: Any) -> bool:
    return is_officer(user)


@policy(Permission.VOTE_VIEW_RESULTS)
def may_view_results(user: Any, vote: Any) -> bool:
    return isinstance(vote, Vote) and results_visible(user, vote)


@policy(Permission.VOTE_SEE_DELEGATE_BALLOT)
def may_see_delegate_ballot(user: Any, vote: Any) -> bool:
    """Any member may ask; the page shows a ballot only when that member's vote was cast by its voter."""
    return bool(user is not None and getattr(user, "is_authenticated", False) and isinstance(vote, Vote))
