"""Telling delegators that their delegate voted on paper in a budget heading.

A paper ballot carries no delegated votes (it is not linked to its voter: see
``app/budgets/services/delegation.py``), so when an officer issues one to a delegate, the members whose votes
that delegate's ballot would otherwise have carried are told, in-app and by e-mail for those who chose e-mail,
to vote themselves before voting closes.  Unlike "your delegate voted" this is not opt-in: it changes whether
their vote counts.  It says that the delegate voted on paper, never how.  One notification per member per
heading.
"""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.budgets.models import BudgetHeading
from app.deliberation.models import Notification
from app.deliberation.notices import Notice, register_subject

SUBJECT = "budget_delegate_paper"
KIND = "delegate_on_paper"  # at most 20 characters (notifications.kind)


def _sentence(heading: BudgetHeading) -> str:
    return _("Your delegate voted on paper in “%(heading)s” of “%(budget)s”. A paper ballot cannot carry delegated votes, so your vote does not go with theirs there. Vote yourself before voting closes: otherwise your vote goes to a backup delegate of yours who votes online, or is not cast.",
             heading=heading.name, budget=heading.process.title)


def delegate_voted_on_paper(session: Session, heading: BudgetHeading, member_ids: list[int]) -> int:
    """Notify ``member_ids`` (whose delegate was just issued a paper ballot in ``heading``); returns how many
    were notified (those already told about this heading are not told twice)."""
    if not member_ids:
        return 0
    from app.delegation.notices import send_notice

    return send_notice(session, KIND, SUBJECT, heading.id, select(User.id).where(User.id.in_(member_ids)),
                       title=lambda: _("Your delegate voted on paper: vote yourself"), sentence=lambda: _sentence(heading),
                       endpoint="budgets.heading", heading_id=heading.id)


@register_subject(SUBJECT)
def describe(session: Session, user: User, notification: Notification) -> Notice | None:
    heading = session.get(BudgetHeading, notification.subject_id)
    if heading is None:
        return None
    return Notice(text=_sentence(heading), url=url_for("budgets.ballot", heading_id=heading.id), link_text=_("Vote yourself"))
