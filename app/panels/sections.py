"""Lists, on each place page, the citizens' panels for the place and its larger areas."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from app.extensions import db
from app.panels import queries
from app.places.models import Place
from app.places.sections import PlaceSection, register_section


@register_section
def panels_section(place: Place) -> PlaceSection:
    items = [(p.title, url_for("panels.show", panel_id=p.id)) for p in queries.panels_for_place(db.session, place)]
    return PlaceSection(heading=_("Citizens' panels for people living here"), items=items,
                        empty_text=_("No citizens' panels here yet."))
