"""Counting a heading in the background: after the officer's request, and the page that says how it is going
("counting… / done", with a plain refresh link).  The count page itself is ``views.count``."""

from __future__ import annotations

from typing import NamedTuple

from flask import render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as WResponse

from app.budgets import bp, count_jobs, queries
from app.budgets.models import BudgetHeading
from app.core import count_pages
from app.core.count_jobs import CountJob
from app.core.permissions import Permission, requires


class Progress(NamedTuple):
    heading: BudgetHeading
    job: CountJob


def progress_or_404(heading_id: int, job_id: int) -> Progress:
    heading = queries.heading_or_404(heading_id)
    return Progress(heading, count_pages.job_or_404(count_jobs.KIND, heading.id, job_id))


def after_count_request(heading: BudgetHeading, job_id: int, created: bool) -> WResponse:
    """Start the job (when it is new), then show how it is going; once the count is stored (a job run at once),
    its results, as a synchronous count did."""
    return count_pages.follow_request(
        count_jobs.JOB, job_id, created, done_message=_("Count stored. Check the results before publishing."),
        done_url=url_for("budgets.results", heading_id=heading.id),
        busy_message=_("This heading is already being counted: a second count was not started."),
        progress_url=url_for("budgets.count_progress", heading_id=heading.id, job_id=job_id))


@bp.route("/headings/<int:heading_id>/count/<int:job_id>")
@requires(Permission.BUDGET_MANAGE, load=progress_or_404)  # officers; still readable after the results are published
def count_progress(progress: Progress) -> str:
    return render_template("budgets/count_progress.html", heading=progress.heading, process=progress.heading.process,
                           job=progress.job)
