"""Security headers on every response: pages, redirects, files, error pages (400 to 500) and static files."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask, url_for

from app import create_app
from app.extensions import db
from tests.conftest import csrf_from
from tests.security.conftest import Visitor, dry_run
from tests.security.world import World, url_arguments

REQUIRED = {
    "Content-Security-Policy": lambda v: "default-src 'self'" in v and "frame-ancestors 'none'" in v and "unsafe-inline" not in v,
    "X-Content-Type-Options": lambda v: v == "nosniff",
    "X-Frame-Options": lambda v: v == "DENY",
    "Referrer-Policy": lambda v: v == "strict-origin-when-cross-origin",
    "Permissions-Policy": lambda v: "camera=()" in v,
}
STATIC = Path(__file__).resolve().parents[2] / "app" / "static"


def missing_headers(resp) -> list[str]:  # type: ignore[no-untyped-def]
    return [name for name, ok in REQUIRED.items() if name not in resp.headers or not ok(resp.headers[name])]


def test_every_endpoint_answers_with_the_headers(app: Flask, world: World, visitors: dict[str, Visitor],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """One request per endpoint (its first object) as a visitor and as an officer: whatever the answer (page,
    redirect to sign in, 403, 404, file), the headers are there."""
    failures = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        variants = url_arguments(world, rule.endpoint, set(rule.arguments))
        assert not isinstance(variants, str), variants
        with app.test_request_context():
            url = url_for(rule.endpoint, **next(iter(variants.values())))
        for role in ("anonymous", "officer"):
            visitor = visitors[role]
            with dry_run(monkeypatch):
                if "GET" in (rule.methods or ()):
                    resp = visitor.client().get(url)
                else:
                    resp = visitor.client().post(url, data={"csrf_token": visitor.token})
            if missing := missing_headers(resp):
                failures.append(f"{url} as {role} ({resp.status_code}, {resp.mimetype}): {', '.join(missing)}")
    assert not failures, "\n".join(failures)


def test_static_files_carry_the_headers(client) -> None:  # type: ignore[no-untyped-def]
    files = [p for p in STATIC.rglob("*") if p.is_file()]
    assert files
    for path in files:
        resp = client.get("/static/" + path.relative_to(STATIC).as_posix())
        assert resp.status_code == 200
        assert missing_headers(resp) == [], path
    missing = client.get("/static/no-such-file.css")
    assert missing.status_code == 404 and missing_headers(missing) == []


@pytest.mark.parametrize(("method", "url", "status"), [
    ("GET", "/no-such-page", 404),
    ("POST", "/", 405),
    ("POST", "/auth/reset", 400),  # no CSRF token
    ("GET", "/proposals/999999999", 404),
])
def test_error_pages_carry_the_headers(method: str, url: str, status: int, client) -> None:  # type: ignore[no-untyped-def]
    resp = client.open(url, method=method)
    assert resp.status_code == status
    assert missing_headers(resp) == []


def test_too_large_and_rate_limited_answers_carry_the_headers(app: Flask, client) -> None:  # type: ignore[no-untyped-def]
    resp = client.post("/auth/reset", data={"email": "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)})
    assert resp.status_code == 413
    assert missing_headers(resp) == []
    codes = []
    token = csrf_from(client.get("/auth/register").get_data(as_text=True))
    for _ in range(40):
        resp = client.post("/auth/register", data={"csrf_token": token, "email": "same@example.org"})
        codes.append(resp.status_code)
        if resp.status_code == 429:
            break
    assert codes[-1] == 429, codes
    assert missing_headers(resp) == []


def test_the_500_page_carries_the_headers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    application = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}",
                                         "PROPAGATE_TEST_ERRORS": False})

    @application.route("/boom")
    def boom() -> str:
        raise RuntimeError("secret detail of the failure")

    with application.app_context():
        db.create_all()
        resp = application.test_client().get("/boom")
        db.session.remove()
        db.engine.dispose()
    assert resp.status_code == 500
    assert "secret detail" not in resp.get_data(as_text=True)
    assert missing_headers(resp) == []
