"""Notifications about other features' subjects: a registry, and creating them in bulk.

A feature that tells people about something (a budget's published results, a proposal's new state or update)
registers a *subject type* here with a function that, at display time and in the reader's language, words and
links one notification, or returns None when the reader may no longer see it (the subject was removed, hidden
from them, or lies in a space they left).  The notification row stores only the subject's type and id, never
text.  This package imports none of the features that register (the budgets feature registers itself, and
``app.deliberation.proposal_notices`` registers proposals, which this package already depends on).

Creating them is one ``INSERT … SELECT`` per event, whatever the number of recipients, and skips anyone who
already has one for that subject; the unique constraint on (user, subject type, subject id) makes "one per person
per event" hold even when two requests race.

E-mail is sent synchronously after the commit (``app.core.mail.send_after_commit``), to at most
``NOTIFY_EMAIL_LIMIT`` people per event (a setting, default :data:`EMAIL_LIMIT`); beyond that the rest get the
in-app notification only and the log says so.  A council with many thousands of residents choosing e-mail needs
a job queue to send them; this bound keeps a request from hanging until then.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import ColumnElement, DateTime, Select, and_, exists, func, insert, literal, select
from sqlalchemy.orm import Session, aliased

from app.auth.models import User
from app.core.db import utcnow
from app.deliberation.models import Notification

EMAIL_LIMIT = 500


@dataclass(frozen=True)
class Notice:
    """How one notification reads: its sentence, where it leads and the link's words."""

    text: str
    url: str
    link_text: str


Describe = Callable[[Session, User, Notification], Notice | None]
_SUBJECTS: dict[str, Describe] = {}


def register_subject(subject_type: str) -> Callable[[Describe], Describe]:
    def wrap(describe: Describe) -> Describe:
        _SUBJECTS[subject_type] = describe
        return describe
    return wrap


def describe(session: Session, user: User, notification: Notification) -> Notice | None:
    """The notice for a subject notification, or None when it is not to be shown (unknown type, gone, hidden)."""
    handler = _SUBJECTS.get(notification.subject_type or "")
    return handler(session, user, notification) if handler is not None else None


@dataclass(frozen=True)
class Sent:
    """What one call of :func:`notify_users` created: how many, all stamped with ``at``."""

    count: int
    at: datetime


def notify_users(session: Session, kind: str, subject_type: str, subject_id: int, user_ids: Select[tuple[int]]) -> Sent:
    """Give every account ``user_ids`` selects (a one-column SELECT of user ids) one notification about the subject,
    unless they have one already; deleted accounts never get one.  The new rows share one timestamp, by which
    :func:`email_recipients` finds exactly them (drivers do not all report an INSERT … SELECT's row count)."""
    now = utcnow()
    candidates = user_ids.subquery()
    already = aliased(Notification)
    rows = (
        select(User.id, literal(kind), literal(subject_type), literal(subject_id), literal(now, DateTime))
        .where(User.id.in_(select(candidates.c[0])), User.is_deleted.is_(False))
        .where(~exists().where(and_(already.user_id == User.id, already.subject_type == subject_type,
                                    already.subject_id == subject_id)))
    )
    session.execute(insert(Notification).from_select(["user_id", "kind", "subject_type", "subject_id", "created_at"], rows))
    session.flush()
    count = session.execute(select(func.count(Notification.id)).where(*_batch(subject_type, subject_id, now))).scalar_one()
    return Sent(int(count), now)


def _batch(subject_type: str, subject_id: int, at: datetime) -> tuple[ColumnElement[bool], ...]:
    return (Notification.subject_type == subject_type, Notification.subject_id == subject_id, Notification.created_at == at)


def email_recipients(
    session: Session, subject_type: str, subject_id: int, sent: Sent, wanted: Iterable[ColumnElement[bool]] = ()
) -> list[User]:
    """Whom to e-mail about the subject: those ``sent`` just notified who chose e-mail (and whatever ``wanted``
    conditions on User the feature adds, such as the preference for its kind), at most the configured limit."""
    limit = int(current_app.config.get("NOTIFY_EMAIL_LIMIT", EMAIL_LIMIT))
    query = (
        select(User).join(Notification, Notification.user_id == User.id)
        .where(*_batch(subject_type, subject_id, sent.at),
               User.notify_email.is_(True), User.email.is_not(None), User.is_deleted.is_(False), *wanted)
        .order_by(User.id)
    )
    users = list(session.execute(query.limit(limit)).scalars())
    if len(users) == limit:
        total = session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
        if total > limit:
            current_app.logger.warning(
                "Only %d of %d e-mails about %s %d were sent (NOTIFY_EMAIL_LIMIT); the others see it on the site.",
                limit, total, subject_type, subject_id,
            )
    return users
