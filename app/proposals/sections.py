"""The "Proposals" section on every place page: the newest proposals there and in the places below it."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from app.extensions import db
from app.places.models import Place
from app.places.sections import PlaceSection, register_section
from app.proposals import queries

SECTION_LIMIT = 10


@register_section
def proposals_section(place: Place) -> PlaceSection:
    rows = queries.in_place(db.session, place, limit=SECTION_LIMIT)
    items = [
        (_("%(title)s (%(state)s)", title=p.title, state=p.state_enum.label), url_for("proposals.show", proposal_id=p.id))
        for p in rows
    ]
    if items:
        items.append((_("All proposals in %(place)s", place=place.name), url_for("proposals.index", place=place.code)))
    return PlaceSection(
        heading=_("Proposals"),
        items=items,
        empty_text=_("No proposals have been published for %(place)s yet.", place=place.name),
    )
