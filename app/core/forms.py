"""Small helpers shared by every feature's forms and views."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request
from flask_wtf import FlaskForm

from app.core.errors import DomainError


def attach_error(form: FlaskForm, exc: DomainError) -> None:
    """Show a service's refusal on the field it concerns, or at the top of the form."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*list(field.errors or []), exc.message]
    else:
        form.form_errors.append(exc.message)


def safe_next(default: str) -> str:
    """A same-site path from ?next=, or ``default``: never an off-site redirect."""
    target = request.args.get("next") or request.form.get("next") or ""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    # Control characters and other unprintable ones (CR/LF would split the Location header; browsers drop tabs
    # and newlines, so "/\t/evil" becomes "//evil") and anything that parses with a scheme or a host: not a
    # same-site path.
    if not target.isprintable():
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
