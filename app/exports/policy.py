"""Who may write committee reports and build packs: officers and administrators."""

from __future__ import annotations

from typing import Any

from app.auth.models import Role
from app.core.permissions import Permission, policy


@policy(Permission.EXPORT_PACK)
def may_export(user: Any, obj: Any) -> bool:
    return bool(user.has_role(Role.OFFICER) or user.has_role(Role.ADMINISTRATOR))
