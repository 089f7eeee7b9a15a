"""Fail-closed permissions.

Every view declares who may use it with exactly one of ``@public``, ``@member``, ``@signed_in`` (suspended
accounts too, for reading their own notifications) or ``@requires(Permission.X, load=…)``; a test walks ``app.url_map`` and fails on any endpoint that declares
nothing.  The question "may this user do this to that object?" is answered by plain policy functions that
each feature registers for its permissions in its ``policy.py``.  Templates ask ``can(Permission.X, obj)``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user

F = TypeVar("F", bound=Callable[..., Any])
Policy = Callable[[Any, Any], bool]


class Permission(enum.StrEnum):
    # accounts and roles
    ACCOUNT_MANAGE_ROLES = "account.manage_roles"
    ACCOUNT_LIST = "account.list"
    ACCOUNT_ASSISTED_REGISTRATION = "account.assisted_registration"
    ACCOUNT_CONFIRM_AREA = "account.confirm_area"
    # places
    PLACE_MANAGE = "place.manage"
    # audit log
    AUDIT_VIEW = "audit.view"
    # --- proposals: policies in app/proposals/policy.py (only the proposals feature edits this block) ---
    PROPOSAL_CREATE = "proposal.create"
    PROPOSAL_EDIT = "proposal.edit"
    PROPOSAL_TRANSITION = "proposal.transition"
    PROPOSAL_REVIEW = "proposal.review"
    PROPOSAL_POST_UPDATE = "proposal.post_update"
    PROPOSAL_SUPPORT = "proposal.support"
    PROPOSAL_WITHDRAW_SUPPORT = "proposal.withdraw_support"
    PROPOSAL_MANAGE_TOPICS = "proposal.manage_topics"
    PROPOSAL_ASSISTED_ENTRY = "proposal.assisted_entry"
    # --- end proposals ---
    # --- deliberation: policies in app/deliberation/policy.py (only the deliberation feature edits this block) ---
    DELIBERATION_COMMENT = "deliberation.comment"
    DELIBERATION_EDIT_COMMENT = "deliberation.edit_comment"
    DELIBERATION_START_DEBATE = "deliberation.start_debate"
    DELIBERATION_ASSISTED_COMMENT = "deliberation.assisted_comment"
    DELIBERATION_REPORT = "deliberation.report"
    DELIBERATION_MODERATE = "deliberation.moderate"
    DELIBERATION_MANAGE_SPACES = "deliberation.manage_spaces"
    DELIBERATION_PUBLISH_RECOMMENDATION = "deliberation.publish_recommendation"
    DELIBERATION_RESPOND_RECOMMENDATION = "deliberation.respond_recommendation"
    DELIBERATION_AGREE_RECOMMENDATION = "deliberation.agree_recommendation"
    # --- end deliberation ---
    # --- budgets: policies in app/budgets/policy.py (only the budgets feature edits this block) ---
    BUDGET_MANAGE = "budget.manage"
    BUDGET_EDIT_SETUP = "budget.edit_setup"
    BUDGET_VOTE = "budget.vote"
    BUDGET_KEY_PAPER = "budget.key_paper"
    BUDGET_COUNT = "budget.count"
    BUDGET_VIEW_RESULTS = "budget.view_results"
    # --- end budgets ---
    # --- panels: policies in app/panels/policy.py (only the panels feature edits this block) ---
    PANEL_CREATE = "panel.create"
    PANEL_RUN = "panel.run"
    PANEL_VIEW_PERSONAL = "panel.view_personal"
    PANEL_VIEW_WORKSPACE = "panel.view_workspace"
    PANEL_RECOMMEND = "panel.recommend"
    # --- end panels ---
    # --- delegation: policies in app/delegation/policy.py (only the delegation feature edits this block) ---
    DELEGATION_OFFER = "delegation.offer"
    DELEGATION_DELEGATE = "delegation.delegate"
    DELEGATION_VIEW_WEIGHT = "delegation.view_weight"
    DELEGATION_MANAGE_GROUPS = "delegation.manage_groups"
    # --- end delegation ---
    # --- voting: policies in app/voting/policy.py (only the voting feature edits this block) ---
    VOTE_MANAGE = "vote.manage"
    VOTE_CAST = "vote.cast"
    VOTE_KEY_ASSISTED = "vote.key_assisted"
    VOTE_COUNT = "vote.count"
    VOTE_VIEW_RESULTS = "vote.view_results"
    VOTE_SEE_DELEGATE_BALLOT = "vote.see_delegate_ballot"
    # --- end voting ---
    # --- exports: policies in app/exports/policy.py (only the exports feature edits this block) ---
    EXPORT_PACK = "export.pack"
    # --- end exports ---


_POLICIES: dict[Permission, Policy] = {}


def policy(permission: Permission) -> Callable[[Policy], Policy]:
    """Register ``fn(user, obj) -> bool`` as the policy for ``permission``."""

    def register(fn: Policy) -> Policy:
        if permission in _POLICIES and _POLICIES[permission] is not fn:
            raise RuntimeError(f"Two policies registered for {permission}")
        _POLICIES[permission] = fn
        return fn

    return register


def can(permission: Permission, obj: Any = None, user: Any = None) -> bool:
    """May ``user`` (default: the signed-in user) do ``permission`` to ``obj``?  Unknown permissions: no."""
    if user is None:
        user = current_user
    fn = _POLICIES.get(permission)
    if fn is None or user is None or not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_suspended", False):
        return False
    return bool(fn(user, obj))


def registered_policies() -> dict[Permission, Policy]:
    return dict(_POLICIES)


@dataclass(frozen=True)
class Requirement:
    """What a view declared: ``kind`` is ``public``, ``member``, ``signed_in`` or ``requires``; for ``requires``,
    the permission and the loader that turns the URL arguments into the object the policy is asked about."""

    kind: str
    permission: Permission | None = None
    load: Callable[..., Any] | None = None

    @property
    def access(self) -> str:
        return f"requires:{self.permission.value}" if self.permission is not None else self.kind


def _mark(view: Callable[..., Any], requirement: Requirement) -> None:
    view._folkmoot_requirement = requirement  # type: ignore[attr-defined]


def requirement_of(view: Callable[..., Any]) -> Requirement | None:
    """The declaration of a view (``None``: it declared nothing, which the permissions test refuses)."""
    return getattr(view, "_folkmoot_requirement", None)


def access_of(view: Callable[..., Any]) -> str | None:
    requirement = requirement_of(view)
    return requirement.access if requirement is not None else None


def public(view: F) -> F:
    """Anyone, signed in or not, may use this view."""
    _mark(view, Requirement("public"))
    return view


def member(view: F) -> F:
    """Any signed-in, non-suspended account may use this view."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from app.extensions import login_manager

        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if getattr(current_user, "is_suspended", False):
            abort(403)
        return view(*args, **kwargs)

    _mark(wrapper, Requirement("member"))
    return wrapper  # type: ignore[return-value]


def signed_in(view: F) -> F:
    """Any signed-in account, suspended ones included: only for reading one's own things (notifications, and
    why one is suspended) and keeping them tidy.  Never for anything other people see."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from app.extensions import login_manager

        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    _mark(wrapper, Requirement("signed_in"))
    return wrapper  # type: ignore[return-value]


def requires(permission: Permission, load: Callable[..., Any] | None = None) -> Callable[[F], F]:
    """Only users for whom the policy of ``permission`` answers yes.

    With ``load``, the URL arguments are passed to ``load`` (which aborts with 404 when nothing matches) and
    the view is called with the loaded object alone.  Anonymous users are sent to sign in; others get 403.
    """

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from app.extensions import login_manager

            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if load is not None:
                obj = load(**kwargs)
                if not can(permission, obj):
                    abort(403)
                return view(obj)
            if not can(permission):
                abort(403)
            return view(*args, **kwargs)

        _mark(wrapper, Requirement("requires", permission, load))
        return wrapper  # type: ignore[return-value]

    return decorate
