"""Telling people what happened to a proposal: its author and its supporters hear of every new state and every
"you said, we did" update, in the app and, if they chose it, by e-mail (see app.deliberation.notices).

Only those who want "replies to what I write and updates on ideas I follow" (``notify_replies``) are told, never
the person who made the change, and never about a hidden proposal.
"""

from __future__ import annotations

from flask import render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.core.mail import queue_for_each
from app.deliberation.models import Notification
from app.deliberation.notices import Notice, email_recipients, notify_users, register_subject
from app.deliberation.policy import public_title
from app.proposals.models import Proposal, ProposalEvent, ProposalState, Support
from app.proposals.policy import may_view
from app.proposals.services import register_event_listener

SUBJECT = "proposal_event"
KIND_STATE = "proposal_state"
KIND_UPDATE = "proposal_update"


def _sentence(event: ProposalEvent, proposal: Proposal) -> str:
    if event.kind == "update":
        return _("There is a new “you said, we did” update on “%(title)s”.", title=public_title(proposal))
    return _("“%(title)s” is now “%(state)s”.", title=public_title(proposal), state=ProposalState(event.to_state).label)


@register_event_listener
def tell_followers(session: Session, actor: User | None, event: ProposalEvent) -> None:
    proposal = session.get(Proposal, event.proposal_id)
    if proposal is None or proposal.hidden_at is not None or proposal.state == ProposalState.DRAFT.value:
        return
    followers = select(User.id).where(
        User.notify_replies.is_(True),
        or_(User.id.in_(select(Support.user_id).where(Support.proposal_id == proposal.id)), User.id == proposal.author_id),
    )
    if actor is not None:
        followers = followers.where(User.id != actor.id)
    kind = KIND_UPDATE if event.kind == "update" else KIND_STATE
    sent = notify_users(session, kind, SUBJECT, event.id, followers)
    if not sent.count:
        return
    recipients = email_recipients(session, SUBJECT, event.id, sent, [User.notify_replies.is_(True)])

    def compose(user: User) -> tuple[str, str]:
        link = url_for("proposals.show", proposal_id=proposal.id, _external=True)
        body = render_template("deliberation/email_proposal.txt", user=user, sentence=_sentence(event, proposal), link=link)
        return _("News about “%(title)s”", title=public_title(proposal)), body

    queue_for_each(session, recipients, compose)


@register_subject(SUBJECT)
def describe_event(session: Session, user: User, notification: Notification) -> Notice | None:
    event = session.get(ProposalEvent, notification.subject_id)
    if event is None or not may_view(user, event.proposal):
        return None
    return Notice(
        text=_sentence(event, event.proposal),
        url=url_for("proposals.show", proposal_id=event.proposal_id),
        link_text=_("See the proposal"),
    )
