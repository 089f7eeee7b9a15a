"""Security headers on every response, and starting and ending signed-in sessions."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, session
from flask_login import login_user, logout_user

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def init_app(app: Flask) -> None:
    @app.after_request
    def set_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response


KEPT_ON_SIGN_IN = ("locale",)  # the visitor's language choice survives signing in and out; nothing else does


def _fresh_session() -> None:
    """Throw the old session away (its CSRF secret, a panel code, flashes), keeping only the language choice:
    whatever a visitor's session held before, an attacker may have planted or read (session fixation)."""
    kept = {key: session[key] for key in KEPT_ON_SIGN_IN if key in session}
    session.clear()
    session.update(kept)


def start_signed_in_session(user: Any, remember: bool = False) -> None:
    """Sign ``user`` in on a new session: a new CSRF secret, nothing carried over from before."""
    _fresh_session()
    login_user(user, remember=remember)


def end_signed_in_session() -> None:
    """Sign out on a new, empty session (the caller has already ended the account's sessions everywhere)."""
    _fresh_session()
    logout_user()
