"""Accounts, roles, sign-in, registration, password reset and notification preferences."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

from app.auth import identity, policy, views  # noqa: E402,F401
