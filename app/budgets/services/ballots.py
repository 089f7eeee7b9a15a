"""Online ballots: checking choices, casting and replacing a ballot, receipts."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from app.budgets import notices, policy
from app.budgets.models import (
    BallotChannel,
    BallotChoice,
    BallotType,
    BudgetBallot,
    BudgetCount,
    BudgetHeading,
    BudgetRegister,
    ReplacedReceipt,
)
from app.budgets.services._common import _lock_process, _money
from app.core import secrecy
from app.core.db import insert_new, utcnow
from app.core.errors import DomainError


@dataclass
class BallotCheck:
    """The running totals and problems of a set of choices (project id -> points; 1 for approval types)."""

    choices: dict[int, int]
    total_cost: int = 0
    total_points: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_choices(heading: BudgetHeading, choices: dict[int, int]) -> BallotCheck:
    """Validate choices against the process's ballot type; never raises (the page shows the problems)."""
    process = heading.process
    kind = process.ballot_type_enum
    projects = {p.id: p for p in heading.projects}
    clean = {pid: pts for pid, pts in choices.items() if pts}
    check = BallotCheck(choices=clean)
    unknown = [pid for pid in clean if pid not in projects]
    if unknown:
        check.problems.append(_("Your ballot names a project that is not on this ballot."))
        return check
    if any(pts < 0 for pts in clean.values()):
        check.problems.append(_("Points cannot be negative."))
    check.total_cost = sum(projects[pid].cost_pence for pid in clean)
    check.total_points = sum(clean.values())
    if kind is not BallotType.CUMULATIVE and any(pts != 1 for pts in clean.values()):
        check.problems.append(_("Tick the projects you choose."))
    if kind is BallotType.K_APPROVAL and process.max_choices is not None and len(clean) > process.max_choices:
        check.problems.append(
            _("You chose %(chosen)d projects. You can choose up to %(max)d.", chosen=len(clean), max=process.max_choices)
        )
    if kind is BallotType.KNAPSACK and check.total_cost > heading.amount_pence:
        check.problems.append(
            _(
                "Your choices cost %(total)s, which is %(over)s more than the %(amount)s available.",
                total=_money(check.total_cost), over=_money(check.total_cost - heading.amount_pence), amount=_money(heading.amount_pence),
            )
        )
    if kind is BallotType.CUMULATIVE and process.max_points is not None and check.total_points > process.max_points:
        check.problems.append(
            _("You gave %(given)d points. You can give up to %(max)d.", given=check.total_points, max=process.max_points)
        )
    return check

RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_receipt_code() -> str:
    """16 characters from a 32-letter alphabet (80 random bits), shown in groups of four."""
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def receipt_hash(code: str) -> str:
    normal = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    return hashlib.sha256(normal.encode("ascii", "ignore")).hexdigest()


def _fill(ballot: BudgetBallot, choices: dict[int, int]) -> None:
    ballot.choices = [BallotChoice(project_id=pid, points=pts) for pid, pts in sorted(choices.items())]


def vote_refusal(session: Session, voter: Any, heading: BudgetHeading) -> str | None:
    """Why ``voter`` may not vote in ``heading`` now (see :func:`app.budgets.policy.vote_refusal`), and also when
    they already voted in this budget for an area they no longer live in: a resident who moves during the
    vote keeps the ballots cast for their old area, may still vote in the headings covering both areas (the
    county's), but not in their new area's heading: one home area in each budget."""
    refusal = policy.vote_refusal(voter, heading)
    if refusal is not None:
        return refusal
    return _register_refusal(voter, heading, _marks_in_budget(session, heading, voter.id))


def _marks_in_budget(session: Session, heading: BudgetHeading, voter_id: int) -> list[tuple[BudgetRegister, BudgetHeading]]:
    """The voter's register marks in every heading of ``heading``'s budget, with their headings (one statement:
    it answers both "is there a paper ballot for this heading?" and "did they vote for another area?")."""
    rows = session.execute(
        select(BudgetRegister, BudgetHeading)
        .join(BudgetHeading, BudgetRegister.heading_id == BudgetHeading.id)
        .where(BudgetHeading.process_id == heading.process_id, BudgetRegister.voter_id == voter_id)
        .order_by(BudgetHeading.id)
    ).all()
    return [(mark, other) for mark, other in rows]


