"""While a part is down, the app answers cleanly: the error pages never touch the database (it may be the part
that is down), a database outage is a translated 503 with Retry-After, the /health check answers without the
database, and with Redis unreachable the rate limits are counted in each worker's memory instead."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from flask_login import current_user
from sqlalchemy.exc import OperationalError

from app import create_app
from app.core.permissions import public
from app.extensions import db
from tests.conftest import IsolatedClient, csrf_from
from tests.factories import PASSWORD, make_user

ROOT = Path(__file__).resolve().parents[2]


def test_health_answers_without_the_database(client):
    resp = client.get("/health")
    assert resp.status_code == 200 and resp.mimetype == "text/plain" and resp.get_data(as_text=True) == "ok\n"
    assert resp.headers.get("X-Content-Type-Options") == "nosniff"


def _outage_app(tmp_path: Path):  # type: ignore[no-untyped-def]
    application = create_app("testing", {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'outage.sqlite'}", "PROPAGATE_TEST_ERRORS": False,
    })
    application.test_client_class = IsolatedClient

    @public
    def read_then_fail() -> str:
        name = current_user.display_name  # the account is loaded before the database goes
        _take_database_away(tmp_path)
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly")) from None
        return name

    application.add_url_rule("/read-then-fail", "read_then_fail", read_then_fail)
    return application


def _take_database_away(tmp_path: Path) -> None:
    """SQLite stands in for a database that stopped: the file goes, so every new connection finds no tables
    (an OperationalError, as a refused PostgreSQL connection is)."""
    db.session.close()
    db_file = tmp_path / "outage.sqlite"
    if db_file.exists():
        db_file.rename(tmp_path / "gone.sqlite")
    db.engine.dispose()


def _sign_in(client) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    page = client.get("/auth/sign-in").get_data(as_text=True)
    resp = client.post("/auth/sign-in", data={"csrf_token": csrf_from(page), "email": user.email, "password": PASSWORD},
                       follow_redirects=True)
    assert "You are signed in." in resp.get_data(as_text=True)


def test_a_database_outage_is_a_clean_503_even_for_a_signed_in_resident(tmp_path):
    application = _outage_app(tmp_path)
    with application.app_context():
        db.create_all()
        client = application.test_client()
        _sign_in(client)
        _take_database_away(tmp_path)
        visitor = application.test_client()
        for who, path, lang, title in ((client, "/", "en", "Sorry, the service is unavailable for a moment"),
                                       (visitor, "/votes/", "pl", "Przepraszamy, usługa jest przez chwilę niedostępna")):
            resp = who.get(path, headers={"Accept-Language": lang})
            html = resp.get_data(as_text=True)
            assert resp.status_code == 503 and resp.headers["Retry-After"] == "30"
            assert title in html and f'lang="{lang}"' in html and "Traceback" not in html
            assert "Sign out" not in html  # shown as to a visitor: the account is not read again
        db.session.remove()
        db.engine.dispose()


def test_the_error_page_does_not_read_the_account_again_after_a_failure_mid_request(tmp_path):
    application = _outage_app(tmp_path)
    with application.app_context():
        db.create_all()
        client = application.test_client()
        _sign_in(client)
        resp = client.get("/read-then-fail")
        assert resp.status_code == 503
        assert "Sorry, the service is unavailable for a moment" in resp.get_data(as_text=True)
        db.session.remove()
        db.engine.dispose()


def test_a_500_page_renders_without_the_database(tmp_path):
    application = create_app("testing", {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'outage.sqlite'}", "PROPAGATE_TEST_ERRORS": False,
    })
    application.test_client_class = IsolatedClient

    @public
    def explode() -> str:
        _ = current_user.display_name
        _take_database_away(tmp_path)
        raise RuntimeError("boom")

    application.add_url_rule("/explode", "explode", explode)
    with application.app_context():
        db.create_all()
        client = application.test_client()
        _sign_in(client)
        resp = client.get("/explode")
        assert resp.status_code == 500
        assert "Sorry, there is a problem with the service" in resp.get_data(as_text=True)
        db.session.remove()
        db.engine.dispose()


REDIS_DOWN = """
from app import create_app
from app.extensions import db, limiter
app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://", "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:9/0",
                             "RATELIMIT_LOGIN": "2 per minute", "WTF_CSRF_ENABLED": False})
with app.app_context():
    db.create_all()
    client = app.test_client()
    codes = [client.post("/auth/sign-in", data={"email": "a@example.org", "password": "x"}).status_code for _ in range(3)]
print(type(limiter.storage).__name__, type(limiter.limiter.storage).__name__, codes)
"""


def test_with_redis_unreachable_the_limits_are_counted_in_memory():
    # A separate process, so the shared limiter of the test app keeps its own storage.  Port 9 (discard) has
    # no Redis: the connection is refused at once.
    out = subprocess.run([sys.executable, "-c", REDIS_DOWN], capture_output=True, text=True, cwd=ROOT, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.strip() == "RedisStorage MemoryStorage [200, 200, 429]", out.stdout + out.stderr[-2000:]
