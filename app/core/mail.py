"""Outgoing e-mail.  With MAIL_SERVER set, messages go by SMTP; otherwise (development) they are logged.

In testing, messages are also appended to ``app.extensions["mail_outbox"]`` so tests can read them.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from email.message import EmailMessage
from typing import Any

from flask import current_app, has_request_context
from flask_babel import force_locale
from sqlalchemy import event
from sqlalchemy.orm import Session


def send_mail(to: str, subject: str, body: str) -> None:
    cfg = current_app.config
    msg = EmailMessage()
    msg["From"] = cfg["MAIL_FROM"]
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    outbox = current_app.extensions.get("mail_outbox")
    if outbox is not None:
        outbox.append(msg)
    if cfg.get("MAIL_SERVER"):
        with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=20) as smtp:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
            smtp.send_message(msg)
    else:
        current_app.logger.warning("E-mail not sent (no MAIL_SERVER); it would have said:\nTo: %s\nSubject: %s\n\n%s", to, subject, body)


# --- e-mail that must wait for the commit ---------------------------------------------------------------------
#
# A service that wants people e-mailed (a proposal's new state, a budget's results) queues the rendered message on
# the session; it is sent only when that transaction commits, and dropped if it rolls back, so nobody is told
# about something that did not happen.  Messages are rendered when queued (in each recipient's language): after
# the commit the session cannot load anything.  Each message is then sent as a background job (app/core/jobs.py: RQ on
# Redis, or in-process after the response); the callers bound how many they queue (see
# app.deliberation.notices.EMAIL_LIMIT).

_OUTBOX = "folkmoot_mail_after_commit"


def send_after_commit(session: Session, to: str, subject: str, body: str) -> None:
    session.info.setdefault(_OUTBOX, []).append((to, subject, body))


@event.listens_for(Session, "after_commit")
def _send_queued(session: Session) -> None:
    from app.core import jobs

    queued = session.info.pop(_OUTBOX, None)
    for to, subject, body in queued or ():
        jobs.enqueue("app.core.mail.send_queued_mail", to, subject, body)


def send_queued_mail(to: str, subject: str, body: str) -> None:
    """The background job that sends one queued message (app/core/jobs.py: RQ, or after the response)."""
    try:
        send_mail(to, subject, body)
    except (OSError, smtplib.SMTPException):  # the change is committed; one failed message must not undo it
        current_app.logger.exception("Could not send e-mail to %s", to)


@event.listens_for(Session, "after_rollback")
def _drop_queued(session: Session) -> None:
    session.info.pop(_OUTBOX, None)


def queue_for_each(session: Session, recipients: Iterable[Any], compose: Callable[[Any], tuple[str, str]]) -> None:
    """Queue one message per recipient (an account with ``email`` and ``locale``), sent after the commit.

    ``compose(recipient)`` returns ``(subject, body)`` and runs in the recipient's chosen language.  Outside a
    request (the command line) it runs in a request context, so that ``url_for`` can build the links.
    """
    with nullcontext() if has_request_context() else current_app.test_request_context():
        for user in recipients:
            with force_locale(user.locale or "en"):
                subject, body = compose(user)
            send_after_commit(session, user.email or "", subject, body)