def _register_refusal(voter: Any, heading: BudgetHeading, marks: list[tuple[BudgetRegister, BudgetHeading]]) -> str | None:
    mark = next((m for m, other in marks if other.id == heading.id), None)
    if mark is not None and mark.channel != BallotChannel.ONLINE.value:
        return paper_refusal(mark)
    lineage = {p.id for p in voter.home_place.lineage()}
    for _mark, other in marks:
        if other.place_id not in lineage and heading.place_id not in {p.id for p in other.place.lineage()}:
            return _(
                "You have already voted in %(other)s in this budget, for an area you no longer live in. Each person votes for one home area in a budget.",
                other=other.name,
            )
    return None


def register_mark(session: Session, heading_id: int, voter_id: int) -> BudgetRegister | None:
    """The register's mark for ``voter_id`` in the heading, if they have voted or been issued a paper ballot."""
    return session.execute(
        select(BudgetRegister).where(BudgetRegister.heading_id == heading_id, BudgetRegister.voter_id == voter_id)
    ).scalar_one_or_none()


def paper_refusal(mark: BudgetRegister) -> str:
    from app.core.i18n import day

    return _(
        "You were issued a paper ballot for this vote on %(day)s, so you cannot vote online. Fill in the paper ballot and return it. If it was lost or spoilt, ask the council's elections team.",
        day=day(mark.marked_at),
    )


def cast_ballot(session: Session, voter: Any, heading: BudgetHeading, choices: dict[int, int], *, blank: bool = False) -> str:
    """Record ``voter``'s ballot (replacing an earlier one in place) and return a new receipt code.

    A blank ballot (no project chosen) is recorded only when ``blank`` says it was chosen deliberately (the
    page asks on a step of its own).  A replaced ballot's receipt is kept as "replaced by a later ballot".

    The first cast marks the register in the same transaction.  One mark per person per heading and one ballot
    per token are database constraints.  A first cast inserts the mark with ON CONFLICT DO NOTHING: when two
    online casts race, the loser's insert waits for the winner's commit, inserts nothing, and the loser
    replaces the winner's ballot (row-locked); when a paper ballot was issued meanwhile, it is refused.
    """
    _lock_process(session, heading.process, read=True)
    refusal = policy.vote_refusal(voter, heading)
    marks = [] if refusal else _marks_in_budget(session, heading, voter.id)
    refusal = refusal or _register_refusal(voter, heading, marks)
    if refusal:
        raise DomainError(refusal)
    check = check_choices(heading, choices)
    if not check.ok:
        raise DomainError(" ".join(check.problems))
    if not check.choices and not blank:
        raise DomainError(_("You have not chosen any project. To cast a blank ballot, confirm it on the next step."))
    code = new_receipt_code()
    token = secrecy.token(secrecy.BUDGET, heading.id, voter.id)
    if not any(other.id == heading.id for _mark, other in marks) and _first_ballot(session, voter, heading, token, code, check):
        notices.delegate_voted(session, heading, voter)
        return code
    ballot = _locked_ballot(session, heading.id, token)
    if ballot is None and _into_box(session, heading, token, code, check):  # marked online, no ballot of theirs in the box
        notices.delegate_voted(session, heading, voter)
        return code
    ballot = ballot or _locked_ballot(session, heading.id, token)  # … or another cast of theirs has just put one in
    if ballot is None:  # pragma: no cover - the constraint that refused the insert says it is there
        raise RuntimeError("the voter's ballot is neither in the box nor insertable")
    now = utcnow()
    if ballot.receipt_hash is not None:
        session.add(ReplacedReceipt(heading_id=heading.id, receipt_hash=ballot.receipt_hash,
                                    cast_at=datetime.combine(ballot.cast_on, time()), replaced_at=datetime.combine(now.date(), time())))
    session.execute(delete(BallotChoice).where(BallotChoice.ballot_id == ballot.id))
    session.expire(ballot, ["choices"])
    for pid, pts in sorted(check.choices.items()):
        session.add(BallotChoice(ballot_id=ballot.id, project_id=pid, points=pts))
    ballot.receipt_hash = receipt_hash(code)
    ballot.cast_on = now.date()
    ballot.replaced_count += 1
    session.flush()
    notices.delegate_voted(session, heading, voter)
    return code


