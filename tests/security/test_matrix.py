"""The security matrix: every endpoint of the URL map × every role × (own object / someone else's / restricted).

Nothing here is listed by hand per endpoint.  What each endpoint expects comes from its declaration
(``requirement_of(view)``: ``@public``, ``@member``, ``@signed_in`` or ``@requires(Permission.X, load=…)``) and
from the policy functions of each feature's ``policy.py``:

- ``@member``, ``@signed_in``, ``@requires``: a visitor is sent to sign in;
- ``@member`` and ``@requires``: a suspended account gets 403;
- ``@requires(P, load=L)``: ``L(**arguments)`` as that user (404 when it finds nothing the user may see),
  then ``can(P, obj, user)``: allowed or 403;
- ``@public``: allowed, except that a proposal, comment, debate, space or recommendation the reading policy
  hides from the user is 403 or 404.

"Allowed" means the view ran: a page, a redirect that is not to sign in, or the view's own answer to the
request (a 400/404/409 for a form or state it refuses), never 403, never a 5xx.  Every HTML page is also
searched for the world's stored-XSS payloads printed unescaped.  A GET runs for every endpoint that has one
(the declaration covers every method of a view); POST-only endpoints get a POST with a valid CSRF token.
Every request runs dry (commits roll back), so the world stays the same from one endpoint to the next.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask_login import AnonymousUserMixin, login_user
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from app import create_app
from app.core.permissions import Permission, can, requirement_of
from tests.security.conftest import Visitor, dry_run
from tests.security.world import RAW_PAYLOAD_RE, ROLES, World, url_arguments

SIGN_IN, FORBIDDEN, HIDDEN, NOT_FOUND, ALLOWED = "sends to sign-in", "403", "403 or 404", "404", "allowed"
ALLOWED_CODES = {200, 201, 204, 302, 303, 400, 404, 409}

# Permissions no resident holds by being a resident (or a coalition or panel member): council staff only.
STAFF_ONLY = {
    Permission.ACCOUNT_MANAGE_ROLES, Permission.ACCOUNT_LIST, Permission.ACCOUNT_ASSISTED_REGISTRATION,
    Permission.ACCOUNT_CONFIRM_AREA, Permission.PLACE_MANAGE, Permission.AUDIT_VIEW, Permission.PROPOSAL_REVIEW,
    Permission.PROPOSAL_POST_UPDATE, Permission.PROPOSAL_MANAGE_TOPICS, Permission.PROPOSAL_ASSISTED_ENTRY,
    Permission.DELIBERATION_ASSISTED_COMMENT, Permission.DELIBERATION_MODERATE, Permission.DELIBERATION_MANAGE_SPACES,
    Permission.DELIBERATION_RESPOND_RECOMMENDATION, Permission.BUDGET_MANAGE, Permission.BUDGET_EDIT_SETUP,
    Permission.BUDGET_KEY_PAPER, Permission.BUDGET_COUNT, Permission.PANEL_CREATE, Permission.PANEL_RUN,
    Permission.PANEL_VIEW_PERSONAL, Permission.DELEGATION_MANAGE_GROUPS, Permission.VOTE_MANAGE,
    Permission.VOTE_KEY_ASSISTED, Permission.VOTE_COUNT,
}
RESIDENT_ROLES = ("resident", "elsewhere", "coalition", "panel")


def _endpoints() -> list[str]:
    """The endpoints of the URL map, read from an app with no database behind it (collection time)."""
    application = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted({rule.endpoint for rule in application.url_map.iter_rules() if rule.endpoint != "static"})


ENDPOINTS = _endpoints()


def _readable(argument: str, value: Any, user: Any) -> bool | None:
    """What the reading policies say about the object an argument of a public page names (None: no such rule)."""
    from app.deliberation import policy as deliberation
    from app.deliberation.models import Comment, Debate, Recommendation, Space
    from app.extensions import db
    from app.proposals.models import Proposal
    from app.proposals.policy import may_view as may_view_proposal

    rules: dict[str, Any] = {
        "proposal_id": lambda: may_view_proposal(user, db.session.get(Proposal, value)),
        "comment_id": lambda: deliberation.may_view_comment(user, db.session.get(Comment, value)),
        "debate_id": lambda: deliberation.may_view_debate(user, db.session.get(Debate, value)),
        "recommendation_id": lambda: deliberation.may_view_recommendation(user, db.session.get(Recommendation, value)),
        "slug": lambda: deliberation.may_view_space(
            user, db.session.execute(select(Space).where(Space.slug == value)).scalar_one()),
    }
    return bool(rules[argument]()) if argument in rules else None


def expectation(app: Flask, world: World, endpoint: str, role: str, arguments: dict[str, Any]) -> str:
    requirement = requirement_of(app.view_functions[endpoint])
    assert requirement is not None
    user = world.user(role)
    if requirement.kind == "public":
        reader = user if user is not None else AnonymousUserMixin()
        verdicts = [_readable(name, value, reader) for name, value in arguments.items()]
        return HIDDEN if False in verdicts else ALLOWED
    if user is None:
        return SIGN_IN
    if requirement.kind == "signed_in":
        return ALLOWED
    if requirement.kind == "member":
        return FORBIDDEN if user.is_suspended else ALLOWED
    assert requirement.permission is not None
    with app.test_request_context():
        login_user(user)
        obj = None
        if requirement.load is not None:
            try:
                obj = requirement.load(**arguments)
            except NotFound:
                return NOT_FOUND
        return ALLOWED if can(requirement.permission, obj, user=user) else FORBIDDEN


def outcome(status: int, location: str) -> str:
    if status == 302 and location.split("?")[0].endswith("/auth/sign-in"):
        return SIGN_IN
    return str(status)


def matches(expected: str, status: int, location: str) -> bool:
    got = outcome(status, location)
    if expected == ALLOWED:
        return got != SIGN_IN and status in ALLOWED_CODES
    if expected == HIDDEN:
        return status in (403, 404)
    return got == expected


def test_every_endpoint_is_in_the_matrix(app: Flask) -> None:
    """The endpoints the matrix was collected from are the app's (a blueprint registered late would be missed)."""
    assert sorted({r.endpoint for r in app.url_map.iter_rules() if r.endpoint != "static"}) == ENDPOINTS


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_matrix(endpoint: str, app: Flask, world: World, visitors: dict[str, Visitor], monkeypatch: pytest.MonkeyPatch) -> None:
    view = app.view_functions[endpoint]
    requirement = requirement_of(view)
    assert requirement is not None, (
        f"{endpoint} declares nothing: add @public, @member, @signed_in or @requires(Permission.X, load=…) from "
        "app/core/permissions.py to its view (the permission needs a policy in the feature's policy.py)")
    rules = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint]
    failures: list[str] = []
    reached = False  # did any role get past the declaration and the loader, to the view itself?
    for rule in rules:
        variants = url_arguments(world, endpoint, set(rule.arguments))
        if isinstance(variants, str):
            pytest.fail(f"{endpoint} ({rule.rule}): {variants}")
        method = "GET" if "GET" in (rule.methods or ()) else "POST"
        for variant, arguments in variants.items():
            with app.test_request_context():
                from flask import url_for

                url = url_for(endpoint, **arguments)
            for role in ROLES:
                expected = expectation(app, world, endpoint, role, arguments)
                if role in RESIDENT_ROLES and requirement.permission in STAFF_ONLY and expected == ALLOWED:
                    failures.append(f"{role} may use {endpoint} ({variant}: {url}) through {requirement.permission}, "
                                    "a council-staff permission")
                visitor = visitors[role]
                with dry_run(monkeypatch):
                    if method == "GET":
                        resp = visitor.client().get(url)
                    else:
                        resp = visitor.client().post(url, data={"csrf_token": visitor.token})
                status, location = resp.status_code, resp.headers.get("Location", "")
                reached = reached or (status not in (403, 404) and outcome(status, location) != SIGN_IN)
                if not matches(expected, status, location):
                    failures.append(f"{method} {url} as {role} ({variant}): expected {expected}, got {outcome(status, location)}")
                if resp.mimetype == "text/html":
                    body = resp.get_data(as_text=True)
                    for n in sorted({int(m) for m in RAW_PAYLOAD_RE.findall(body)}):
                        column = world.payloads.get(n, "text written through the services")
                        failures.append(f"{method} {url} as {role}: stored XSS, {column} printed unescaped")
    if not reached:
        failures.append("no role reached the view itself (every answer was sign-in, 403 or 404): give build_world() "
                        "in tests/security/world.py an object this endpoint accepts, for the role that may use it")
    assert not failures, f"{endpoint} ({requirement.access}):\n  " + "\n  ".join(failures)
