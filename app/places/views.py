"""Place pages: the hierarchy and what happens in each place."""

from __future__ import annotations

from flask import render_template

from app.core.permissions import public
from app.extensions import db
from app.places import bp, queries
from app.places.sections import sections_for


@bp.route("/")
@public
def index() -> str:
    return render_template("places/index.html", roots=queries.roots(db.session))


@bp.route("/<code>")
@public
def show(code: str) -> str:
    place = queries.place_or_404(code)
    return render_template("places/show.html", place=place, sections=sections_for(place))
