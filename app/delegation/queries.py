"""Read-side queries for delegation pages (``select()`` style)."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.delegation.models import DelegateProfile
from app.extensions import db
from app.places.models import Place
from app.proposals.models import Topic


def profile_or_404(user_id: int) -> DelegateProfile:
    profile = db.session.execute(select(DelegateProfile).where(DelegateProfile.user_id == user_id)).scalar_one_or_none()
    if profile is None or profile.user.is_deleted:
        abort(404)
    return profile


def topic_choices(session: Session) -> list[tuple[int, str]]:
    return [(t.id, t.name) for t in session.execute(select(Topic).where(Topic.is_active.is_(True)).order_by(Topic.name)).scalars()]


def place_choices(session: Session) -> list[tuple[int, str]]:
    return [(p.id, f"{p.name} ({p.kind_label})") for p in session.execute(select(Place).order_by(Place.name)).scalars()]


def delegate_choices(session: Session, exclude: int) -> list[tuple[int, str]]:
    rows = session.execute(
        select(DelegateProfile).join(User, User.id == DelegateProfile.user_id)
        .where(DelegateProfile.is_active.is_(True), User.is_deleted.is_(False), User.id != exclude)
    ).unique().scalars()
    return sorted(((p.user_id, p.shown_name) for p in rows), key=lambda c: c[1].lower())


def users_by_ids(session: Session, ids: list[int]) -> list[User]:
    found = {u.id: u for u in session.execute(select(User).where(User.id.in_(ids))).unique().scalars()}
    return [found[i] for i in ids if i in found]


def places_by_ids(session: Session, ids: list[int]) -> list[Place]:
    return list(session.execute(select(Place).where(Place.id.in_(ids))).scalars())


def topics_by_ids(session: Session, ids: list[int]) -> list[Topic]:
    return list(session.execute(select(Topic).where(Topic.id.in_(ids))).scalars())
