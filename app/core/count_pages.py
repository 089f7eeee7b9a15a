"""The officer's side of a count job, shared by budget headings (``app.budgets.count_views``) and ranked votes
(``app.voting.views_officer``): finding a job of an object for its progress page, and what the officer sees
after asking for a count."""

from __future__ import annotations

from flask import abort, flash, redirect
from werkzeug.wrappers import Response as WResponse

from app.core import count_jobs, jobs
from app.core.count_jobs import CountJob, CountState
from app.extensions import db


def job_or_404(kind: str, object_id: int, job_id: int) -> CountJob:
    """Job ``job_id`` of object ``object_id`` of ``kind``; 404 when it is another object's, or none."""
    job = count_jobs.job_of(db.session, kind, object_id, job_id)
    if job is None:
        abort(404)
    return job


def follow_request(job_name: str, job_id: int, created: bool, *, done_message: str, done_url: str, busy_message: str,
                   progress_url: str) -> WResponse:
    """Start the job ``job_name`` (when it is new), then show how it is going; once its result is stored (a job
    run at once, without a queue), the page that follows a count, with ``done_message``.  A request that found a
    job already queued or running says so (``busy_message``) and shows that job."""
    if created:
        jobs.enqueue(job_name, job_id)
    job = db.session.get(CountJob, job_id)
    if job is not None and job.state == CountState.DONE.value:
        flash(done_message, "success")
        return redirect(done_url)
    if not created:
        flash(busy_message, "warning")
    return redirect(progress_url)
