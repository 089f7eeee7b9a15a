"""Open redirects: no ``next`` value sends anyone off the site, and none gives a 500."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest
from flask import Flask, url_for

from app.auth.models import User
from app.extensions import db, limiter
from tests.conftest import csrf_from
from tests.security.conftest import Visitor, dry_run
from tests.security.world import PASSWORD, World, url_arguments

ATTACKS = [
    "//evil.example",
    "///evil.example",
    "////evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "https://evil.example",
    "https:evil.example",
    "http:/evil.example",
    "HTTPS://evil.example",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    " //evil.example",
    "/\t/evil.example",
    "/\r\n/evil.example",
    "/\r\nLocation: https://evil.example",
    "/x\r\nSet-Cookie: hijacked=1",
    "\r\n//evil.example",
    "//evil.example@localhost",
    "https://localhost@evil.example",
    "//%2Fevil.example",
    "/\u2028/evil.example",
    "/\x00/evil.example",
]
SAFE = ["/proposals/?page=2", "/places/", "/votes/"]


def assert_same_site(location: str, attack: str) -> None:
    parts = urlsplit(location)
    assert parts.netloc in ("", "localhost") and parts.scheme in ("", "http"), f"{attack!r} sent to {location!r}"
    assert location.startswith("/") or location.startswith("http://localhost/"), f"{attack!r} sent to {location!r}"
    assert not location.startswith("//") and "\\" not in location, f"{attack!r} sent to {location!r}"
    assert location.isprintable(), f"{attack!r} put {location!r} in the Location header"


@pytest.mark.parametrize("attack", ATTACKS)
def test_sign_in_next(attack: str, app: Flask, world: World) -> None:
    """``next`` in the query string and in the form of the sign-in page."""
    email = db.session.get(User, world.spare["redirect"]).email
    for where in ("query", "form"):
        limiter.reset()
        client = app.test_client()
        token = csrf_from(client.get("/auth/sign-in").get_data(as_text=True))
        data = {"csrf_token": token, "email": email, "password": PASSWORD}
        url = "/auth/sign-in"
        if where == "query":
            url += "?next=" + quote(attack, safe="")
        else:
            data["next"] = attack
        resp = client.post(url, data=data)
        assert resp.status_code == 302, f"{attack!r} in the {where}: {resp.status_code}"
        assert resp.headers["Location"] == "/", f"{attack!r} in the {where} sent to {resp.headers['Location']!r}"
        assert "hijacked" not in resp.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("attack", ATTACKS)
def test_language_switch_next(attack: str, client) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/language/pl?next=" + quote(attack, safe=""))
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/", f"{attack!r} sent to {resp.headers['Location']!r}"


@pytest.mark.parametrize("target", SAFE)
def test_a_same_site_next_is_followed(target: str, client) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/language/en?next=" + quote(target, safe=""))
    assert resp.headers["Location"] == target


def test_no_page_redirects_off_site_whatever_its_next(app: Flask, world: World, visitors: dict[str, Visitor],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Every GET endpoint (with the world's objects), signed in as an officer (who reaches most views) and as a
    visitor, given a hostile ``next``: any redirect stays on the site, and nothing fails."""
    failures = []
    sweep = ["//evil.example", "https://evil.example/\r\nSet-Cookie: hijacked=1"]
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static" or "GET" not in (rule.methods or ()):
            continue
        variants = url_arguments(world, rule.endpoint, set(rule.arguments))
        assert not isinstance(variants, str), variants
        with app.test_request_context():
            base = url_for(rule.endpoint, **next(iter(variants.values())))
        for role in ("officer", "anonymous"):
            for attack in sweep:
                url = base + ("&" if "?" in base else "?") + "next=" + quote(attack, safe="")
                with dry_run(monkeypatch):
                    resp = visitors[role].client().get(url)
                if resp.status_code >= 500:
                    failures.append(f"GET {url} as {role}: {resp.status_code}")
                if "Location" in resp.headers:
                    try:
                        assert_same_site(resp.headers["Location"], attack)
                    except AssertionError as exc:
                        failures.append(f"GET {url} as {role}: {exc}")
    assert not failures, "\n".join(failures)
