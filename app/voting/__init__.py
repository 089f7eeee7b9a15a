"""Ranked votes (IRV, Scottish STV, Schulze) with delegated weight: creating, casting, closing, counting, results."""

from flask import Blueprint

bp = Blueprint("voting", __name__, url_prefix="/votes", cli_group="votes")

from app.voting import cli, home, models, notices, policy, sections, views, views_officer  # noqa: E402,F401


@bp.context_processor
def vote_labels() -> dict[str, object]:
    return {"vote_rule_labels": {r.value: r.label for r in models.VoteRule},
            "vote_state_labels": {s.value: s.label for s in models.VoteState}}
