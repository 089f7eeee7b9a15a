"""Who may read the full audit log (its entries name accounts, so it is for officers and administrators)."""

from __future__ import annotations

from typing import Any

from app.auth.models import Role
from app.core.permissions import Permission, policy


@policy(Permission.AUDIT_VIEW)
def may_view_audit(user: Any, _: Any) -> bool:
    return bool(user.has_role(Role.ADMINISTRATOR) or user.has_role(Role.OFFICER))
