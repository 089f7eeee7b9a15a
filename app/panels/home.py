"""The home page's citizens' panels (see :mod:`app.core.home`): panels taking registrations, which only invited
households can join with the code on their letter, and the draws finished recently, whose public pages let
anyone check them.  A resident sees the panels for their area and the areas containing it (and panels set up
for no particular area); everyone else sees every panel."""

from __future__ import annotations

from collections.abc import Sequence

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.core.db import utcnow
from app.core.home import LIMIT, RECENT_RESULTS, HomeItem, HomeSection, register_home_section
from app.core.i18n import day
from app.panels.models import Panel, SelectionDraw
from app.places.models import Place


def _in_areas(stmt, areas: Sequence[Place] | None):  # type: ignore[no-untyped-def]
    if areas is None:
        return stmt
    return stmt.where(or_(Panel.place_id.in_([p.id for p in areas]), Panel.place_id.is_(None)))


@register_home_section
def panels_taking_registrations(session: Session, areas: Sequence[Place] | None) -> HomeSection | None:
    stmt = select(Panel).where(Panel.is_registration_open.is_(True)).order_by(Panel.id).limit(LIMIT)
    items = [
        HomeItem(text=p.title, url=url_for("panels.respond"), place=p.place.name if p.place else "",
                 detail=_("Taking registrations from invited households: register with the code on your "
                          "invitation letter."))
        for p in session.execute(_in_areas(stmt, areas)).scalars()
    ]
    if not items:
        return None
    return HomeSection(key="panels_open", order=40, heading=_("Citizens' panels taking registrations"), items=items,
                       more=(_("All citizens' panels"), url_for("panels.index")))


@register_home_section
def recent_panel_draws(session: Session, areas: Sequence[Place] | None) -> HomeSection | None:
    stmt = (select(Panel, SelectionDraw.drawn_at).join(SelectionDraw, SelectionDraw.panel_id == Panel.id)
            .where(SelectionDraw.drawn_at >= utcnow() - RECENT_RESULTS)
            .order_by(SelectionDraw.drawn_at.desc(), Panel.id.desc()).limit(LIMIT))
    items = [
        HomeItem(text=_("%(panel)s: the draw", panel=panel.title), url=url_for("panels.draw", panel_id=panel.id),
                 place=panel.place.name if panel.place else "", detail=_("Members drawn on %(date)s", date=day(drawn_at)))
        for panel, drawn_at in session.execute(_in_areas(stmt, areas)).all()
    ]
    if not items:
        return None
    return HomeSection(key="results", order=90, heading=_("Results published recently"), items=items)
