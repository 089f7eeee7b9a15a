"""Paper ballots: numbered batches keyed twice by two officers, compared, then accepted as ballots."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.budgets import policy
from app.budgets.models import (
    BatchState,
    BudgetBallot,
    BudgetHeading,
    PaperBatch,
    PaperKeying,
)
from app.budgets.services._common import _lock_process
from app.budgets.services.ballots import _fill, check_choices
from app.budgets.services.register import paper_allowance
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError


def create_batch(session: Session, actor: Any, heading: BudgetHeading, number: int, size: int) -> PaperBatch:
    _lock_process(session, heading.process, read=True)
    if not policy.phase_allows(heading, policy.KEY_PAPER):
        raise DomainError(_("Paper ballots can be entered only while voting is open or ballots are being reviewed."))
    if number is None or number < 1:
        raise DomainError(_("Enter the batch number written on the bundle (1 or more)."), field="number")
    if size is None or not 1 <= size <= 100:
        raise DomainError(_("A batch holds between 1 and 100 paper ballots."), field="size")
    batch = PaperBatch(heading_id=heading.id, number=number, size=size, created_by_id=getattr(actor, "id", None))
    session.add(batch)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise DomainError(_("Batch %(number)d already exists for this heading.", number=number), field="number") from None
    audit.record(session, "budget.paper_batch_created", actor=actor, obj=batch, data={"heading_id": heading.id, "number": number, "size": size})
    return batch


def discard_batch(session: Session, actor: Any, batch: PaperBatch) -> None:
    """Throw away a batch started in error (a wrong number or size) and its keyings, before it is accepted;
    its number is free again.  Accepted batches are ballots and stay."""
    _lock_process(session, batch.heading.process, read=True)
    if batch.state != BatchState.KEYING.value:
        raise DomainError(_("This batch has been accepted; its ballots stay in the count."))
    if not policy.phase_allows(batch.heading, policy.KEY_PAPER):
        raise DomainError(_("Paper ballots can be entered only while voting is open or ballots are being reviewed."))
    data = {"heading_id": batch.heading_id, "number": batch.number, "size": batch.size, "keyings": len(batch.keyings)}
    batch_id = batch.id
    session.delete(batch)
    session.flush()
    audit.record(session, "budget.paper_batch_discarded", actor=actor, object_type="budget_paper_batches", object_id=batch_id, data=data)


@dataclass(frozen=True)
class PaperRow:
    """One paper ballot as keyed: spoilt, or the choices (project id -> points)."""

    choices: dict[int, int]
    spoilt: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"spoilt": self.spoilt, "choices": {str(k): v for k, v in sorted(self.choices.items()) if v}}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> PaperRow:
        return cls(choices={int(k): int(v) for k, v in obj["choices"].items()}, spoilt=bool(obj["spoilt"]))


def key_batch(session: Session, actor: Any, batch: PaperBatch, rows: list[PaperRow]) -> PaperKeying:
    """Record ``actor``'s keying of a whole batch (their own earlier keying is replaced: that is how a
    mismatch is resolved).  A second keying must be by a different officer (a database constraint)."""
    _lock_process(session, batch.heading.process, read=True)
    if batch.state != BatchState.KEYING.value:
        raise DomainError(_("This batch has been accepted; it cannot be keyed again."))
    if not policy.phase_allows(batch.heading, policy.KEY_PAPER):
        raise DomainError(_("Paper ballots can be entered only while voting is open or ballots are being reviewed."))
    if len(rows) != batch.size:
        raise DomainError(_("Key all %(size)d ballots of the batch.", size=batch.size))
    for n, row in enumerate(rows, start=1):
        if row.spoilt:
            continue
        check = check_choices(batch.heading, row.choices)
        if not check.ok:
            raise DomainError(_("Paper ballot %(n)d: %(problems)s If the paper is not valid, mark it spoilt.", n=n, problems=" ".join(check.problems)))
    content = json.dumps([r.to_json() for r in rows], sort_keys=True, separators=(",", ":"))
    mine = next((k for k in batch.keyings if k.officer_id == actor.id), None)
    if mine is not None:
        mine.content_json = content
        mine.keyed_at = utcnow()
        session.flush()
    else:
        if len(batch.keyings) >= 2:
            raise DomainError(_("Two officers have already keyed this batch. Only they can correct their keying."))
        entry = 1 if not batch.keyings else 3 - batch.keyings[0].entry
        mine = PaperKeying(batch=batch, entry=entry, officer_id=actor.id, content_json=content)
        session.add(mine)
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError:
            raise DomainError(_("Another officer keyed this batch at the same moment. Reload the page and try again.")) from None
    audit.record(session, "budget.paper_batch_keyed", actor=actor, obj=batch,
                 data={"entry": mine.entry, "content_sha256": hashlib.sha256(content.encode("utf-8")).hexdigest()})
    return mine


@dataclass(frozen=True)
class Mismatch:
    position: int
    first: PaperRow
    second: PaperRow


def batch_mismatches(batch: PaperBatch) -> list[Mismatch] | None:
    """Ballots the two keyings disagree on; None until both keyings exist."""
    if len(batch.keyings) < 2:
        return None
    a, b = (json.loads(k.content_json) for k in batch.keyings[:2])
    return [
        Mismatch(n, PaperRow.from_json(x), PaperRow.from_json(y))
        for n, (x, y) in enumerate(zip(a, b, strict=True), start=1)
        if x != y
    ]


def accept_batch(session: Session, actor: Any, batch: PaperBatch) -> int:
    """Turn a batch whose two keyings (by two officers) agree into ballots; returns how many.  Refused when the
    heading would then hold more paper ballots than the register shows were issued."""
    _lock_process(session, batch.heading.process, read=True)
    if batch.state != BatchState.KEYING.value:
        raise DomainError(_("This batch has already been accepted."))
    mismatches = batch_mismatches(batch)
    if mismatches is None:
        raise DomainError(_("A batch needs keying twice, by two different officers, before it can be accepted."))
    if mismatches:
        raise DomainError(_("The two keyings disagree on %(n)d ballots. Resolve them first.", n=len(mismatches)))
    if not policy.phase_allows(batch.heading, policy.KEY_PAPER):
        raise DomainError(_("Paper ballots can be entered only while voting is open or ballots are being reviewed."))
    rows = [PaperRow.from_json(x) for x in json.loads(batch.keyings[0].content_json)]
    allowance = paper_allowance(session, batch.heading)
    if len(rows) > allowance.left:
        raise DomainError(_(
            "This batch cannot be accepted: it holds more papers (%(papers)d) than the paper ballots issued for this heading and not yet in an accepted batch (%(left)d of %(issued)d issued). Check the batch against the register of issued papers.",
            papers=len(rows), left=allowance.left, issued=allowance.issued))
    now = utcnow()
    for n, row in enumerate(rows, start=1):
        ballot = BudgetBallot(
            heading_id=batch.heading_id, weight=1, paper_batch_id=batch.id, batch_position=n, is_spoilt=row.spoilt, cast_on=now.date(),
        )
        if not row.spoilt:
            _fill(ballot, row.choices)
        session.add(ballot)
    batch.state = BatchState.ACCEPTED.value
    batch.accepted_by_id = actor.id
    batch.accepted_at = now
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise DomainError(_("This batch has already been accepted.")) from None
    content = batch.keyings[0].content_json
    audit.record(session, "budget.paper_batch_accepted", actor=actor, obj=batch, data={
        "ballots": len(rows), "spoilt": sum(r.spoilt for r in rows), "content_sha256": hashlib.sha256(content.encode("utf-8")).hexdigest(),
    })
    return len(rows)
