"""What the API may publish, as ``select()`` statements and loaders: exactly what the public pages show.

Budgets from the stage they become public; proposals past draft and not hidden by a moderator; every ranked vote
(results only once published); every panel (draw records once committed).  A loader answers 404 for anything
that is missing or not public, as the pages do."""

from __future__ import annotations

from typing import Any

from flask import abort
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from app.budgets import policy as budget_policy
from app.budgets.models import BudgetHeading, BudgetProcess
from app.delegation.models import DelegateProfile
from app.extensions import db
from app.panels.models import Panel
from app.places.models import Place
from app.proposals.models import Proposal, ProposalEvent
from app.proposals.queries import LISTED_STATES
from app.voting.models import Vote


def public_phases() -> list[str]:
    return [p.value for p, caps in budget_policy.PHASE_CAPABILITIES.items() if budget_policy.PUBLIC in caps]


def places() -> Select[Any]:
    return select(Place).order_by(Place.id).options(selectinload(Place.parent))


def budgets() -> Select[Any]:
    return select(BudgetProcess).where(BudgetProcess.phase.in_(public_phases())).order_by(BudgetProcess.id)


def proposals() -> Select[Any]:
    return (select(Proposal).where(Proposal.state.in_(LISTED_STATES), Proposal.hidden_at.is_(None)).order_by(Proposal.id)
            .options(selectinload(Proposal.topics), selectinload(Proposal.place), selectinload(Proposal.author)))


def votes() -> Select[Any]:
    return select(Vote).order_by(Vote.id).options(selectinload(Vote.place), selectinload(Vote.topic))


def panels() -> Select[Any]:
    return select(Panel).order_by(Panel.id).options(selectinload(Panel.place))


def count(session: Session, stmt: Select[Any]) -> int:
    return int(session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one())


def page(session: Session, stmt: Select[Any], number: int, per_page: int) -> list[Any]:
    return list(session.execute(stmt.limit(per_page).offset((number - 1) * per_page)).scalars())


MAX_ID = 2**31 - 1  # ids are 32-bit integers: anything larger is simply not found (never a database error)


def one_or_404(stmt: Select[Any], model: Any, ident: int) -> Any:
    if ident > MAX_ID:
        abort(404)
    found = db.session.execute(stmt.where(model.id == ident)).scalar_one_or_none()
    if found is None:
        abort(404)
    return found


def heading_or_404(heading_id: int) -> BudgetHeading:
    heading = db.session.get(BudgetHeading, heading_id) if heading_id <= MAX_ID else None
    if heading is None or heading.process.phase not in public_phases():
        abort(404)
    return heading


def history(session: Session, proposal: Proposal) -> list[ProposalEvent]:
    return list(session.execute(
        select(ProposalEvent).where(ProposalEvent.proposal_id == proposal.id).order_by(ProposalEvent.happened_on, ProposalEvent.id)
    ).scalars())


def public_delegates(session: Session, user_ids: set[int]) -> dict[int, str]:
    """Which of these accounts offer to be a delegate now (their profile and name are public), with the name
    their public delegate profile shows."""
    if not user_ids:
        return {}
    return {p.user_id: p.shown_name for p in session.execute(
        select(DelegateProfile).where(DelegateProfile.is_active.is_(True), DelegateProfile.user_id.in_(user_ids))
    ).scalars()}
