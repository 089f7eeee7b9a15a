"""Moving a budget between stages, with the guards each move needs, and publishing its results."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import format_date, format_percent, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.budgets import notices
from app.budgets.models import (
    BatchState,
    BudgetBallot,
    BudgetCount,
    BudgetHeading,
    BudgetProcess,
    PaperBatch,
    Phase,
)
from app.budgets.services._common import _lock_process
from app.budgets.services.counting import count_inputs, count_is_current, latest_count
from app.budgets.services.delegation import freeze, unfreeze
from app.budgets.services.setup import heading_problems
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.i18n import number
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
        inputs = count_inputs(session, heading)
        if inputs.online + inputs.paper == 0:
            out.append(_("%(heading)s has no ballots. Results cannot be published while a heading has no ballots.", heading=heading.name))
            continue
        latest = latest_count(session, heading)
        if latest is None:
            out.append(_("Count every heading before publishing (%(heading)s has no count).", heading=heading.name))
        elif not count_is_current(heading, latest, inputs.election):
            out.append(_("Ballots for %(heading)s changed after its count. Run the count again.", heading=heading.name))
        elif latest.min_support is None:
            out.append(_("The count of %(heading)s was made before projects needed a minimum support. Run the count again.", heading=heading.name))
    return out


@dataclass(frozen=True)
class LowTurnout:
    """A heading whose counted turnout is below the process's threshold."""

    heading: BudgetHeading
    ballots: int
    population: int
    percent: float


def low_turnouts(session: Session, process: BudgetProcess) -> list[LowTurnout]:
    """Headings whose latest count's turnout (valid ballots / population) is below the officer's threshold;
    publishing them needs an explicit confirmation naming the figure.  Headings without a known population
    cannot be compared and are left out."""
    if not process.low_turnout_permille:
        return []
    out = []
    for heading in process.headings:
        count = latest_count(session, heading)
        population = heading.place.population
        if count is None or not population:
            continue
        ballots = count.online_ballots + count.paper_ballots
        if ballots * 1000 < process.low_turnout_permille * population:
            out.append(LowTurnout(heading, ballots, population, 100 * ballots / population))
    return out


def percent_text(value: float) -> str:
    """A percentage with one decimal, in the reader's language (0.3% / 0,3%)."""
    return format_percent(value / 100, format="#,##0.0%")


def low_turnout_text(process: BudgetProcess, lows: list[LowTurnout]) -> str:
    """The confirmation that names the figures, e.g. "Publish although turnout is below 2.0%: Fenland 0.4%
    (41 ballots, 102,000 residents)."
    """
    figures = "; ".join(
        _("%(heading)s %(percent)s (%(ballots)s ballots, %(population)s residents)", heading=low.heading.name,
          percent=percent_text(low.percent), ballots=number(low.ballots), population=number(low.population))
        for low in lows
    )
    return _("Publish although turnout is below %(threshold)s: %(figures)s.",
             threshold=percent_text((process.low_turnout_permille or 0) / 10), figures=figures)


PLANNED_ON = {
    Phase.ACCEPTING_PROPOSALS: "proposals_open_on",
    Phase.REVIEWING: "review_starts_on",
    Phase.BALLOTING: "voting_opens_on",
    Phase.REVIEWING_BALLOTS: "voting_closes_on",
    Phase.FINISHED: "results_on",
}


def early_warning(process: BudgetProcess, to_phase: Phase, today: date | None = None) -> str | None:
    """The warning for moving to ``to_phase`` before its planned date (None when not early or not planned)."""
    planned = getattr(process, PLANNED_ON.get(to_phase, ""), None) if to_phase in PLANNED_ON else None
    today = today or utcnow().date()
    if planned is None or today >= planned:
        return None
    return _("“%(to)s” is planned for %(date)s, %(days)s from today. Residents may have been told that date.",
             to=to_phase.label, date=format_date(planned, "long"),
             days=ngettext("%(num)d day", "%(num)d days", (planned - today).days))


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