def _first_ballot(session: Session, voter: Any, heading: BudgetHeading, token: str, code: str, check: BallotCheck) -> bool:
    """Mark the register and put the ballot in the box, three INSERTs and no SAVEPOINT.  False when the mark
    was already there (another cast of the voter's committed since the look-up; the caller replaces that
    ballot), after refusing when that mark is a paper ballot's."""
    marked = session.execute(
        insert_new(session, BudgetRegister).values(heading_id=heading.id, voter_id=voter.id, channel=BallotChannel.ONLINE.value,
                                                   marked_at=utcnow()).returning(BudgetRegister.id)
    ).scalar_one_or_none()
    if marked is None:
        mark = register_mark(session, heading.id, voter.id)
        if mark is not None and mark.channel != BallotChannel.ONLINE.value:
            raise DomainError(paper_refusal(mark))
        return False
    return _into_box(session, heading, token, code, check)


def _into_box(session: Session, heading: BudgetHeading, token: str, code: str, check: BallotCheck) -> bool:
    """A new ballot with its choices (two INSERTs); False when the box already holds one under ``token``."""
    ballot_id = session.execute(
        insert_new(session, BudgetBallot).values(heading_id=heading.id, token=token, weight=1, receipt_hash=receipt_hash(code))
        .returning(BudgetBallot.id)
    ).scalar_one_or_none()
    if ballot_id is None:
        return False
    if check.choices:
        session.execute(insert(BallotChoice), [{"ballot_id": ballot_id, "project_id": pid, "points": pts}
                                               for pid, pts in sorted(check.choices.items())])
    return True


def _locked_ballot(session: Session, heading_id: int, token: str) -> BudgetBallot | None:
    """The ballot with ``token`` in the heading, row-locked until the transaction ends (PostgreSQL)."""
    return session.execute(
        select(BudgetBallot).where(BudgetBallot.heading_id == heading_id, BudgetBallot.token == token).with_for_update()
    ).scalar_one_or_none()


def ballot_of(session: Session, voter: Any, heading: BudgetHeading) -> BudgetBallot | None:
    if voter is None or not getattr(voter, "is_authenticated", False):
        return None
    token = secrecy.token(secrecy.BUDGET, heading.id, voter.id)
    return session.execute(
        select(BudgetBallot).where(BudgetBallot.heading_id == heading.id, BudgetBallot.token == token)
    ).scalar_one_or_none()


@dataclass(frozen=True)
class ReceiptStatus:
    heading: BudgetHeading
    channel: str
    recorded_at: Any
    counted: bool | None  # None while results are not published
    replaced_at: Any = None  # when a later ballot replaced this one (then nothing else is said about it)


def check_receipt(session: Session, code: str) -> ReceiptStatus | None:
    """What a receipt code can confirm: which vote it belongs to, when it was recorded, whether it was counted.
    Never the choices."""
    digest = receipt_hash(code)
    ballot = session.execute(select(BudgetBallot).where(BudgetBallot.receipt_hash == digest)).scalar_one_or_none()
    if ballot is None:
        old = session.execute(select(ReplacedReceipt).where(ReplacedReceipt.receipt_hash == digest)).scalar_one_or_none()
        if old is None:
            return None
        return ReceiptStatus(heading=old.heading, channel=BallotChannel.ONLINE.value, recorded_at=old.cast_at, counted=False,
                             replaced_at=old.replaced_at)
    published = session.execute(
        select(BudgetCount).where(BudgetCount.heading_id == ballot.heading_id, BudgetCount.is_published.is_(True)).order_by(BudgetCount.id.desc()).limit(1)
    ).scalar_one_or_none()
    counted = None if published is None else (not ballot.is_spoilt and ballot.cast_on <= published.created_at.date())
    return ReceiptStatus(heading=ballot.heading, channel=ballot.channel, recorded_at=ballot.cast_on, counted=counted)
