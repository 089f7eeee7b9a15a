"""Lists, on each place page, the public budget headings its residents vote in (its own and its larger areas')."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from app.budgets import policy, queries
from app.extensions import db
from app.places.models import Place
from app.places.sections import PlaceSection, register_section


@register_section
def budgets_section(place: Place) -> PlaceSection:
    items = [
        (_("%(budget)s: %(heading)s (%(phase)s)", budget=h.process.title, heading=h.name, phase=h.process.phase_enum.label),
         url_for("budgets.heading", heading_id=h.id))
        for h in queries.headings_for_place(db.session, place)
        if policy.phase_allows(h, policy.PUBLIC)
    ]
    return PlaceSection(
        heading=_("Participatory budgets for people living here"), items=items, empty_text=_("No participatory budgets here yet.")
    )
