"""Deliberation: threads on proposals and debates, spaces (public, guiding coalition, panels, working
groups), notifications, assisted entry, moderation, and the coalition's recommendations."""

from flask import Blueprint

bp = Blueprint("deliberation", __name__, url_prefix="/deliberation")

from app.deliberation import models, policy, proposal_notices, recommendation_views, sections, views  # noqa: E402,F401
