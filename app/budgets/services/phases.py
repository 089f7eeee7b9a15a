"""Moving a budget between stages, with the guards each move needs, and publishing its results."""

from __future__ import annotations

import json
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.budgets import notices
from app.budgets.models import (
    BatchState,
    BudgetCount,
    BudgetProcess,
    PaperBatch,
    Phase,
)
from app.budgets.services._common import _lock_process
from app.budgets.services.counting import count_inputs, count_is_current, latest_count
from app.budgets.services.setup import heading_problems
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError
from app.proposals.models import Proposal, ProposalState


def _transition_proposal(session: Session, actor: Any, proposal: Proposal, to_state: ProposalState, reason: str) -> None:
    from app.proposals.services import transition  # the proposals feature owns proposal states

    transition(session, actor, proposal, to_state, reason=reason)

def publish_problems(session: Session, process: BudgetProcess) -> list[str]:
    """What stops the results being published, in plain words (empty when every heading is ready): a paper
    batch still being keyed, a heading not counted, or ballots changed since a heading's count."""
    out = []
    for heading in process.headings:
        pending = session.execute(
            select(PaperBatch.number).where(PaperBatch.heading_id == heading.id, PaperBatch.state == BatchState.KEYING.value)
            .order_by(PaperBatch.number).limit(1)
        ).scalar_one_or_none()
        if pending is not None:
            out.append(_("Paper batch %(number)d of %(heading)s is still being keyed. Accept it, or discard it if it was started in error, before publishing.",
                         number=pending, heading=heading.name))
        latest = latest_count(session, heading)
        if latest is None:
            out.append(_("Count every heading before publishing (%(heading)s has no count).", heading=heading.name))
        elif not count_is_current(heading, latest, count_inputs(session, heading).election):
            out.append(_("Ballots for %(heading)s changed after its count. Run the count again.", heading=heading.name))
    return out

def phase_problems(session: Session, process: BudgetProcess, to_phase: Phase) -> list[str]:
    """What would stop ``process`` moving to ``to_phase``, in plain words (empty when nothing does): opening the
    vote needs headings that are ready (:func:`heading_problems`), finishing needs :func:`publish_problems`
    cleared.  :func:`advance_phase` refuses with these; the pages show them before anyone tries."""
    if to_phase is Phase.BALLOTING:
        if not process.headings:
            return [_("Add at least one heading before opening the vote.")]
        return [p for h in process.headings for p in heading_problems(h)]
    if to_phase is Phase.FINISHED:
        return publish_problems(session, process)
    return []

def advance_phase(session: Session, actor: Any, process: BudgetProcess, to_phase: Phase, reason: str | None = None) -> None:
    """Move to the next phase, if its guards hold.  Opening the vote puts linked proposals on the ballot;
    finishing publishes every heading's latest count and marks linked proposals selected or not."""
    _lock_process(session, process, read=False)
    session.refresh(process)
    current = process.phase_enum
    if current.next is not to_phase:
        raise DomainError(_("This budget is in the “%(phase)s” stage; it cannot move to “%(to)s” from there.", phase=current.label, to=to_phase.label))
    problems = phase_problems(session, process, to_phase)
    if problems:
        raise DomainError(" ".join(problems))
    counts: dict[int, BudgetCount] = {}
    if to_phase is Phase.FINISHED:
        counts = {h.id: c for h in process.headings if (c := latest_count(session, h)) is not None}
    process.phase = to_phase.value
    process.phase_changed_at = utcnow()
    session.flush()
    audit.record(session, "budget.phase", actor=actor, obj=process, data={"from": current.value, "to": to_phase.value, "reason": reason or ""})
    if to_phase is Phase.BALLOTING:
        for heading in process.headings:
            for project in heading.projects:
                if project.proposal is not None and project.proposal.state == ProposalState.SHORTLISTED.value:
                    _transition_proposal(session, actor, project.proposal, ProposalState.ON_BALLOT, _("On the ballot of %(budget)s.", budget=process.title))
    if to_phase is Phase.FINISHED:
        now = utcnow()
        process.results_published_at = now
        for heading in process.headings:
            count = counts[heading.id]
            count.is_published = True
            count.published_at = now
            selected = set(json.loads(count.result_json)["selected"])
            audit.record(session, "budget.published", actor=actor, obj=count, data={"heading_id": heading.id, "selected": sorted(selected), "inputs_hash": count.inputs_hash})
            for project in heading.projects:
                if project.proposal is not None and project.proposal.state == ProposalState.ON_BALLOT.value:
                    funded = str(project.id) in selected
                    _transition_proposal(
                        session, actor, project.proposal,
                        ProposalState.SELECTED if funded else ProposalState.NOT_SELECTED,
                        _("Result of %(budget)s.", budget=process.title),
                    )
        session.flush()
        notices.announce_results(session, process)
