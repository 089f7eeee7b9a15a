"""Read-side queries and loaders for panels (``select()`` style).  Loaders abort with 404 when nothing matches;
a respondent or question is found only through its own panel."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.extensions import db
from app.panels.models import Panel, Question, Respondent
from app.places.models import Place


def panels(session: Session) -> list[Panel]:
    return list(session.execute(select(Panel).order_by(Panel.created_at.desc(), Panel.id.desc())).scalars())


def open_for_registration(session: Session) -> list[Panel]:
    return list(session.execute(select(Panel).where(Panel.is_registration_open.is_(True)).order_by(Panel.id)).scalars())


def panels_for_place(session: Session, place: Place) -> list[Panel]:
    ids = [p.id for p in place.lineage()]
    return list(session.execute(select(Panel).where(Panel.place_id.in_(ids)).order_by(Panel.id)).scalars())


def panel_or_404(panel_id: int) -> Panel:
    panel = db.session.get(Panel, panel_id)
    if panel is None:
        abort(404)
    return panel


def drawn_panel_or_404(panel_id: int) -> Panel:
    """A panel whose selection draw is committed (its public draw page and files exist)."""
    panel = panel_or_404(panel_id)
    if panel.selection is None:
        abort(404)
    return panel


def respondent_or_404(panel_id: int, respondent_id: int) -> Respondent:
    respondent = db.session.get(Respondent, respondent_id)
    if respondent is None or respondent.panel_id != panel_id:
        abort(404)
    return respondent


def question_or_404(panel_id: int, question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    if question is None or question.panel_id != panel_id:
        abort(404)
    return question
