"""The home page's items for budgets and proposals (read-only, through each feature's own queries).

New features register their own items from their own package (see :mod:`app.core.home`); these two live here
because they were added after the budgets and proposals features were built.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.budgets import queries as budget_queries
from app.budgets.models import BudgetHeading, BudgetProcess, Phase
from app.core.db import utcnow
from app.core.home import LIMIT, RECENT_RESULTS, HomeItem, HomeSection, register_home_section
from app.core.i18n import day, number
from app.places.models import Place
from app.places.queries import descendant_ids
from app.proposals.models import Proposal, ProposalState


def _ids(areas: Sequence[Place] | None) -> set[int] | None:
    return None if areas is None else {p.id for p in areas}


def _process_matches(process: BudgetProcess, ids: set[int] | None) -> list[BudgetHeading]:
    """The process's headings that matter to these areas (all of them, county-wide)."""
    if ids is None:
        return list(process.headings)
    return [h for h in process.headings if h.place_id in ids]


def _public_processes(session: Session, phase: Phase) -> list[BudgetProcess]:
    return [p for p in budget_queries.processes(session, include_drafts=False) if p.phase == phase.value]


@register_home_section
def budgets_in_voting(session: Session, areas: Sequence[Place] | None) -> HomeSection:
    ids = _ids(areas)
    items = []
    for process in _public_processes(session, Phase.BALLOTING):
        for heading in _process_matches(process, ids):
            closes = process.voting_closes_on
            items.append(HomeItem(
                text=_("%(budget)s: %(heading)s", budget=process.title, heading=heading.name),
                url=url_for("budgets.heading", heading_id=heading.id),
                place=heading.place.name,
                detail=_("Voting closes on %(date)s", date=day(closes)) if closes else _("Voting is open"),
                closes_on=closes,
            ))
    items.sort(key=lambda i: (i.closes_on is None, i.closes_on or utcnow().date(), i.text))
    return HomeSection(key="budgets_voting", order=10, heading=_("Budgets you can vote on now"), items=items,
                       empty_text=_("No budget is in voting now."),
                       more=(_("All participatory budgets"), url_for("budgets.index")))


@register_home_section
def budgets_taking_proposals(session: Session, areas: Sequence[Place] | None) -> HomeSection | None:
    ids = _ids(areas)
    items = [
        HomeItem(text=process.title, url=url_for("budgets.show", process_id=process.id), place=process.place.name,
                 detail=_("Taking proposals"))
        for process in _public_processes(session, Phase.ACCEPTING_PROPOSALS)
        if _process_matches(process, ids) or ids is None or process.place_id in ids
    ]
    if not items:
        return None
    return HomeSection(key="budgets_proposals", order=15, heading=_("Budgets taking proposals"), items=items[:LIMIT])


@register_home_section
def proposals_collecting_support(session: Session, areas: Sequence[Place] | None) -> HomeSection:
    stmt = (
        select(Proposal)
        .where(Proposal.state == ProposalState.PUBLISHED.value, Proposal.hidden_at.is_(None))
        .order_by(Proposal.published_at.desc(), Proposal.id.desc())
        .limit(LIMIT)
    )
    more_url = url_for("proposals.index", state=ProposalState.PUBLISHED.value)
    if areas:
        # the resident's area and everything in it, and the larger areas it belongs to
        place_ids = set(descendant_ids(session, areas[0])) | {p.id for p in areas}
        stmt = stmt.where(Proposal.place_id.in_(place_ids))
        more_url = url_for("proposals.index", state=ProposalState.PUBLISHED.value, place=areas[0].code)
    rows = list(session.execute(stmt).scalars())
    items = [
        HomeItem(text=p.title, url=url_for("proposals.show", proposal_id=p.id), place=p.place.name,
                 detail=ngettext("%(count)s supporter", "%(count)s supporters", p.support_count,
                                 count=number(p.support_count)))
        for p in rows
    ]
    return HomeSection(key="proposals_support", order=20, heading=_("Proposals collecting support"), items=items,
                       empty_text=_("No proposals are collecting support here now."),
                       more=(_("All proposals collecting support"), more_url))


@register_home_section
def recent_budget_results(session: Session, areas: Sequence[Place] | None) -> HomeSection | None:
    ids = _ids(areas)
    since = utcnow() - RECENT_RESULTS
    items = []
    for process in _public_processes(session, Phase.FINISHED):
        if process.results_published_at is None or process.results_published_at < since:
            continue
        for heading in _process_matches(process, ids):
            items.append(HomeItem(
                text=_("%(budget)s: %(heading)s", budget=process.title, heading=heading.name),
                url=url_for("budgets.results", heading_id=heading.id),
                place=heading.place.name,
                detail=_("Results published on %(date)s", date=day(process.results_published_at)),
            ))
    if not items:
        return None
    return HomeSection(key="results", order=90, heading=_("Results published recently"), items=items[:LIMIT])
