"""Shared fixtures.  The suite runs against TEST_DATABASE_URL (SQLite in memory by default; CI repeats it
on PostgreSQL).  When TEST_DATABASE_URL names a PostgreSQL server that does not answer, the database tests
skip with the reason, except under CI=true, where they fail."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from app import create_app
from app.extensions import db as _db
from app.extensions import limiter
from config import database_url

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def pg_available(url: str) -> str | None:
    """None when the server answers, otherwise the reason it does not."""
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        return f"PostgreSQL at {url} did not answer: {exc.__class__.__name__}: {str(exc).splitlines()[0][:200]}"


normalise_pg_url = database_url


def require_service(reason: str | None) -> None:
    if reason is None:
        return
    if IN_CI:
        pytest.fail(f"CI=true and a required service is missing: {reason}")
    pytest.skip(reason)


class IsolatedClient(FlaskClient):
    """Each request gets its own application context, as in production (Flask would otherwise reuse the
    test's context, sharing ``g``, the signed-in user and the locale between requests).  After a request
    the test's own session is expired, so what the test reads next comes fresh from the database."""

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        outer = _cv_app.get(None)
        token = _cv_app.set(None)  # type: ignore[arg-type]
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)
            if outer is not None:
                _db.session.expire_all()


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    url = os.environ.get("TEST_DATABASE_URL")
    if url and url.startswith("postgres"):
        url = normalise_pg_url(url)
        require_service(pg_available(url))
    elif not url:
        # A file, not :memory:, so that requests and the test use separate connections, as in production.
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    application = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    application.test_client_class = IsolatedClient
    with application.app_context():
        _db.drop_all()
        _db.create_all()
    yield application
    with application.app_context():
        _db.drop_all()
        _db.engine.dispose()


@pytest.fixture(autouse=True)
def _app_context(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests that use the app run inside an application context, and leave an empty database behind."""
    if "app" not in request.fixturenames:
        yield
        return
    application: Flask = request.getfixturevalue("app")
    with application.app_context():
        yield
        _db.session.rollback()
        _db.session.remove()
        with _db.engine.begin() as conn:
            for table in reversed(_db.metadata.sorted_tables):
                conn.execute(table.delete())
    application.extensions["mail_outbox"].clear()
    with application.app_context():
        limiter.reset()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "page has no CSRF token"
    return m.group(1)


class Browser:
    """Drives the real forms the way a person with JavaScript off would: GET the page, POST it back with
    the CSRF token the page carried."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def get(self, url: str, **kw: object):  # type: ignore[no-untyped-def]
        return self.client.get(url, **kw)

    def submit(self, url: str, data: dict[str, object], *, follow: bool = True, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        page = self.client.get(url, headers=headers)
        assert page.status_code == 200, f"GET {url} gave {page.status_code}"
        payload = {"csrf_token": csrf_from(page.get_data(as_text=True)), **data}
        return self.client.post(url, data=payload, follow_redirects=follow, headers=headers)

    def sign_in(self, email: str, password: str):  # type: ignore[no-untyped-def]
        resp = self.submit("/auth/sign-in", {"email": email, "password": password})
        assert "You are signed in." in resp.get_data(as_text=True), resp.get_data(as_text=True)[:2000]
        return resp

    def sign_out(self):  # type: ignore[no-untyped-def]
        page = self.client.get("/")
        return self.client.post("/auth/sign-out", data={"csrf_token": csrf_from(page.get_data(as_text=True))}, follow_redirects=True)


@pytest.fixture
def browser(client: FlaskClient) -> Browser:
    return Browser(client)


@pytest.fixture
def demo(app: Flask) -> None:
    """The Cambridgeshire demo data (places, postcodes, accounts)."""
    from app.core.demo import seed_demo

    seed_demo(_db.session)
    _db.session.commit()
