"""The "Debates" section on every place page: the newest public, visible debates there and in the places
below it (debates in restricted spaces never appear)."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.deliberation.models import Debate, Space
from app.extensions import db
from app.places.models import Place
from app.places.queries import descendant_ids
from app.places.sections import PlaceSection, register_section

SECTION_LIMIT = 10


@register_section
def debates_section(place: Place) -> PlaceSection:
    public_space = Debate.space_id.is_(None) | Debate.space_id.in_(select(Space.id).where(Space.is_restricted.is_(False)))
    rows = db.session.execute(
        select(Debate).where(Debate.place_id.in_(descendant_ids(db.session, place)), Debate.hidden_at.is_(None), public_space)
        .order_by(Debate.created_at.desc(), Debate.id.desc()).limit(SECTION_LIMIT)
    ).scalars().all()
    return PlaceSection(
        heading=_("Debates"),
        items=[(d.title, url_for("deliberation.debate", debate_id=d.id)) for d in rows],
        empty_text=_("No debates about %(place)s yet.", place=place.name),
    )
