"""The home page's ranked votes (see :mod:`app.core.home`): the votes open now, closing soonest first, and the
results published recently.  A resident sees the votes they vote in (held in their area or one containing it);
everyone else sees every vote."""

from __future__ import annotations

from collections.abc import Sequence

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.db import utcnow
from app.core.home import LIMIT, RECENT_RESULTS, HomeItem, HomeSection, register_home_section
from app.core.i18n import day
from app.places.models import Place
from app.voting.models import Vote, VoteState


def _in_areas(stmt, areas: Sequence[Place] | None):  # type: ignore[no-untyped-def]
    return stmt if areas is None else stmt.where(Vote.place_id.in_([p.id for p in areas]))


@register_home_section
def open_votes(session: Session, areas: Sequence[Place] | None) -> HomeSection:
    now = utcnow()
    stmt = (select(Vote).where(Vote.state == VoteState.OPEN.value, Vote.opens_at <= now, Vote.closes_at > now)
            .order_by(Vote.closes_at, Vote.id).limit(LIMIT))
    items = [
        HomeItem(text=v.title, url=url_for("voting.show", vote_id=v.id), place=v.place.name,
                 detail=_("Voting closes on %(date)s", date=day(v.closes_at)), closes_on=v.closes_at.date())
        for v in session.execute(_in_areas(stmt, areas)).scalars()
    ]
    return HomeSection(key="votes_open", order=30, heading=_("Ranked votes open now"), items=items,
                       empty_text=_("No ranked vote is open now."), more=(_("All ranked votes"), url_for("voting.index")))


@register_home_section
def recent_vote_results(session: Session, areas: Sequence[Place] | None) -> HomeSection | None:
    stmt = (select(Vote).where(Vote.state == VoteState.PUBLISHED.value, Vote.published_at >= utcnow() - RECENT_RESULTS)
            .order_by(Vote.published_at.desc(), Vote.id.desc()).limit(LIMIT))
    items = [
        HomeItem(text=v.title, url=url_for("voting.results", vote_id=v.id), place=v.place.name,
                 detail=_("Results published on %(date)s", date=day(v.published_at)))
        for v in session.execute(_in_areas(stmt, areas)).scalars()
    ]
    if not items:
        return None
    return HomeSection(key="results", order=90, heading=_("Results published recently"), items=items)
