"""Place-based participatory budgeting: processes, headings, phases, ballots, paper batches, counts, results."""

from flask import Blueprint

bp = Blueprint("budgets", __name__, url_prefix="/budgets", cli_group="budgets")

from app.budgets import cli, models, policy, sections, views  # noqa: E402,F401
