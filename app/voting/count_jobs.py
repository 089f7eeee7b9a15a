"""Closing and counting a vote in the background (``app.core.count_jobs``): the officer's request, and the job
that runs :func:`app.voting.counting.close_vote`, the same service the command line uses."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.core import count_jobs
from app.core.count_jobs import CountJob
from app.core.db import utcnow
from app.core.errors import DomainError
from app.voting import counting
from app.voting.models import Vote

KIND = "vote"
JOB = "app.voting.count_jobs.run"


def request_close(session: Session, officer: Any, vote: Vote, locale: str) -> tuple[CountJob, bool]:
    """Ask for ``vote`` to be closed and counted: a new queued job (True), or the one already queued or running
    (False).  Refused when the vote is closed already or its closing time has not come; the job checks again
    (the delegations are frozen when it runs)."""
    return count_jobs.request(session, officer, KIND, vote.id, locale, lambda: counting.check_closable(vote, utcnow()))


def _close(session: Session, officer: Any, vote_id: int) -> int:
    vote = session.get(Vote, vote_id)
    if vote is None:
        raise DomainError(_("This vote no longer exists."))
    return counting.close_vote(session, officer, vote).id


def run(job_id: int) -> None:
    """The background job (``jobs.enqueue(JOB, job_id)``)."""
    count_jobs.run(job_id, _close)
