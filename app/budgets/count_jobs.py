"""Counting a heading in the background (``app.core.count_jobs``): the officer's request, and the job that runs
:func:`app.budgets.services.run_count`, the same service the command line and a synchronous count use."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.budgets import policy
from app.budgets.models import BudgetHeading
from app.core import count_jobs
from app.core.count_jobs import CountJob
from app.core.errors import DomainError

KIND = "budget"
JOB = "app.budgets.count_jobs.run"


def request_count(session: Session, officer: Any, heading: BudgetHeading, locale: str) -> tuple[CountJob, bool]:
    """Ask for ``heading`` to be counted: a new queued job (True), or the one already queued or running (False).
    Refused when the heading cannot be counted now; the job checks again when it runs."""

    def check() -> None:
        if not policy.phase_allows(heading, policy.COUNT):
            raise DomainError(_("Ballots can be counted only when voting has closed and ballots are being reviewed."))

    return count_jobs.request(session, officer, KIND, heading.id, locale, check)


def _count(session: Session, officer: Any, heading_id: int) -> int:
    from app.budgets import services

    heading = session.get(BudgetHeading, heading_id)
    if heading is None:
        raise DomainError(_("This heading no longer exists."))
    return services.run_count(session, officer, heading).id


def run(job_id: int) -> None:
    """The background job (``jobs.enqueue(JOB, job_id)``)."""
    count_jobs.run(job_id, _count)
