"""Account rules: registration, sign-in, password reset, preferences, deletion and roles.

Services take the acting user explicitly, flush and never commit; views commit.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth.models import GRANTABLE_ROLES, PasswordResetToken, Role, User, UserRole
from app.auth.passwords import check_password, hash_password
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError
from app.places.services import home_for, normalise_postcode, place_for_postcode

MIN_PASSWORD_LENGTH = 10


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_by_email(session: Session, email: str) -> User | None:
    return session.execute(select(User).where(func.lower(User.email) == normalise_email(email))).scalar_one_or_none()


def check_new_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise DomainError(
            _("Your password must be at least %(count)d characters long.", count=MIN_PASSWORD_LENGTH), field="password"
        )


@dataclass(frozen=True)
class Registration:
    display_name: str
    email: str
    password: str
    postcode: str
    locale: str | None = None
    ward_id: int | None = None  # chosen from the list when the postcode is not in the directory


@dataclass(frozen=True)
class Registered:
    """The outcome of a registration.  ``is_new`` False means the address already had an account: the page
    answers the same either way (so it never reveals who has an account) and the owner is e-mailed instead."""

    user: User
    is_new: bool


def register(session: Session, data: Registration) -> Registered:
    email = normalise_email(data.email)
    place, area_unconfirmed = home_for(session, data.postcode, data.ward_id)
    check_new_password(data.password)
    password_hash = hash_password(data.password)  # hashed either way, so both answers take as long
    existing = find_by_email(session, email)
    if existing is not None:
        audit.record(session, "account.registration_for_existing_address", obj=existing)
        return Registered(existing, False)
    user = User(
        display_name=data.display_name.strip(),
        email=email,
        password_hash=password_hash,
        postcode=normalise_postcode(data.postcode),
        home_place=place,
        is_area_unconfirmed=area_unconfirmed,
        locale=data.locale,
    )
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # registered at the same moment by another request
        existing = find_by_email(session, email)
        if existing is None:
            raise
        return Registered(existing, False)
    audit.record(session, "account.registered", actor=user, obj=user,
                 data={"area_to_confirm": True} if area_unconfirmed else None)
    return Registered(user, True)


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = find_by_email(session, email)
    if user is None or user.is_deleted or not check_password(user.password_hash, password):
        return None
    user.last_sign_in_at = utcnow()
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_password_reset(session: Session, email: str, max_age: timedelta | None = None) -> tuple[User, str] | None:
    """Make a single-use token for the account with ``email``; None (and no error) when there is none,
    so the page never reveals whether an address is registered."""
    user = find_by_email(session, email)
    if user is None or user.is_deleted:
        return None
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=_token_hash(token),
            expires_at=utcnow() + (max_age or current_app.config["PASSWORD_RESET_MAX_AGE"]),
        )
    )
    session.flush()
    return user, token


def token_is_usable(session: Session, token: str) -> PasswordResetToken | None:
    row = session.execute(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == _token_hash(token))
    ).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at < utcnow():
        return None
    return row


def finish_password_reset(session: Session, token: str, new_password: str) -> User:
    row = token_is_usable(session, token)
    if row is None:
        raise DomainError(_("This reset link has expired or has already been used. Ask for a new one."))
    check_new_password(new_password)
    user = session.get(User, row.user_id)
    assert user is not None
    user.password_hash = hash_password(new_password)
    now = utcnow()
    # Using one token spends every outstanding token of the account.
    for other in session.execute(
        select(PasswordResetToken).where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
    ).scalars():
        other.used_at = now
    user.end_sessions()  # whoever knew the old password is signed out everywhere
    audit.record(session, "account.password_reset", actor=user, obj=user)
    return user


@dataclass(frozen=True)
class Preferences:
    display_name: str
    locale: str | None
    notify_email: bool
    notify_replies: bool
    notify_results: bool
    postcode: str
    ward_id: int | None = None


def sign_out_everywhere(session: Session, user: User) -> None:
    """Signing out ends every session of the account, including copies of its cookies."""
    user.end_sessions()
    session.flush()


def update_preferences(session: Session, user: User, prefs: Preferences) -> None:
    if prefs.postcode and (normalise_postcode(prefs.postcode) != user.postcode or prefs.ward_id):
        place, unconfirmed = home_for(session, prefs.postcode, prefs.ward_id)
        user.home_place = place
        user.postcode = normalise_postcode(prefs.postcode)
        user.is_area_unconfirmed = unconfirmed
    name = prefs.display_name.strip()
    if user.is_suspended and name != (user.display_name or ""):
        # A suspended account keeps its settings and its right to leave, but not a new public name.
        raise DomainError(
            _("While your account is suspended you cannot change the name other people see."),
            field="display_name",
        )
    user.display_name = name
    user.locale = prefs.locale or None
    user.notify_email = prefs.notify_email
    user.notify_replies = prefs.notify_replies
    user.notify_results = prefs.notify_results
    session.flush()


def set_locale(session: Session, user: User, locale: str) -> None:
    user.locale = locale
    session.flush()


def delete_account(session: Session, user: User, password: str) -> None:
    """Remove personal data; contributions stay, shown as by a former member."""
    if not check_password(user.password_hash, password):
        raise DomainError(_("The password is not correct."), field="password")
    session.execute(delete(PasswordResetToken).where(PasswordResetToken.user_id == user.id))
    # a feature's clean-up, imported here to keep auth at the base of the import graph
    from app.delegation.services import account_deleted

    account_deleted(session, user)
    user.role_rows.clear()
    user.email = None
    user.display_name = None
    user.password_hash = None
    user.postcode = None
    user.home_place_id = None
    user.locale = None
    user.notify_email = False
    user.is_deleted = True
    user.deleted_at = utcnow()
    user.end_sessions()
    audit.record(session, "account.deleted", actor=user, obj=user)


def grant_role(session: Session, actor: User | None, user: User, role: Role) -> bool:
    """Give ``user`` ``role``; False when they already had it."""
    if role not in GRANTABLE_ROLES:
        raise DomainError(_("That role cannot be granted."), field="role")
    if user.is_deleted:
        raise DomainError(_("This account has been deleted."))
    if user.has_role(role):
        return False
    user.role_rows.append(UserRole(role=role.value, granted_by_id=getattr(actor, "id", None)))
    session.flush()
    audit.record(session, "role.granted", actor=actor or "cli", obj=user, data={"role": role.value})
    return True


def revoke_role(session: Session, actor: User | None, user: User, role: Role) -> bool:
    if role not in GRANTABLE_ROLES or not user.has_role(role):
        return False
    if role is Role.ADMINISTRATOR and actor is not None and actor.id == user.id:
        raise DomainError(_("You cannot remove your own administrator role. Ask another administrator."), field="role")
    user.role_rows[:] = [r for r in user.role_rows if r.role != role.value]
    session.flush()
    audit.record(session, "role.revoked", actor=actor or "cli", obj=user, data={"role": role.value})
    return True


def create_user(
    session: Session, *, email: str, display_name: str, password: str, roles: list[Role], postcode: str | None = None
) -> User:
    """Shell and seed path: like ``register`` but the postcode is optional and roles are granted at once.  The
    administrator at the command line vouches for the address, so it counts as confirmed."""
    check_new_password(password)
    if find_by_email(session, email):
        raise DomainError(_("An account with that email address already exists. Sign in or reset your password."), field="email")
    user = User(email=normalise_email(email), display_name=display_name, password_hash=hash_password(password),
                email_confirmed_at=utcnow())
    if postcode:
        user.home_place = place_for_postcode(session, postcode)
        user.postcode = normalise_postcode(postcode)
    session.add(user)
    session.flush()
    audit.record(session, "account.created", actor="cli", obj=user)
    for role in roles:
        if role is not Role.RESIDENT:
            grant_role(session, None, user, role)
    return user


def record_rate_limited(session: Session, what: str, client_hash: str, path: str) -> None:
    """Audit that a client went past a rate limit (the client is kept only as a truncated hash)."""
    audit.record(session, f"auth.{what}_rate_limited", data={"client": client_hash, "path": path})


@dataclass(frozen=True)
class AssistedRegistration:
    display_name: str
    email: str
    postcode: str
    ward_id: int | None = None


def register_for_someone(session: Session, officer: User, data: AssistedRegistration) -> Registered:
    """An officer registers a person they have met (a drop-in session, the library, the phone): the account is
    verified by the officer and has no password until the person sets one from the e-mailed link.  When the
    address already has an account, that account is marked verified instead (officers may know who has one)."""
    from app.auth.confirmation import verify_in_person

    if not (officer.has_role(Role.OFFICER) or officer.has_role(Role.ADMINISTRATOR)):
        raise DomainError(_("Only an officer can register someone."))
    name = data.display_name.strip()
    if not name:
        raise DomainError(_("Enter the name other people will see"), field="display_name")
    existing = find_by_email(session, data.email)
    if existing is not None:
        verify_in_person(session, officer, existing)
        return Registered(existing, False)
    place, area_unconfirmed = home_for(session, data.postcode, data.ward_id)
    user = User(display_name=name, email=normalise_email(data.email), postcode=normalise_postcode(data.postcode),
                home_place=place, is_area_unconfirmed=area_unconfirmed)
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise DomainError(_("Someone registered this address at the same moment. Try again."), field="email") from None
    audit.record(session, "account.registered_by_officer", actor=officer, obj=user)
    verify_in_person(session, officer, user)
    return Registered(user, True)


def confirm_area(session: Session, officer: User, user: User, place_id: int) -> None:
    """An officer confirms (or corrects) the home area a resident chose when their postcode was unknown."""
    from app.places.models import Place
    from app.places.services import CHOOSABLE_KINDS

    if not (officer.has_role(Role.OFFICER) or officer.has_role(Role.ADMINISTRATOR)):
        raise DomainError(_("Only an officer can confirm a resident's area."))
    place = session.get(Place, place_id)
    if place is None or place.kind not in CHOOSABLE_KINDS:
        raise DomainError(_("Choose the ward from the list."), field="place_id")
    before = user.home_place_id
    user.home_place = place
    user.is_area_unconfirmed = False
    session.flush()
    audit.record(session, "account.area_confirmed", actor=officer, obj=user, data={"from": before, "to": place.id})

