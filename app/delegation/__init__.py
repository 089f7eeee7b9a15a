"""Liquid delegation: delegate profiles, delegations by scope with ranked backups and a depth cap, history."""

from flask import Blueprint

bp = Blueprint("delegation", __name__, url_prefix="/delegation")

from app.delegation import models, notices, policy, sections, views  # noqa: E402,F401
