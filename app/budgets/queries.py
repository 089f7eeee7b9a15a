"""Read-side queries for budgets (``select()`` style).  Loaders abort with 404 when nothing matches, and also
when a draft would be shown to someone who may not see it (restricted content is "not found")."""

from __future__ import annotations

import json
from datetime import datetime

from flask import abort
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from app.budgets import policy
from app.budgets.models import (
    BudgetBallot,
    BudgetHeading,
    BudgetProcess,
    BudgetProject,
    BudgetRegister,
    FundingPot,
    PaperBatch,
    RegisterCancellation,
)
from app.extensions import db
from app.places.models import Place
from app.proposals.models import Proposal, ProposalState


def _visible(obj: object) -> None:
    if not policy.may_see_process(current_user, obj):
        abort(404)


def process_or_404(process_id: int) -> BudgetProcess:
    process = db.session.get(BudgetProcess, process_id)
    if process is None:
        abort(404)
    _visible(process)
    return process


def heading_or_404(heading_id: int, *, with_projects: bool = False) -> BudgetHeading:
    """The heading with its process (every heading page asks whether the process may be seen), and with its
    projects when ``with_projects`` (the ballot): one statement instead of three."""
    options = [joinedload(BudgetHeading.process)] + ([joinedload(BudgetHeading.projects)] if with_projects else [])
    heading = db.session.get(BudgetHeading, heading_id, options=options)
    if heading is None:
        abort(404)
    _visible(heading)
    return heading


def project_or_404(project_id: int) -> BudgetProject:
    project = db.session.get(BudgetProject, project_id)
    if project is None:
        abort(404)
    _visible(project.heading)
    return project


def pot_or_404(pot_id: int) -> FundingPot:
    pot = db.session.get(FundingPot, pot_id)
    if pot is None:
        abort(404)
    _visible(pot.heading)
    return pot


def batch_or_404(batch_id: int) -> PaperBatch:
    batch = db.session.get(PaperBatch, batch_id)
    if batch is None:
        abort(404)
    return batch


def processes(session: Session, include_drafts: bool) -> list[BudgetProcess]:
    stmt = select(BudgetProcess).order_by(BudgetProcess.created_at.desc(), BudgetProcess.id.desc())
    if not include_drafts:
        public = [p.value for p, caps in policy.PHASE_CAPABILITIES.items() if policy.PUBLIC in caps]
        stmt = stmt.where(BudgetProcess.phase.in_(public))
    return list(session.execute(stmt).scalars())


def all_headings(session: Session) -> list[BudgetHeading]:
    return list(session.execute(select(BudgetHeading).order_by(BudgetHeading.id)).scalars())


def heading_places(session: Session, process: BudgetProcess) -> list[Place]:
    """The process's area and every area within it, for choosing a heading's place."""
    from app.places.queries import descendant_ids

    ids = descendant_ids(session, process.place)
    return list(session.execute(select(Place).where(Place.id.in_(ids)).order_by(Place.name)).scalars())


def shortlisted_proposals(session: Session, heading: BudgetHeading) -> list[Proposal]:
    """Shortlisted proposals in the heading's area (or below it) that are not yet a project in any budget."""
    from app.places.queries import descendant_ids

    taken = select(BudgetProject.proposal_id).where(BudgetProject.proposal_id.is_not(None))  # a proposal is one project
    return list(
        session.execute(
            select(Proposal)
            .where(
                Proposal.state == ProposalState.SHORTLISTED.value,
                Proposal.place_id.in_(descendant_ids(session, heading.place)),
                Proposal.id.not_in(taken),
                Proposal.hidden_at.is_(None),
            )
            .order_by(Proposal.title)
        ).scalars()
    )


def phase_history(session: Session, process: BudgetProcess) -> dict[str, datetime]:
    """When the process actually entered each stage, from the audit log (the latest entry for a stage): the
    moment the move took effect (``effective_at``, for a move recorded afterwards), else when it was made."""
    from app.core.models import AuditEntry

    rows = session.execute(
        select(AuditEntry.data_json, AuditEntry.created_at)
        .where(AuditEntry.action == "budget.phase", AuditEntry.object_type == BudgetProcess.__tablename__,
               AuditEntry.object_id == str(process.id))
        .order_by(AuditEntry.id)
    ).all()
    out = {}
    for data, at in rows:
        entry = json.loads(data)
        effective = entry.get("effective_at")
        out[entry.get("to")] = datetime.fromisoformat(effective) if effective else at
    return out


def batches(session: Session, heading: BudgetHeading) -> list[PaperBatch]:
    return list(session.execute(select(PaperBatch).where(PaperBatch.heading_id == heading.id).order_by(PaperBatch.number)).scalars())


def ballot_totals(session: Session, heading: BudgetHeading) -> dict[str, int]:
    rows = session.execute(
        select(BudgetBallot.channel, func.count(BudgetBallot.id)).where(BudgetBallot.heading_id == heading.id).group_by(BudgetBallot.channel)
    ).all()
    return {channel: int(n) for channel, n in rows}


def headings_for_place(session: Session, place: Place) -> list[BudgetHeading]:
    """Headings residents of ``place`` vote in: the place's own and those of the areas it belongs to."""
    ids = [p.id for p in place.lineage()]
    return list(session.execute(select(BudgetHeading).where(BudgetHeading.place_id.in_(ids)).order_by(BudgetHeading.id)).scalars())


# --------------------------------------------------------------------------------------------- the marked register


def register_counts_by_channel(session: Session, heading_ids: list[int]) -> dict[int, dict[str, int]]:
    """heading id -> {channel: people marked on the register} (``online``, ``paper``, ``assisted``); every heading
    asked about is present, channels with nobody are left out.  Counts only, never names: safe for public
    figures and committee packs.  Paper issues later cancelled are not counted."""
    out: dict[int, dict[str, int]] = {int(h): {} for h in heading_ids}
    if not out:
        return out
    for heading_id, channel, n in session.execute(
        select(BudgetRegister.heading_id, BudgetRegister.channel, func.count(BudgetRegister.id))
        .where(BudgetRegister.heading_id.in_(list(out))).group_by(BudgetRegister.heading_id, BudgetRegister.channel)
    ):
        out[int(heading_id)][str(channel)] = int(n)
    return out


def paper_issues(session: Session, heading: BudgetHeading) -> list[BudgetRegister]:
    """The heading's paper and assisted ballot issues, newest first (officers only)."""
    return list(session.execute(
        select(BudgetRegister).where(BudgetRegister.heading_id == heading.id, BudgetRegister.channel != "online")
        .order_by(BudgetRegister.marked_at.desc(), BudgetRegister.id.desc())
    ).scalars())


def cancellations(session: Session, heading: BudgetHeading) -> list[RegisterCancellation]:
    return list(session.execute(
        select(RegisterCancellation).where(RegisterCancellation.heading_id == heading.id).order_by(RegisterCancellation.cancelled_at.desc())
    ).scalars())


def marks_for(session: Session, heading: BudgetHeading, voter_ids: list[int]) -> dict[int, BudgetRegister]:
    """voter id -> their mark on the heading's register, for the residents found by a search."""
    if not voter_ids:
        return {}
    return {m.voter_id: m for m in session.execute(
        select(BudgetRegister).where(BudgetRegister.heading_id == heading.id, BudgetRegister.voter_id.in_(voter_ids))
    ).scalars()}
