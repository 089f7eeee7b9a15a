"""Lists, on each place page, the delegates who named that place as one they know well."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from app.delegation import services
from app.extensions import db
from app.places.models import Place
from app.places.sections import PlaceSection, register_section


@register_section
def delegates_section(place: Place) -> PlaceSection:
    items = [(p.shown_name, url_for("delegation.profile", user_id=p.user_id))
             for p in services.delegates(db.session) if any(pl.id == place.id for pl in p.places)]
    return PlaceSection(heading=_("Delegates who know this place"), items=items, empty_text=_("No delegates have named this place yet."))
