"""Vote notifications: "your delegate voted" (opt-in, to the members whose vote that ballot now casts), and the
open votes shown on the delegation feature's "where my vote goes today" page."""

from __future__ import annotations

import numpy as np
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.core.db import utcnow
from app.delegation import where
from app.delegation.models import DelegationNoticePrefs
from app.delegation.notices import send_notice
from app.delegation.resolution import BallotScope, Graph, Resolution
from app.delegation.services import active_profile
from app.deliberation.models import Notification
from app.deliberation.notices import Notice, register_subject
from app.voting.models import Vote, VoteState

SUBJECT = "vote_delegate"
KIND = "delegate_voted"
CYCLE_SUBJECT = "vote_cycle"
CYCLE_KIND = "delegation_cycle"


def delegate_voted(session: Session, vote: Vote, voter: User) -> int:
    """Tell the opted-in members whose vote ``voter``'s ballot now casts.  One notification per member per vote."""
    if active_profile(session, voter.id) is None:
        return 0
    from app.voting.services import live_resolution

    res = live_resolution(session, vote)
    represented = np.nonzero(res.result.cast_by == voter.id)[0]
    represented = [int(m) for m in represented if int(m) != voter.id]
    if not represented:
        return 0
    users = select(DelegationNoticePrefs.user_id).where(DelegationNoticePrefs.delegate_voted.is_(True),
                                                         DelegationNoticePrefs.user_id.in_(represented))
    return send_notice(session, KIND, SUBJECT, vote.id, users, title=lambda: _("Your delegate voted"),
                       sentence=lambda: _("Your delegate voted in “%(title)s”. See how, and vote yourself if you want.", title=vote.title),
                       endpoint="voting.delegate_ballot", vote_id=vote.id)


def cycle_members(session: Session, vote: Vote, member_ids: list[int]) -> int:
    """Tell the members whose delegations formed a circle at the close that their vote counted as an abstention
    (everyone concerned: it is about their own vote, not news they opted in to)."""
    if not member_ids:
        return 0
    return send_notice(session, CYCLE_KIND, CYCLE_SUBJECT, vote.id, select(User.id).where(User.id.in_(member_ids)),
                       title=lambda: _("Your vote was not cast"), sentence=lambda: _cycle_sentence(vote),
                       endpoint="delegation.where_page")


def _cycle_sentence(vote: Vote) -> str:
    return _("In “%(title)s” your delegations formed a circle in which nobody voted, so your vote counted as an abstention. Check your delegations.",
             title=vote.title)


@register_subject(CYCLE_SUBJECT)
def describe_cycle(session: Session, user: User, notification: Notification) -> Notice | None:
    vote = session.get(Vote, notification.subject_id)
    if vote is None:
        return None
    return Notice(text=_cycle_sentence(vote), url=url_for("delegation.where_page"), link_text=_("Where your vote goes today"))


@register_subject(SUBJECT)
def describe(session: Session, user: User, notification: Notification) -> Notice | None:
    vote = session.get(Vote, notification.subject_id)
    if vote is None:
        return None
    return Notice(text=_("Your delegate voted in “%(title)s”.", title=vote.title),
                  url=url_for("voting.delegate_ballot", vote_id=vote.id), link_text=_("See how your delegate voted"))


@where.register_source
def open_votes(session: Session, member: User, graph: Graph) -> list[tuple[str, str, BallotScope, Resolution]]:
    """Each open vote the member may vote in, resolved as things stand."""
    from app.voting.policy import lives_in
    from app.voting.services import live_resolution

    now = utcnow()
    votes = session.execute(select(Vote).where(Vote.state == VoteState.OPEN.value, Vote.opens_at <= now, Vote.closes_at > now)
                            .order_by(Vote.closes_at)).scalars()
    out = []
    for vote in votes:
        if lives_in(member, vote):
            from app.delegation.resolution import scope_for

            out.append((vote.title, url_for("voting.show", vote_id=vote.id), scope_for(vote.place, vote.topic_id),
                        live_resolution(session, vote)))
    return out
