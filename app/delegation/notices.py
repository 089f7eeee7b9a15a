"""Delegation notifications, each opt-in (``delegation_notice_prefs``): "someone delegated to you" (to the
delegate) and "your delegate stopped being a delegate" (to their delegators).  "Your delegate voted" belongs
to the voting feature (app/voting/notices.py).  In-app through app.deliberation.notices, and by e-mail for
those who chose e-mail in their account, in their language, after the commit.

``send_notice`` is the one sender of every notice about delegated votes, opt-in or not: these two, and those of
budgets ("your delegate voted", "your delegate voted on paper") and of votes ("your delegate voted", "your
delegations formed a circle").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.core.mail import queue_for_each
from app.delegation.models import DelegateProfile, DelegationEvent, DelegationNoticePrefs
from app.deliberation.models import Notification
from app.deliberation.notices import Notice, email_recipients, notify_users, register_subject

DELEGATED_SUBJECT = "delegation_event"
STOPPED_SUBJECT = "delegate_withdrew"
KIND_DELEGATED = "delegated_to_me"
KIND_STOPPED = "delegate_stopped"


def opted_in(column: ColumnElement[bool]) -> Select[tuple[int]]:
    return select(DelegationNoticePrefs.user_id).where(column.is_(True))


def send_notice(session: Session, kind: str, subject: str, subject_id: int, users: Select[tuple[int]], *,
                title: Callable[[], str], sentence: Callable[[], str], endpoint: str, **url_args: Any) -> int:
    """An in-app notification to each of ``users`` (a select of account ids; one per account and subject), and the
    delegation e-mail (``delegation/email_notice.txt``) to those who chose e-mail.  ``title()`` and ``sentence()``
    are called for each recipient in their own language, and the e-mail links to ``endpoint``.  Returns how many
    were notified.  Used by every notice about delegated votes: here, in budgets and in votes."""
    sent = notify_users(session, kind, subject, subject_id, users)
    if sent.count:
        recipients = email_recipients(session, subject, subject_id, sent)

        def compose(user: User) -> tuple[str, str]:
            link = url_for(endpoint, _external=True, **url_args)
            return title(), render_template("delegation/email_notice.txt", user=user, sentence=sentence(), link=link)

        queue_for_each(session, recipients, compose)
    return sent.count


def _news() -> str:
    return _("News about your delegations")


def delegated_to_you(session: Session, event: DelegationEvent) -> int:
    users = opted_in(DelegationNoticePrefs.delegated_to_me).where(DelegationNoticePrefs.user_id == event.delegate_id)
    return send_notice(session, KIND_DELEGATED, DELEGATED_SUBJECT, event.id, users, title=_news,
                       sentence=lambda: _("Someone delegated their vote to you."), endpoint="delegation.index")


def delegate_stopped(session: Session, event: DelegationEvent, delegator_ids: list[int]) -> int:
    users = opted_in(DelegationNoticePrefs.delegate_stopped).where(DelegationNoticePrefs.user_id.in_(delegator_ids))
    return send_notice(session, KIND_STOPPED, STOPPED_SUBJECT, event.id, users, title=_news,
                       sentence=lambda: _("One of your delegates stopped being a delegate. Check your delegations."),
                       endpoint="delegation.index")


@register_subject(DELEGATED_SUBJECT)
def describe_delegated(session: Session, user: User, notification: Notification) -> Notice | None:
    event = session.get(DelegationEvent, notification.subject_id)
    if event is None or event.delegate_id != user.id:
        return None
    return Notice(text=_("Someone delegated their vote to you."), url=url_for("delegation.weight"),
                  link_text=_("See the weight you carry"))


@register_subject(STOPPED_SUBJECT)
def describe_stopped(session: Session, user: User, notification: Notification) -> Notice | None:
    event = session.get(DelegationEvent, notification.subject_id)
    if event is None:
        return None
    profile = session.execute(select(DelegateProfile).where(DelegateProfile.user_id == event.delegate_id)).scalar_one_or_none()
    name = profile.shown_name if profile else event.delegate.public_name
    return Notice(text=_("%(name)s stopped being a delegate, so your delegation to them ended.", name=name),
                  url=url_for("delegation.index"), link_text=_("Check your delegations"))
