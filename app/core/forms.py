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
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.scheme and not parts.netloc and "\\" not in target:
        return target
    return default
