"""Security base: headers, cookies, production configuration, rate limits (memory and Redis)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import create_app
from app.core.models import AuditEntry
from app.extensions import db
from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]


def test_security_headers(client):
    resp = client.get("/")
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_pages_carry_no_script_and_no_inline_style(client, demo):
    for url in ["/", "/places/", "/auth/sign-in", "/auth/register", "/auth/reset", "/accessibility"]:
        html = client.get(url).get_data(as_text=True)
        assert "<script" not in html.lower(), url
        assert "style=" not in html.lower(), url


def test_production_refuses_to_start_without_secrets(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY and DATABASE_URL"):
        create_app("production")


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite'}")
    application = create_app("production")
    assert application.config["SESSION_COOKIE_SECURE"] is True
    assert application.config["SESSION_COOKIE_HTTPONLY"] is True
    assert application.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert application.config["REMEMBER_COOKIE_SECURE"] is True


def _hammer_sign_in(browser, times: int):  # type: ignore[no-untyped-def]
    codes = []
    for _ in range(times):
        resp = browser.submit("/auth/sign-in", {"email": "priya@demo.example.org", "password": "wrong password"})
        codes.append(resp.status_code)
    return codes


def test_sign_in_is_rate_limited_and_the_breach_is_audited(browser, demo):
    codes = _hammer_sign_in(browser, 12)
    assert codes[:10] == [200] * 10
    assert codes[10] == 429
    entries = db.session.execute(select(AuditEntry).where(AuditEntry.action == "auth.sign_in_rate_limited")).scalars().all()
    assert entries, "the breach was not audited"
    assert "priya" not in entries[0].data_json  # no personal data in the log
    resp = browser.submit("/auth/sign-in", {"email": "priya@demo.example.org", "password": "y"},
                          headers={"Accept-Language": "pl"})
    assert resp.status_code == 429
    assert 'lang="pl"' in resp.get_data(as_text=True)


def test_registration_is_rate_limited_per_address(browser, demo):
    data = {"display_name": "A", "email": "not-an-email", "password": "p", "confirm": "p", "postcode": "x"}
    codes = [browser.submit("/auth/register", data).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    # a different address from the same connection is not blocked by it
    assert browser.submit("/auth/register", {**data, "email": "other@example.org"}).status_code == 200


def _register(browser, n: int):  # type: ignore[no-untyped-def]
    return browser.submit("/auth/register", {
        "display_name": f"Reader {n}", "email": f"reader{n}@example.org", "password": "a long enough password",
        "confirm": "a long enough password", "postcode": "CB1 2JB",
    })


def test_a_room_behind_one_connection_can_register(browser, demo):
    """A library drop-in: 25 people register from one connection in the same minute."""
    codes = [_register(browser, n).status_code for n in range(25)]
    assert codes == [200] * 25
    from app.auth.models import User
    assert db.session.execute(select(func.count(User.id)).where(User.email.like("reader%"))).scalar_one() == 25


def test_sign_in_per_connection_allows_a_room(browser, demo):
    """Thirty different people signing in from one connection are not refused."""
    codes = [browser.submit("/auth/sign-in", {"email": f"person{n}@example.org", "password": "wrong"}).status_code
             for n in range(30)]
    assert 429 not in codes


REDIS_CHECK = """
import sys
import redis
from app import create_app
from app.extensions import db, limiter
url = sys.argv[1]
app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://", "RATELIMIT_STORAGE_URI": url,
                             "RATELIMIT_LOGIN": "2 per minute", "WTF_CSRF_ENABLED": False})
with app.app_context():
    db.create_all()
    client = app.test_client()
    codes = [client.post("/auth/sign-in", data={"email": "a@example.org", "password": "x"}).status_code for _ in range(3)]
print(type(limiter.storage).__name__, codes, redis.Redis.from_url(url).dbsize())
"""


def test_rate_limits_are_kept_in_redis_when_configured():
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        reason = None
    except Exception as exc:  # noqa: BLE001
        reason = f"Redis at {url} did not answer: {exc}"
    require_service(reason)
    store = redis.Redis.from_url(url)
    store.flushdb()
    # A separate process, so the shared limiter of the test app keeps its in-memory storage.
    out = subprocess.run([sys.executable, "-c", REDIS_CHECK, url], capture_output=True, text=True, cwd=ROOT, check=True)
    storage, rest = out.stdout.strip().split(" ", 1)
    assert "Redis" in storage
    assert "[200, 200, 429]" in rest
    assert int(rest.rsplit(" ", 1)[1]) > 0
    store.flushdb()
