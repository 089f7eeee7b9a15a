"""Who may do what with a citizens' panel.

Officers (and administrators) may create panels; only the officers running a panel (its creator and those they
add) may run it and see its respondents' contact details and category answers, and only until the panel's
personal data is purged.  The panel's selected members, once in its space, and the officers running it use the
workspace; its members publish recommendations for the council's comply-or-explain response.  Everyone may read
the public pages (the invitation draw, the commitment, the draw and its files, which carry no personal data).
"""

from __future__ import annotations

from typing import Any

from app.auth.models import Role
from app.core.permissions import Permission, policy
from app.deliberation.policy import current_membership
from app.panels.models import Panel


def is_officer(user: Any) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and not getattr(user, "is_suspended", False)
        and (user.has_role(Role.OFFICER) or user.has_role(Role.ADMINISTRATOR))
    )


def panel_of(obj: Any) -> Panel | None:
    """The panel a panel object (the panel, a respondent, a question) belongs to."""
    if isinstance(obj, Panel):
        return obj
    panel = getattr(obj, "panel", None)
    return panel if isinstance(panel, Panel) else None


def runs(user: Any, obj: Any) -> bool:
    """Is ``user`` one of the officers running the panel of ``obj`` (and still council staff)?"""
    panel = panel_of(obj)
    return panel is not None and is_officer(user) and any(o.user_id == user.id for o in panel.officers)


def is_member(user: Any, panel: Any) -> bool:
    return isinstance(panel, Panel) and panel.space is not None and current_membership(user, panel.space) is not None


@policy(Permission.PANEL_CREATE)
def may_create(user: Any, _: Any) -> bool:
    return is_officer(user)


@policy(Permission.PANEL_RUN)
def may_run(user: Any, panel: Any) -> bool:
    return runs(user, panel)


@policy(Permission.PANEL_VIEW_PERSONAL)
def may_view_personal(user: Any, obj: Any) -> bool:
    """Contact details and answers: the officers running the panel, until they are purged."""
    panel = panel_of(obj)
    return panel is not None and runs(user, panel) and panel.purged_at is None


@policy(Permission.PANEL_VIEW_WORKSPACE)
def may_view_workspace(user: Any, panel: Any) -> bool:
    return isinstance(panel, Panel) and panel.space is not None and (runs(user, panel) or is_member(user, panel))


@policy(Permission.PANEL_RECOMMEND)
def may_recommend(user: Any, panel: Any) -> bool:
    """The panel's own members draft its recommendations (they go out when enough members agree)."""
    return isinstance(panel, Panel) and panel.space is not None and is_member(user, panel)
