"""A budget's own support threshold for the proposals in its area (see app.proposals.thresholds).

It applies while the budget takes or reviews proposals, to every proposal whose place is the budget's area or
lies within it: that is the call for proposals the threshold was set for.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.budgets.models import BudgetProcess, Phase
from app.proposals.models import Proposal
from app.proposals.thresholds import Threshold, register_threshold_source

CALLING_PHASES = (Phase.ACCEPTING_PROPOSALS.value, Phase.REVIEWING.value)


@register_threshold_source
def budget_thresholds(session: Session, proposal: Proposal) -> list[Threshold]:
    if proposal.place is None:
        return []
    areas = [p.id for p in proposal.place.lineage()]
    rows = session.execute(
        select(BudgetProcess.support_threshold, BudgetProcess.title).where(
            BudgetProcess.place_id.in_(areas),
            BudgetProcess.phase.in_(CALLING_PHASES),
            BudgetProcess.support_threshold.is_not(None),
        )
    ).all()
    return [Threshold(int(supports), title) for supports, title in rows]
