"""Counts that run in the background (issue 11 §4): an officer's request to count a budget heading or to close
and count a ranked vote is stored as a :class:`CountJob` and run by ``app.core.jobs`` (RQ on Redis, or in-process
after the response), so counting tens of thousands of ballots never holds a web request.

The feature's own service still does the counting (``app.budgets.services.run_count``,
``app.voting.counting.close_vote``): :func:`run` calls it as the officer who asked, in the officer's language,
and stores the count and the job's ``done`` in one transaction, so the result is the one a synchronous count
gives (same seed, same record, same audit entry).  A failure is stored with its reason and audited.

At most one job per object is queued or running: ``active_key`` is unique and set only while it is, so a second
request (even at the same moment) finds the first instead of starting another count.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.core import audit
from app.core.db import Base, utcnow
from app.core.errors import DomainError


class CountState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


ACTIVE = (CountState.QUEUED.value, CountState.RUNNING.value)


class CountJob(Base):
    """One request to count: what (``kind``: ``budget`` for a heading, ``vote`` for a ranked vote, and the
    object's id), who asked and when, how far it got, and what it stored (``result_id``: the count's id)."""

    __tablename__ = "count_jobs"
    __table_args__ = (Index("ix_count_jobs_kind_object_id", "kind", "object_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    object_id: Mapped[int] = mapped_column(Integer, nullable=False)
    state: Mapped[str] = mapped_column(String(20), nullable=False, default=CountState.QUEUED.value)
    # "kind:object_id" while queued or running, NULL after: unique, so there is never a second active job
    active_key: Mapped[str | None] = mapped_column(String(40), nullable=True, unique=True)
    locale: Mapped[str] = mapped_column(String(10), nullable=False, default="en")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    result_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    requested_by = relationship("User", lazy="joined")

    @property
    def state_enum(self) -> CountState:
        return CountState(self.state)

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE


def _key(kind: str, object_id: int) -> str:
    return f"{kind}:{object_id}"


def active_job(session: Session, kind: str, object_id: int) -> CountJob | None:
    """The job queued or running for this object, if any."""
    return session.execute(select(CountJob).where(CountJob.active_key == _key(kind, object_id))).scalar_one_or_none()


def latest_job(session: Session, kind: str, object_id: int) -> CountJob | None:
    return session.execute(select(CountJob).where(CountJob.kind == kind, CountJob.object_id == object_id)
                           .order_by(CountJob.id.desc()).limit(1)).scalar_one_or_none()


def job_of(session: Session, kind: str, object_id: int, job_id: int) -> CountJob | None:
    """Job ``job_id`` when it is about this object (None otherwise)."""
    job = session.get(CountJob, job_id)
    return job if job is not None and (job.kind, job.object_id) == (kind, object_id) else None


def abandon_after() -> timedelta:
    """How long a job may stay queued or running before a new request takes it as lost (a worker that died):
    the longest a job may run (``JOBS_TIMEOUT``) and ten minutes more."""
    return timedelta(seconds=int(current_app.config.get("JOBS_TIMEOUT", 1800)) + 600)


def request(session: Session, actor: Any, kind: str, object_id: int, locale: str,
            check: Callable[[], None] | None = None) -> tuple[CountJob, bool]:
    """A new queued job for ``kind``/``object_id`` and True; or the job already queued or running and False.

    ``check`` raises :class:`DomainError` when the object cannot be counted now (asked after looking for an
    active job, so a second request while the first runs is shown the first, not refused).  The caller commits,
    then enqueues the job when it is new."""
    active = active_job(session, kind, object_id)
    if active is not None and active.created_at >= utcnow() - abandon_after():
        return active, False
    if active is not None:
        _mark_failed(session, active, _("The count did not finish: it was stopped or lost. Ask for it again."))
    if check is not None:
        check()
    job = CountJob(kind=kind, object_id=object_id, state=CountState.QUEUED.value, active_key=_key(kind, object_id),
                   locale=locale if locale in ("en", "pl") else "en", requested_by_id=getattr(actor, "id", None))
    try:
        with session.begin_nested():
            session.add(job)
            session.flush()
    except IntegrityError:  # asked at the same moment by someone else: theirs is the one
        existing = active_job(session, kind, object_id)
        if existing is None:
            raise
        return existing, False
    audit.record(session, f"{kind}.count_requested", actor=actor, obj=job, data={"kind": kind, "object_id": object_id})
    return job, True


def _mark_failed(session: Session, job: CountJob, reason: str) -> None:
    job.state, job.error, job.finished_at, job.active_key = CountState.FAILED.value, reason, utcnow(), None
    session.flush()
    audit.record(session, f"{job.kind}.count_failed", actor=job.requested_by, obj=job,
                 data={"kind": job.kind, "object_id": job.object_id, "error": reason})


Work = Callable[[Session, Any, int], int]


def run(job_id: int, work: Work) -> None:
    """The background job: claim job ``job_id`` (skipped unless it is still queued), run ``work(session, officer,
    object_id)`` (which returns the stored count's id) and mark the job done in the same transaction; on a
    refusal (:class:`DomainError`) or any other error, roll the count back and store the failure, audited."""
    from app.extensions import db

    session = db.session
    claimed = session.execute(update(CountJob).where(CountJob.id == job_id, CountJob.state == CountState.QUEUED.value)
                              .values(state=CountState.RUNNING.value, started_at=utcnow()))
    session.commit()
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return
    job = session.get(CountJob, job_id)
    assert job is not None
    locale, object_id, officer = job.locale, job.object_id, job.requested_by
    try:
        with force_locale(locale):
            result_id = work(session, officer, object_id)
    except Exception as exc:  # noqa: BLE001 - every failure is stored for the officer to see
        session.rollback()
        if isinstance(exc, DomainError):
            reason = exc.message
        else:
            current_app.logger.exception("Count job %s (%s %s) failed", job_id, job.kind, object_id)
            with force_locale(locale):
                reason = _("The count stopped because of an error in the software, and nothing was stored. "
                           "The error has been logged for the technical team. You can ask for the count again.")
        job = session.get(CountJob, job_id)
        assert job is not None
        _mark_failed(session, job, reason)
        session.commit()
        return
    job.state, job.result_id, job.finished_at, job.active_key = CountState.DONE.value, result_id, utcnow(), None
    session.commit()
