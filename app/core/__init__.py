"""Shared foundations: database base, permissions, errors, i18n helpers, audit log, security headers, CLI."""

from flask import Blueprint

bp = Blueprint("core", __name__)
