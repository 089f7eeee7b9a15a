"""Who may manage accounts and roles."""

from __future__ import annotations

from typing import Any

from app.auth.models import Role
from app.core.permissions import Permission, policy


@policy(Permission.ACCOUNT_MANAGE_ROLES)
def may_manage_roles(user: Any, target: Any) -> bool:
    return bool(user.has_role(Role.ADMINISTRATOR)) and (target is None or not target.is_deleted)


@policy(Permission.ACCOUNT_LIST)
def may_list_accounts(user: Any, _: Any) -> bool:
    return bool(user.has_role(Role.ADMINISTRATOR))