def advance_phase(
    session: Session, actor: Any, process: BudgetProcess, to_phase: Phase, reason: str | None = None, *,
    confirm_early: bool = False, confirm_low_turnout: bool = False, today: date | None = None, at: datetime | None = None,
) -> None:
    """Move to the next phase, if its guards hold.  Opening the vote puts linked proposals on the ballot;
    closing it resolves delegated votes (:func:`.delegation.freeze`); finishing publishes every heading's latest
    count and marks linked proposals selected or not.  A move before its planned date needs ``confirm_early``;
    publishing a heading whose turnout is below the process's threshold needs ``confirm_low_turnout`` (the
    page's confirmation names the figures).

    ``at`` records a move that took effect earlier than now (a process run on paper and entered afterwards, or
    the demonstration's story): the timetable, ``phase_changed_at`` and the publication time take it, and the
    audit entry, written now, carries it as ``effective_at``.  It may be neither in the future nor before the
    previous move."""
    _lock_process(session, process, read=False)
    session.refresh(process)
    current = process.phase_enum
    now = utcnow()
    if at is not None and (at > now or (process.phase_changed_at is not None and at < process.phase_changed_at)):
        raise DomainError(_("A stage change can be recorded for a past moment after the previous change, not for the future."))
    if current.next is not to_phase:
        raise DomainError(_("This budget is in the “%(phase)s” stage; it cannot move to “%(to)s” from there.", phase=current.label, to=to_phase.label))
    problems = phase_problems(session, process, to_phase)
    if problems:
        raise DomainError(" ".join(problems))
    extra: dict[str, Any] = {}
    early = early_warning(process, to_phase, today)
    if early is not None:
        if not confirm_early:
            raise DomainError(early + " " + _("Tick the box to confirm moving early."), field="confirm_early")
        extra["early"] = getattr(process, PLANNED_ON[to_phase]).isoformat()
    if to_phase is Phase.FINISHED and (lows := low_turnouts(session, process)):
        if not confirm_low_turnout:
            raise DomainError(low_turnout_text(process, lows) + " " + _("Tick the box to confirm."), field="confirm_low_turnout")
        extra["low_turnout"] = [{"heading_id": low.heading.id, "ballots": low.ballots, "population": low.population} for low in lows]
    counts: dict[int, BudgetCount] = {}
    if to_phase is Phase.FINISHED:
        counts = {h.id: c for h in process.headings if (c := latest_count(session, h)) is not None}
    if at is not None:
        extra["effective_at"] = at.isoformat()
    process.phase = to_phase.value
    process.phase_changed_at = at or now
    session.flush()
    audit.record(session, "budget.phase", actor=actor, obj=process, data={"from": current.value, "to": to_phase.value, "reason": reason or "", **extra})
    if to_phase is Phase.REVIEWING_BALLOTS:  # the close of voting: delegated votes go to the ballots that carry them
        freeze(session, actor, process)
    if to_phase is Phase.BALLOTING:
        for heading in process.headings:
            for project in heading.projects:
                if project.proposal is not None and project.proposal.state == ProposalState.SHORTLISTED.value:
                    _transition_proposal(session, actor, project.proposal, ProposalState.ON_BALLOT, _("On the ballot of %(budget)s.", budget=process.title))
    if to_phase is Phase.FINISHED:
        process.results_published_at = at or now
        for heading in process.headings:
            count = counts[heading.id]
            count.is_published = True
            count.published_at = at or now
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


BACK_TO = {Phase.REVIEWING_BALLOTS: Phase.BALLOTING, Phase.BALLOTING: Phase.REVIEWING}
MAX_REASON = 500


def back_problems(session: Session, process: BudgetProcess) -> list[str]:
    """What stops ``process`` going back a stage (empty when it may): only "reopen voting" from reviewing
    ballots, and "back to set-up" from voting while no ballot, online or paper, exists."""
    to = BACK_TO.get(process.phase_enum)
    if to is None:
        return [_("A budget in the “%(phase)s” stage cannot go back.", phase=process.phase_enum.label)]
    if to is Phase.REVIEWING:
        heading_ids = [h.id for h in process.headings]
        ballots = session.execute(select(func.count(BudgetBallot.id)).where(BudgetBallot.heading_id.in_(heading_ids))).scalar_one()
        batches = session.execute(select(func.count(PaperBatch.id)).where(PaperBatch.heading_id.in_(heading_ids))).scalar_one()
        if ballots or batches:
            return [_("Voting cannot go back to set-up: ballots have been cast or paper batches started. Close voting instead, or keep it open.")]
    return []


def step_back(session: Session, actor: Any, process: BudgetProcess, reason: str) -> Phase:
    """Reopen voting (from reviewing ballots) or go back to set-up (from voting, before any ballot exists),
    with a reason, audited.  Returns the stage it is now in."""
    _lock_process(session, process, read=False)
    session.refresh(process)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Enter the reason for going back. It is published in the audit log."), field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(_("The reason must be %(max)d characters or fewer.", max=MAX_REASON), field="reason")
    problems = back_problems(session, process)
    if problems:
        raise DomainError(" ".join(problems))
    current = process.phase_enum
    to = BACK_TO[current]
    process.phase = to.value
    process.phase_changed_at = utcnow()
    session.flush()
    audit.record(session, "budget.phase_back", actor=actor, obj=process, data={"from": current.value, "to": to.value, "reason": reason})
    if to is Phase.BALLOTING:
        unfreeze(session, process)
    return to
