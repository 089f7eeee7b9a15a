"""The security tests share one world for the whole package (building the demo data takes a while): the root
conftest's per-test clean-up is replaced by one at the end of the package.  Tests here must leave the world as
they found it: the matrix sends its requests in ``dry_run`` (every commit rolls back), and the session tests use
accounts of their own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.extensions import db as _db
from app.extensions import limiter
from tests.conftest import csrf_from
from tests.security.world import ROLES, World, build_world


@pytest.fixture(autouse=True)
def _app_context(request: pytest.FixtureRequest) -> Iterator[None]:
    """Overrides the root conftest's: an application context per test, without emptying the database."""
    if "app" not in request.fixturenames and "world" not in request.fixturenames:
        yield
        return
    application: Flask = request.getfixturevalue("app")
    with application.app_context():
        yield
        _db.session.rollback()
        _db.session.remove()
    application.extensions["mail_outbox"].clear()
    with application.app_context():
        limiter.reset()


@pytest.fixture(scope="package")
def world(app: Flask) -> Iterator[World]:
    with app.app_context():
        built = build_world(_db.session)
        _db.session.commit()
        _db.session.remove()
    yield built
    with app.app_context():
        _db.session.remove()
        with _db.engine.begin() as conn:
            for table in reversed(_db.metadata.sorted_tables):
                conn.execute(table.delete())
        limiter.reset()


def sign_in_as(client: FlaskClient, user_id_token: str) -> None:
    """Sign in without the form (the sign-in form has its own tests, and its rate limits)."""
    with client.session_transaction() as sess:
        sess["_user_id"] = user_id_token
        sess["_fresh"] = True


def csrf_token(client: FlaskClient) -> str:
    return csrf_from(client.get("/auth/reset").get_data(as_text=True))


@dataclass(frozen=True)
class Visitor:
    """A role's signed-in session (its cookie) and the CSRF token that goes with it.  ``client()`` gives a new
    client holding that session, so a request that changes the session (signing out) changes only a copy."""

    app: Flask
    cookie: str | None
    token: str

    def client(self) -> FlaskClient:
        client = self.app.test_client()
        if self.cookie is not None:
            client.set_cookie(self.app.config["SESSION_COOKIE_NAME"], self.cookie)
        return client


@pytest.fixture(scope="package")
def visitors(app: Flask, world: World) -> dict[str, Visitor]:
    """role → that role's session."""
    out: dict[str, Visitor] = {}
    with app.app_context():
        for role in ROLES:
            client = app.test_client()
            user = world.user(role)
            if user is not None:
                sign_in_as(client, user.get_id())
            token = csrf_token(client)
            cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
            out[role] = Visitor(app, cookie.value if cookie is not None else None, token)
        _db.session.remove()
    return out


@contextmanager
def dry_run(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Requests inside change nothing: every commit rolls back instead (views still run whole)."""
    with monkeypatch.context() as patch:
        patch.setattr(Session, "commit", Session.rollback)
        yield
