"""Place-based participatory budgeting: processes, headings, phases, ballots, paper batches, counts, results."""

from flask import Blueprint

bp = Blueprint("budgets", __name__, url_prefix="/budgets", cli_group="budgets")

from app.budgets import (  # noqa: E402,F401
    ballot_views,
    cli,
    models,
    notices,
    policy,
    register_views,
    sections,
    thresholds,
    views,
)


@bp.context_processor
def budget_labels() -> dict[str, object]:
    """Translated names of the counting rules and completions, for the count and results pages."""
    return {
        "rule_labels": {r.value: r.label for r in models.Rule},
        "completion_labels": {c.value: c.short_label for c in models.Completion},
    }
