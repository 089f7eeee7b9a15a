"""Read-side queries for places."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.extensions import db
from app.places.models import Place


def place_or_404(code: str) -> Place:
    place = db.session.execute(select(Place).where(Place.code == code)).scalar_one_or_none()
    if place is None:
        abort(404)
    return place


def roots(session: Session) -> list[Place]:
    return list(session.execute(select(Place).where(Place.parent_id.is_(None)).order_by(Place.name)).scalars())


def descendant_ids(session: Session, place: Place) -> list[int]:
    """The place and everything below it (a recursive CTE, so one query whatever the depth)."""
    tree = select(Place.id).where(Place.id == place.id).cte("tree", recursive=True)
    tree = tree.union_all(select(Place.id).where(Place.parent_id == tree.c.id))
    return list(session.execute(select(tree.c.id)).scalars())
