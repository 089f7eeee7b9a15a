"""One-time tokens for create forms: the same form sent twice (a double click, the browser's "resend", a
second tab) is acted on once, and the second sending is shown the first result.

A create form mixes in :class:`OnceForm`; its template renders ``{{ form.once_token }}`` (a hidden field holding
a fresh random token each time the form is shown).  The view, after the form validates and before it calls its
service, asks :func:`claim`; when that returns a response (the token was already used) it returns it.  After the
service succeeded it calls :func:`record` with the URL of the result, in the same transaction: the token row
and the created row commit together or not at all, and the token's uniqueness is a database constraint, so two
sendings racing each other cannot both act.  A refused sending (a validation error) rolls back and frees
the token, so the corrected form can be sent.  A POST without a token (a hand-made one) is acted on normally.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from flask import flash, redirect, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response
from wtforms import HiddenField

from app.core.db import insert_new, utcnow
from app.core.models import FormSubmission
from app.extensions import db


def new_token() -> str:
    return secrets.token_urlsafe(24)


class OnceForm(FlaskForm):
    """A form carrying a one-time token (mix in before the form's own fields)."""

    once_token = HiddenField(default=new_token)


ALREADY_SENT = _l("That form had already been sent, so it was not acted on a second time. This is what the first sending did.")


def _token(form: FlaskForm) -> str | None:
    field = getattr(form, "once_token", None)
    token = str(field.data or "").strip() if field is not None else ""
    return token if 0 < len(token) <= 64 else None  # a hand-made token of another size is not one of ours


def _first_result(token: str) -> str | None:
    return db.session.execute(select(FormSubmission.result_url).where(FormSubmission.token == token)).scalar_one_or_none()


def replay(form: FlaskForm) -> Response | None:
    """A redirect to the first result when this form's token was already used (None otherwise): for a step
    before the create (a confirmation page) that should not be shown again for a form already acted on."""
    token = _token(form)
    url = _first_result(token) if token else None
    if url is None:
        return None
    flash(str(ALREADY_SENT), "success")
    return redirect(url)


def claim(form: FlaskForm, result_url: str = "") -> Response | None:
    """Take the form's token for this request, or return the redirect to the first result if it was taken.
    A view that knows its result's URL beforehand passes it here and need not call :func:`record`."""
    token = _token(form)
    if token is None:
        return None
    # No look-up first: the token's uniqueness decides (INSERT … ON CONFLICT DO NOTHING, which on PostgreSQL
    # waits for a concurrent sending of the same form to commit or roll back), and a used token (the usual
    # case is a new one) costs the insert that inserts nothing and then the look-up of the first result.
    taken = db.session.execute(
        insert_new(db.session, FormSubmission).values(
            token=token, endpoint=(request.endpoint or "")[:100], result_url=result_url[:500], created_at=utcnow(),
            user_id=getattr(current_user, "id", None) if getattr(current_user, "is_authenticated", False) else None,
        ).returning(FormSubmission.id)
    ).scalar_one_or_none()
    if taken is not None:
        return None
    again = replay(form)  # another sending of the same form took it first and has committed since
    if again is None:  # pragma: no cover - the row that held the token is gone again (purged meanwhile)
        raise RuntimeError("a one-time token was taken and is no longer recorded")
    return again


def record(form: FlaskForm, url: str) -> str:
    """Remember ``url`` as the result of this form's sending (call before the commit); returns ``url``."""
    token = _token(form)
    if token is not None:
        db.session.execute(update(FormSubmission).where(FormSubmission.token == token).values(result_url=url[:500]))
    return url


def purge(session: Session, before: datetime) -> int:
    """Forget the tokens of forms sent before ``before`` (their replay window is long past); returns how many.
    A token links an account to an endpoint and a time, so it is not kept for ever."""
    result = session.execute(delete(FormSubmission).where(FormSubmission.created_at < before))
    return int(getattr(result, "rowcount", 0) or 0)
