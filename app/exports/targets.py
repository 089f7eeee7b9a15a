"""What can be exported: budget processes, ranked votes, citizens' panels and proposal consultations.

A target is named by its kind and a key: the object's id, or for a proposal consultation
``PLACE_CODE:FROM:TO`` (the proposals of that place and the places inside it published between the two ISO
dates, both included).  Only a finished process (results published, panel drawn, period over) goes to open data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.exports.models import Kind
from app.places.models import Place


class UnknownTarget(LookupError):
    """No such process, or a key in the wrong form; the message says which."""


@dataclass(frozen=True)
class Target:
    kind: str
    key: str
    obj: Any
    title: str
    place: Place | None
    state: str
    is_finished: bool
    starts: date | None
    ends: date | None


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def _budget(session: Session, key: str) -> Target:
    from app.budgets.models import BudgetProcess, Phase

    p = session.get(BudgetProcess, int(key)) if key.isdigit() else None
    if p is None:
        raise UnknownTarget(f"No budget process with id {key}.")
    return Target(Kind.BUDGET.value, str(p.id), p, p.title, session.get(Place, p.place_id), p.phase,
                  p.phase == Phase.FINISHED.value, p.proposals_open_on or p.voting_opens_on, p.voting_closes_on)


def _vote(session: Session, key: str) -> Target:
    from app.voting.models import Vote, VoteState

    v = session.get(Vote, int(key)) if key.isdigit() else None
    if v is None:
        raise UnknownTarget(f"No ranked vote with id {key}.")
    return Target(Kind.VOTE.value, str(v.id), v, v.title, session.get(Place, v.place_id), v.state,
                  v.state == VoteState.PUBLISHED.value, _day(v.opens_at), _day(v.closes_at))


def _panel(session: Session, key: str) -> Target:
    from app.panels.models import Panel

    p = session.get(Panel, int(key)) if key.isdigit() else None
    if p is None:
        raise UnknownTarget(f"No citizens' panel with id {key}.")
    sel = p.selection
    drawn = sel is not None and sel.seed is not None and bool(sel.result_json)
    return Target(Kind.PANEL.value, str(p.id), p, p.title, session.get(Place, p.place_id) if p.place_id else None,
                  "drawn" if drawn else "open", drawn, _day(p.created_at), _day(sel.drawn_at) if sel else None)


def consultation_key(place: Place, start: date, end: date) -> str:
    return f"{place.code}:{start.isoformat()}:{end.isoformat()}"


def consultation_proposals(session: Session, place: Place, start: date, end: date) -> list[Any]:
    """Published (not draft, not hidden) proposals of ``place`` and the places inside it, published in the period."""
    from app.places.queries import descendant_ids
    from app.proposals.models import Proposal, ProposalState

    return list(session.execute(
        select(Proposal).where(Proposal.place_id.in_(descendant_ids(session, place)),
                               Proposal.state != ProposalState.DRAFT.value, Proposal.hidden_at.is_(None),
                               Proposal.published_at >= datetime.combine(start, time.min),
                               Proposal.published_at <= datetime.combine(end, time.max))
        .order_by(Proposal.published_at, Proposal.id)).scalars())


def _proposals(session: Session, key: str, today: date | None = None) -> Target:
    parts = key.split(":")
    if len(parts) != 3:
        raise UnknownTarget(f"A proposal consultation is PLACE_CODE:FROM:TO, for example fenland:2026-01-01:2026-12-31 (got {key}).")
    place = session.execute(select(Place).where(Place.code == parts[0])).scalar_one_or_none()
    if place is None:
        raise UnknownTarget(f"No place with code {parts[0]}.")
    try:
        start, end = date.fromisoformat(parts[1]), date.fromisoformat(parts[2])
    except ValueError:
        raise UnknownTarget(f"Dates must be YYYY-MM-DD (got {parts[1]} and {parts[2]}).") from None
    if end < start:
        raise UnknownTarget("The period ends before it starts.")
    proposals = consultation_proposals(session, place, start, end)
    title = f"{place.name}: proposals {start.isoformat()} – {end.isoformat()}"
    finished = end < (today or date.today())
    return Target(Kind.PROPOSALS.value, consultation_key(place, start, end), proposals, title, place,
                  "closed" if finished else "open", finished, start, end)


def resolve(session: Session, kind: str, key: str) -> Target:
    loaders = {Kind.BUDGET.value: _budget, Kind.VOTE.value: _vote, Kind.PANEL.value: _panel, Kind.PROPOSALS.value: _proposals}
    if kind not in loaders:
        raise UnknownTarget(f"Unknown kind {kind}: use one of {', '.join(loaders)}.")
    return loaders[kind](session, key)


def all_targets(session: Session) -> list[Target]:
    """Every exportable process; proposal consultations as one per place and calendar year with proposals."""
    from app.budgets.models import BudgetProcess
    from app.panels.models import Panel
    from app.proposals.models import Proposal, ProposalState
    from app.voting.models import Vote

    out = [_budget(session, str(i)) for i in session.execute(select(BudgetProcess.id).order_by(BudgetProcess.id)).scalars()]
    out += [_vote(session, str(i)) for i in session.execute(select(Vote.id).order_by(Vote.id)).scalars()]
    out += [_panel(session, str(i)) for i in session.execute(select(Panel.id).order_by(Panel.id)).scalars()]
    published = session.execute(select(Proposal.place_id, Proposal.published_at).where(
        Proposal.state != ProposalState.DRAFT.value, Proposal.published_at.is_not(None), Proposal.hidden_at.is_(None))).all()
    years = sorted({(place_id, at.year) for place_id, at in published})
    places = {p.id: p for p in session.execute(select(Place).where(Place.id.in_({p for p, _ in years}))).scalars()} if years else {}
    for place_id, year in years:
        place = places[place_id]
        out.append(_proposals(session, consultation_key(place, date(year, 1, 1), date(year, 12, 31))))
    return out



__all__ = ["Target", "UnknownTarget", "all_targets", "resolve", "consultation_key"]
