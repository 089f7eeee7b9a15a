"""Who may do what with delegations."""

from __future__ import annotations

from typing import Any

from app.auth.models import Role
from app.core.permissions import Permission, policy


def is_officer(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and not getattr(user, "is_suspended", False)
                and (user.has_role(Role.OFFICER) or user.has_role(Role.ADMINISTRATOR)))


def _member(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and not getattr(user, "is_suspended", False))


@policy(Permission.DELEGATION_OFFER)
def may_offer(user: Any, obj: Any) -> bool:
    """Any member may offer to be a delegate."""
    return _member(user)


@policy(Permission.DELEGATION_DELEGATE)
def may_delegate(user: Any, obj: Any) -> bool:
    """Any member may delegate, revoke, and see where their vote goes and their history."""
    return _member(user)


@policy(Permission.DELEGATION_VIEW_WEIGHT)
def may_view_weight(user: Any, obj: Any) -> bool:
    """A member sees the weight they themself carry (the page shows only their own)."""
    return _member(user)


@policy(Permission.DELEGATION_MANAGE_GROUPS)
def may_manage_groups(user: Any, obj: Any) -> bool:
    """Officers and administrators register a delegate account as a community group's."""
    return is_officer(user)
