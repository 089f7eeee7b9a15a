"""Proposals: submission, lifecycle, supports, browsing, officer review, "you said, we did"."""

from flask import Blueprint

bp = Blueprint("proposals", __name__, url_prefix="/proposals")

from app.proposals import models, policy, sections, views  # noqa: E402,F401
