"""Who may manage accounts and roles."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from app.auth.models import Role
from app.core.permissions import Permission, policy


def has_confirmed_identity(user: Any) -> bool:
    """A confirmed e-mail address (single-use link), or an officer's check in person (assisted entry)."""
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "has_confirmed_identity", False))


def participation_refusal(user: Any) -> str | None:
    """Why a signed-in ``user`` may not yet cast a ballot or support a proposal, in plain words; None when they
    may (and None for anonymous visitors: "sign in" is the caller's own message).

    Every feature that counts a person's choice asks this: proposals' supports here, budgets' and votes' ballots
    in their ``vote_refusal`` policies."""
    if not getattr(user, "is_authenticated", False):
        return None
    if has_confirmed_identity(user):
        return None
    return _(
        "Confirm your email address first: open the link we sent to %(email)s. "
        "You can ask for a new link on your account page.",
        email=user.email or "",
    )


def voter_refusal(user: Any) -> str | None:
    """Why ``user``, as a person, may not cast any ballot (budget or ranked) yet: not signed in, suspended,
    identity not confirmed, or a home area an officer has still to confirm.  None when they may; each ballot's
    own policy then asks about its stage and its area."""
    if user is None or not getattr(user, "is_authenticated", False):
        return _("Sign in to vote. Voting is for residents with an account.")
    if getattr(user, "is_suspended", False):
        return _("Your account is suspended, so you cannot vote.")
    if (refusal := participation_refusal(user)) is not None:
        return refusal
    if getattr(user, "is_area_unconfirmed", False):
        return _("An officer has still to confirm your home area. You can vote once they have.")
    return None


def is_officer(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False) and (user.has_role(Role.OFFICER) or user.has_role(Role.ADMINISTRATOR))
    )


@policy(Permission.ACCOUNT_ASSISTED_REGISTRATION)
def may_register_for_someone(user: Any, _: Any) -> bool:
    return is_officer(user)


@policy(Permission.ACCOUNT_CONFIRM_AREA)
def may_confirm_area(user: Any, target: Any) -> bool:
    return is_officer(user) and (target is None or not target.is_deleted)


@policy(Permission.ACCOUNT_MANAGE_ROLES)
def may_manage_roles(user: Any, target: Any) -> bool:
    return bool(user.has_role(Role.ADMINISTRATOR)) and (target is None or not target.is_deleted)


@policy(Permission.ACCOUNT_LIST)
def may_list_accounts(user: Any, _: Any) -> bool:
    return bool(user.has_role(Role.ADMINISTRATOR))
