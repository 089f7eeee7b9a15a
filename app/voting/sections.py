"""Lists, on each place page, the ranked votes its residents vote in (its own and its larger areas')."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from app.extensions import db
from app.places.models import Place
from app.places.sections import PlaceSection, register_section
from app.voting import queries
from app.voting.models import VoteState


@register_section
def votes_section(place: Place) -> PlaceSection:
    items = [(_("%(title)s (%(state)s)", title=v.title, state=VoteState(v.state).label), url_for("voting.show", vote_id=v.id))
             for v in queries.votes_in(db.session, place)]
    return PlaceSection(heading=_("Ranked votes for people living here"), items=items, empty_text=_("No ranked votes here yet."))
