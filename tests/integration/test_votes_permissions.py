"""Who may use each delegation and voting page: one row per endpoint and kind of user (anonymous, resident,
officer), plus the policy table for each new permission."""

from __future__ import annotations

import pytest

from app.auth.models import Role
from app.core.permissions import Permission, can
from tests.factories import PASSWORD, make_user
from tests.factories_votes import cambs, cast, close, make_vote, offer, resident  # noqa: F401

pytestmark = pytest.mark.usefixtures("cambs")

POLICY_TABLE = [
    # (role or None for a resident, permission, allowed)
    (None, Permission.DELEGATION_OFFER, True),
    (None, Permission.DELEGATION_DELEGATE, True),
    (None, Permission.DELEGATION_VIEW_WEIGHT, True),
    (None, Permission.DELEGATION_MANAGE_GROUPS, False),
    (Role.MODERATOR, Permission.DELEGATION_MANAGE_GROUPS, False),
    (Role.OFFICER, Permission.DELEGATION_MANAGE_GROUPS, True),
    (Role.ADMINISTRATOR, Permission.DELEGATION_MANAGE_GROUPS, True),
    (None, Permission.VOTE_MANAGE, False),
    (Role.MODERATOR, Permission.VOTE_MANAGE, False),
    (Role.OFFICER, Permission.VOTE_MANAGE, True),
    (Role.ADMINISTRATOR, Permission.VOTE_MANAGE, True),
    (None, Permission.VOTE_KEY_ASSISTED, False),
    (Role.OFFICER, Permission.VOTE_KEY_ASSISTED, True),
    (None, Permission.VOTE_COUNT, False),
    (Role.OFFICER, Permission.VOTE_COUNT, True),
]


def test_policy_table():
    for role, permission, allowed in POLICY_TABLE:
        user = make_user(role) if role else make_user()
        assert can(permission, user=user) is allowed, (role, permission)
        user.is_suspended = True
        assert not can(permission, user=user), ("suspended", role, permission)


def test_vote_permissions_depend_on_the_vote():
    vote = make_vote()
    home, away = resident(), resident(postcode="CB23 6AA")
    officer = make_user(Role.OFFICER)
    assert can(Permission.VOTE_CAST, vote, user=home) and not can(Permission.VOTE_CAST, vote, user=away)
    assert not can(Permission.VOTE_VIEW_RESULTS, vote, user=home)
    cast(home, vote, "Play area")
    close(vote)
    assert not can(Permission.VOTE_CAST, vote, user=home)
    assert can(Permission.VOTE_VIEW_RESULTS, vote, user=officer) and not can(Permission.VOTE_VIEW_RESULTS, vote, user=home)
    assert not can(Permission.VOTE_KEY_ASSISTED, vote, user=officer)  # closed


# (url template, anonymous, resident, officer): 200 = may use, 302 = sent to sign in, 403 = refused, 404 = hidden
ENDPOINTS = [
    ("/delegation/", 302, 200, 200),
    ("/delegation/delegates", 200, 200, 200),
    ("/delegation/delegates/{delegate}", 200, 200, 200),
    ("/delegation/delegates/{delegate}/group", 302, 403, 200),
    ("/delegation/offer", 302, 200, 200),
    ("/delegation/withdraw", 302, 200, 200),
    ("/delegation/new", 302, 200, 200),
    ("/delegation/where", 302, 200, 200),
    ("/delegation/weight", 302, 200, 200),
    ("/delegation/history", 302, 200, 200),
    ("/delegation/preferences", 302, 200, 200),
    ("/votes/", 200, 200, 200),
    ("/votes/new", 302, 403, 200),
    ("/votes/receipt", 200, 200, 200),
    ("/votes/{open}", 200, 200, 200),
    ("/votes/{open}/ballot", 200, 200, 200),
    ("/votes/{open}/delegate", 302, 200, 200),
    ("/votes/{open}/assisted", 302, 403, 200),
    ("/votes/{open}/close", 302, 403, 200),
    ("/votes/{open}/publish", 302, 403, 302),  # nothing to publish yet: to the close page
    ("/votes/{open}/results", 404, 404, 404),
    ("/votes/{open}/ballots.blt", 404, 404, 404),
    ("/votes/{closed}/results", 404, 404, 200),
    ("/votes/{closed}/ballots.blt", 404, 404, 404),
    ("/votes/{closed}/publish", 302, 403, 200),
    ("/votes/{closed}/close/{job}", 302, 403, 200),  # how a background count went (app/core/count_jobs.py)
]


def test_every_page_answers_each_kind_of_user_as_declared(app, client, browser):
    delegate_user = offer(resident("Dee"))
    open_vote = make_vote()
    closed_vote = make_vote()
    cast(resident(), closed_vote, "Play area")
    close(closed_vote)
    from app.core.count_jobs import CountJob
    from app.extensions import db

    job = CountJob(kind="vote", object_id=closed_vote.id, state="done", locale="en")
    db.session.add(job)
    db.session.commit()
    ids = {"delegate": delegate_user.id, "open": open_vote.id, "closed": closed_vote.id, "job": job.id}
    urls = {t for t, *_ in ENDPOINTS}
    table = {r.rule for r in app.url_map.iter_rules() if r.endpoint.split(".")[0] in ("delegation", "voting")}
    declared = {t.replace("{delegate}", "<int:user_id>").replace("{open}", "<int:vote_id>").replace("{closed}", "<int:vote_id>")
                .replace("{job}", "<int:job_id>") for t in urls}
    assert table - declared == {"/delegation/revoke"}  # POST only, tested on the delegation pages
    resident_user, officer = resident("R"), make_user(Role.OFFICER)
    for who, column in ((None, 1), (resident_user, 2), (officer, 3)):
        if who is not None:
            browser.sign_in(who.email, PASSWORD)
        for row in ENDPOINTS:
            url = row[0].format(**ids)
            assert client.get(url).status_code == row[column], (url, who and who.id)
        if who is not None:
            browser.sign_out()
    assert client.post("/delegation/revoke").status_code == 400  # no CSRF token: refused before the view
