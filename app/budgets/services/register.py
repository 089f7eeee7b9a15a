"""The marked register of a budget heading: issuing paper ballots against it, cancelling a spoilt issue.

An online cast marks the register itself (:func:`app.budgets.services.ballots.cast_ballot`, in the same
transaction as the ballot).  An officer issues a paper (or assisted paper) ballot the way a polling clerk
does: they find the resident by poll card number, or by name and part of the postcode, and the register is
marked "paper".  One mark per person per heading is a database constraint, so a resident marked online is
refused a paper ballot and one issued a paper ballot can no longer vote online, whichever came first, even
at the same moment.  Keyed paper batches may not hold more papers than were issued (:func:`paper_allowance`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth.models import User
from app.budgets import paper_notices, policy
from app.budgets.models import (
    BallotChannel,
    BatchState,
    BudgetBallot,
    BudgetHeading,
    BudgetRegister,
    PaperBatch,
    RegisterCancellation,
)
from app.budgets.services._common import _lock_process
from app.budgets.services.ballots import register_mark
from app.budgets.services.delegation import carried_by
from app.core import audit
from app.core.errors import DomainError

PAPER_CHANNELS = (BallotChannel.PAPER.value, BallotChannel.ASSISTED.value)
MAX_REASON = 500
MAX_MATCHES = 20

def _normal_postcode(text: str) -> str:
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())


def find_residents(session: Session, *, poll_card: str = "", name: str = "", postcode: str = "") -> list[User]:
    """Residents matching a poll card number exactly, or a name (part of it, any case) together with part of
    the postcode (at least its first two characters).  At most :data:`MAX_MATCHES`, by name."""
    card = (poll_card or "").strip().upper()
    if card:
        return list(session.execute(select(User).where(func.upper(User.poll_card_number) == card, User.is_deleted.is_(False))).scalars())
    name = (name or "").strip()
    code = _normal_postcode(postcode)
    if not name or len(code) < 2:
        raise DomainError(_("Enter the poll card number, or the resident's name and the start of their postcode."), field="poll_card")
    stored = func.upper(func.replace(func.coalesce(User.postcode, ""), " ", ""))
    return list(session.execute(
        select(User).where(func.lower(User.display_name).contains(name.lower(), autoescape=True), stored.startswith(code, autoescape=True),
                           User.is_deleted.is_(False))
        .order_by(User.display_name, User.id).limit(MAX_MATCHES)
    ).scalars())


def _mark_refusal(mark: BudgetRegister) -> str:
    from app.core.i18n import day

    if mark.channel == BallotChannel.ONLINE.value:
        return _("This resident has already voted online in this heading (on %(day)s), so they cannot be given a paper ballot. They can still change their online vote until voting closes.",
                 day=day(mark.marked_at))
    return _("This resident was already issued a paper ballot for this heading on %(day)s. If that paper was spoilt or lost, cancel the issue first, with the reason.",
             day=day(mark.marked_at))


@dataclass(frozen=True)
class PaperIssue:
    mark: BudgetRegister
    delegators: int  # members whose votes the resident's ballot would have carried online: told to vote themselves


def issue_paper(session: Session, officer: Any, heading: BudgetHeading, resident: User,
                channel: BallotChannel = BallotChannel.PAPER) -> BudgetRegister:
    """Mark the register: ``officer`` issues ``resident`` a paper ballot for ``heading`` (see :func:`issue_paper_ballot`)."""
    return issue_paper_ballot(session, officer, heading, resident, channel).mark


def issue_paper_ballot(session: Session, officer: Any, heading: BudgetHeading, resident: User,
                       channel: BallotChannel = BallotChannel.PAPER) -> PaperIssue:
    """Mark the register: ``officer`` issues ``resident`` a paper ballot for ``heading``.  Refused, with the
    reason, when the resident is already marked (online or paper) or may not vote in the heading.  A paper
    ballot carries no delegated votes, so the members whose votes the resident would have carried online
    (:func:`.delegation.carried_by`) are told to vote themselves, and their number is returned and audited."""
    if not policy.is_officer(officer):
        raise DomainError(_("Only officers can issue paper ballots."))
    if channel.value not in PAPER_CHANNELS:
        raise DomainError(_("Choose paper or assisted paper ballot."), field="channel")
    _lock_process(session, heading.process, read=True)
    if (refusal := policy.vote_refusal(resident, heading)) is not None:
        raise DomainError(_("This resident cannot be given a ballot here: %(why)s", why=refusal))
    if (mark := register_mark(session, heading.id, resident.id)) is not None:
        raise DomainError(_mark_refusal(mark))
    mark = BudgetRegister(heading_id=heading.id, voter_id=resident.id, channel=channel.value, issued_by_id=officer.id)
    try:
        with session.begin_nested():
            session.add(mark)
            session.flush()
    except IntegrityError:
        # an online cast (or another officer) marked the register at the same moment
        other = register_mark(session, heading.id, resident.id)
        raise DomainError(_mark_refusal(other) if other is not None else _("The register changed meanwhile. Try again.")) from None
    delegators = carried_by(session, heading, resident.id)
    paper_notices.delegate_voted_on_paper(session, heading, delegators)
    audit.record(session, "budget.paper_issued", actor=officer, obj=heading,
                 data={"heading_id": heading.id, "resident_id": resident.id, "channel": channel.value, "delegators": len(delegators)})
    return PaperIssue(mark, len(delegators))


def cancel_issue(session: Session, officer: Any, heading: BudgetHeading, resident: User, reason: str) -> RegisterCancellation:
    """Cancel a paper ballot issue (the paper was spoilt, lost or issued in error), with the reason: the mark
    leaves the register (a new paper can be issued) and the cancellation is kept and audited.  Online marks
    cannot be cancelled: the resident replaces their online vote themselves."""
    if not policy.is_officer(officer):
        raise DomainError(_("Only officers can cancel a paper ballot issue."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for cancelling this paper ballot issue."), field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(_("Keep the reason to %(max)d characters or fewer.", max=MAX_REASON), field="reason")
    _lock_process(session, heading.process, read=True)
    if not policy.phase_allows(heading, policy.KEY_PAPER):
        raise DomainError(_("Paper ballot issues can be cancelled only while voting is open or ballots are being reviewed."))
    mark = session.execute(
        select(BudgetRegister).where(BudgetRegister.heading_id == heading.id, BudgetRegister.voter_id == resident.id).with_for_update()
    ).scalar_one_or_none()
    if mark is None or mark.channel not in PAPER_CHANNELS:
        raise DomainError(_("This resident has no paper ballot issue to cancel in this heading."))
    if paper_allowance(session, heading).left < 1:
        raise DomainError(_("Every paper ballot issued for this heading is already in an accepted batch, so no issue can be cancelled now."))
    cancellation = RegisterCancellation(heading_id=heading.id, voter_id=resident.id, channel=mark.channel, issued_at=mark.marked_at,
                                        issued_by_id=mark.issued_by_id, cancelled_by_id=officer.id, reason=reason)
    session.add(cancellation)
    session.delete(mark)
    session.flush()
    audit.record(session, "budget.paper_issue_cancelled", actor=officer, obj=heading,
                 data={"heading_id": heading.id, "resident_id": resident.id, "reason": reason})
    return cancellation


@dataclass(frozen=True)
class PaperAllowance:
    issued: int  # paper ballots issued and not cancelled
    accepted: int  # papers already in accepted batches

    @property
    def left(self) -> int:
        return max(0, self.issued - self.accepted)


def paper_allowance(session: Session, heading: BudgetHeading) -> PaperAllowance:
    issued = session.scalar(select(func.count(BudgetRegister.id)).where(
        BudgetRegister.heading_id == heading.id, BudgetRegister.channel.in_(PAPER_CHANNELS))) or 0
    accepted = session.scalar(select(func.count(BudgetBallot.id)).join(PaperBatch, PaperBatch.id == BudgetBallot.paper_batch_id).where(
        BudgetBallot.heading_id == heading.id, PaperBatch.state == BatchState.ACCEPTED.value)) or 0
    return PaperAllowance(issued=int(issued), accepted=int(accepted))
