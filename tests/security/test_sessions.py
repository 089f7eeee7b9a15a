"""CSRF on every POST, session fixation, and sessions that end: signing out and changing the password end every
copy of the session and of the remember-me cookie."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.auth import services as accounts
from app.auth.models import User
from app.extensions import db
from tests.conftest import csrf_from
from tests.security.conftest import Visitor, dry_run
from tests.security.world import PASSWORD, World, url_arguments

SESSION = "session"
REMEMBER = "remember_token"


def _post_rules(app: Flask) -> list[Any]:
    return sorted((r for r in app.url_map.iter_rules() if "POST" in (r.methods or ())), key=lambda r: r.rule)


def _session_data(app: Flask, client: FlaskClient) -> dict[str, Any]:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    if cookie is None:
        return {}
    return dict(app.session_interface.get_signing_serializer(app).loads(cookie.value))  # type: ignore[attr-defined]


def _sign_in(client: FlaskClient, email: str, remember: bool = False) -> Any:
    page = client.get("/auth/sign-in")
    data = {"csrf_token": csrf_from(page.get_data(as_text=True)), "email": email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    resp = client.post("/auth/sign-in", data=data)
    assert resp.status_code == 302 and resp.headers["Location"] == "/", resp.get_data(as_text=True)[:500]
    return resp


def _sign_out(client: FlaskClient) -> None:
    token = csrf_from(client.get("/auth/account").get_data(as_text=True))
    assert client.post("/auth/sign-out", data={"csrf_token": token}).status_code == 302


def _signed_in(client: FlaskClient) -> bool:
    resp = client.get("/auth/account")
    return resp.status_code == 200


@pytest.mark.parametrize("case", ["missing", "made up", "another session's"])
def test_every_post_without_its_own_csrf_token_gets_400(case: str, app: Flask, world: World, visitors: dict[str, Visitor],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every endpoint that takes a POST, as a signed-in resident: no token, a token never issued, and a real
    token of another session are all refused with the 400 page, before any permission or form is looked at."""
    tokens = {"missing": None, "made up": "IjAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAi.aaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbb",
              "another session's": visitors["elsewhere"].token}
    failures = []
    rules = _post_rules(app)
    assert len(rules) > 50
    for rule in rules:
        variants = url_arguments(world, rule.endpoint, set(rule.arguments))
        assert not isinstance(variants, str), f"{rule.endpoint}: {variants}"
        arguments = next(iter(variants.values()))
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **arguments)
        data = {} if tokens[case] is None else {"csrf_token": tokens[case]}
        with dry_run(monkeypatch):
            resp = visitors["resident"].client().post(url, data=data)
        if resp.status_code != 400 or "security token" not in resp.get_data(as_text=True):
            failures.append(f"POST {url} ({rule.endpoint}) with a {case} CSRF token: {resp.status_code}")
    assert not failures, "\n".join(failures)


def test_a_real_token_of_the_same_session_is_accepted(app: Flask, visitors: dict[str, Visitor]) -> None:
    """The control for the test above: the same POST with the session's own token gets past the CSRF check."""
    resp = visitors["resident"].client().post("/auth/reset", data={"csrf_token": visitors["resident"].token, "email": ""})
    assert resp.status_code == 200


def test_sign_in_and_sign_out_start_a_new_session(app: Flask, world: World) -> None:
    """Session fixation: whatever the session held before signing in (above all its CSRF secret) is gone after,
    and again after signing out; a token of the old session no longer works."""
    email = db.session.get(User, world.spare["fixation"]).email or ""
    client = app.test_client()
    old_token = csrf_from(client.get("/auth/sign-in").get_data(as_text=True))
    client.get("/language/pl")  # the language choice is the one thing kept
    before = _session_data(app, client)
    assert before.get("csrf_token") and before.get("locale") == "pl"
    client.get("/language/en")
    _sign_in(client, email)
    after = _session_data(app, client)
    assert after.get("_user_id", "").startswith(f"{world.spare['fixation']}:")
    assert after.get("csrf_token") is None or after["csrf_token"] != before["csrf_token"]
    new_token = csrf_from(client.get("/auth/account").get_data(as_text=True))
    assert _session_data(app, client)["csrf_token"] != before["csrf_token"]
    assert new_token != old_token
    assert client.post("/auth/account", data={"csrf_token": old_token}).status_code == 400  # the old session's token
    assert client.post("/auth/sign-out", data={"csrf_token": old_token}).status_code == 400
    signed_in = _session_data(app, client)
    _sign_out(client)
    out = _session_data(app, client)
    assert "_user_id" not in out
    assert out.get("csrf_token") is None or out["csrf_token"] != signed_in["csrf_token"]
    assert client.post("/auth/reset", data={"csrf_token": new_token, "email": ""}).status_code == 400


def test_a_copied_session_cookie_stops_working_at_sign_out(app: Flask, world: World) -> None:
    user = db.session.get(User, world.spare["copied"])
    victim, thief = app.test_client(), app.test_client()
    _sign_in(victim, user.email or "")
    stolen = victim.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert stolen is not None
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], stolen.value)
    assert _signed_in(thief)
    _sign_out(victim)
    assert not _signed_in(thief), "a copy of the session cookie still works after signing out"
    assert not _signed_in(victim)
    _sign_in(victim, user.email or "")  # signing in again works, on a new session
    assert _signed_in(victim) and not _signed_in(thief)


def test_a_copied_remember_me_cookie_stops_working_at_sign_out(app: Flask, world: World) -> None:
    user = db.session.get(User, world.spare["remember"])
    victim, thief = app.test_client(), app.test_client()
    _sign_in(victim, user.email or "", remember=True)
    remembered = victim.get_cookie(REMEMBER)
    assert remembered is not None
    thief.set_cookie(REMEMBER, remembered.value)
    assert _signed_in(thief), "the remember-me cookie alone signs in"
    _sign_out(victim)
    fresh = app.test_client()
    fresh.set_cookie(REMEMBER, remembered.value)
    assert not _signed_in(fresh), "a copy of the remember-me cookie still works after signing out"
    assert not _signed_in(thief)


def test_changing_the_password_ends_every_session(app: Flask, world: World) -> None:
    user = db.session.get(User, world.spare["password"])
    elsewhere = app.test_client()
    _sign_in(elsewhere, user.email or "")
    assert _signed_in(elsewhere)
    started = accounts.start_password_reset(db.session, user.email or "")
    assert started is not None
    db.session.commit()
    client = app.test_client()
    page = client.get(f"/auth/reset/{started[1]}")
    resp = client.post(f"/auth/reset/{started[1]}", data={
        "csrf_token": csrf_from(page.get_data(as_text=True)), "password": "a brand new password 99",
        "confirm": "a brand new password 99"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    assert not _signed_in(elsewhere), "a session signed in with the old password survived the password change"


def test_sessions_of_the_old_form_are_not_accepted(app: Flask, world: World) -> None:
    """A session that carries only the account id (as before the session nonce) is not signed in."""
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = str(world.spare["fixation"])
    assert not _signed_in(client)
    with client.session_transaction() as sess:
        sess["_user_id"] = f"{world.spare['fixation']}:not-the-token"
    assert not _signed_in(client)
