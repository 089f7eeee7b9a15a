"""Who a person is: confirming an e-mail address with a single-use link, and an officer's check in person.

Casting a ballot or supporting a proposal needs one of the two (:func:`app.auth.policy.participation_refusal`).
Services take the acting user explicitly, flush and never commit.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.auth.models import EmailConfirmationToken, Role, User
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError

CONFIRMATION_MAX_AGE = timedelta(days=3)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(session: Session, user: User) -> str:
    """A new single-use link token for the account's current address (earlier unused links keep working until
    one of them is used; using one spends them all)."""
    if user.is_deleted or not user.email:
        raise DomainError(_("This account has no email address to confirm."))
    token = secrets.token_urlsafe(32)
    session.add(EmailConfirmationToken(
        user_id=user.id, email=user.email, token_hash=_hash(token), expires_at=utcnow() + CONFIRMATION_MAX_AGE,
    ))
    session.flush()
    return token


def usable(session: Session, token: str) -> EmailConfirmationToken | None:
    row = session.execute(
        select(EmailConfirmationToken).where(EmailConfirmationToken.token_hash == _hash(token))
    ).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at < utcnow():
        return None
    return row


def confirm(session: Session, token: str) -> User:
    """Spend the token and mark the address confirmed.  The token is spent with a compare-and-set UPDATE, so
    two requests with the same link cannot both use it."""
    row = usable(session, token)
    if row is None:
        raise DomainError(_("This confirmation link has expired or has already been used. Ask for a new one."))
    user = session.get(User, row.user_id)
    if user is None or user.is_deleted or user.email != row.email:
        raise DomainError(_("This confirmation link has expired or has already been used. Ask for a new one."))
    now = utcnow()
    spent = session.execute(
        update(EmailConfirmationToken)
        .where(EmailConfirmationToken.id == row.id, EmailConfirmationToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:
        raise DomainError(_("This confirmation link has expired or has already been used. Ask for a new one."))
    session.execute(
        update(EmailConfirmationToken)
        .where(EmailConfirmationToken.user_id == user.id, EmailConfirmationToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if user.email_confirmed_at is None:
        user.email_confirmed_at = now
        session.flush()
        audit.record(session, "account.email_confirmed", actor=user, obj=user)
    return user


def verify_in_person(session: Session, officer: User, user: User) -> bool:
    """An officer who entered something on a person's behalf (assisted entry) vouches for them; False when the
    account was already verified by an officer."""
    if not (officer.has_role(Role.OFFICER) or officer.has_role(Role.ADMINISTRATOR)):
        raise DomainError(_("Only an officer can verify a person."))
    if user.is_deleted:
        raise DomainError(_("This account has been deleted."))
    if user.verified_at is not None:
        return False
    user.verified_at = utcnow()
    user.verified_by_id = officer.id
    session.flush()
    audit.record(session, "account.verified_by_officer", actor=officer, obj=user)
    return True
