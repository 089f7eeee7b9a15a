"""Who may manage places."""

from __future__ import annotations

from typing import Any

from app.auth.models import Role
from app.core.permissions import Permission, policy


@policy(Permission.PLACE_MANAGE)
def may_manage_places(user: Any, _: Any) -> bool:
    return bool(user.has_role(Role.ADMINISTRATOR))
