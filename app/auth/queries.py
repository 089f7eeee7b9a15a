"""Read-side queries for accounts."""

from __future__ import annotations

from flask import abort
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload

from app.auth.models import User
from app.extensions import db
from app.places.models import Place


def signed_in_user(user_id: int) -> Select[tuple[User]]:
    """The signed-in account as every request loads it: in one statement, with its roles and its home area up
    to the county (the policies ask for both on most pages; loaded lazily they cost four more round trips)."""
    home = joinedload(User.home_place)
    return (select(User).where(User.id == user_id)
            .options(joinedload(User.role_rows), home.joinedload(Place.parent).joinedload(Place.parent).joinedload(Place.parent)))


def user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def search_users(q: str, page: int, per_page: int = 25) -> Pagination:
    stmt = select(User).where(User.is_deleted.is_(False)).order_by(User.display_name, User.id)
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(User.email.ilike(like), User.display_name.ilike(like)))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def areas_to_confirm() -> list[User]:
    """Residents whose postcode was not in the directory and who chose their ward: an officer confirms it."""
    return list(db.session.execute(
        select(User).where(User.is_area_unconfirmed.is_(True), User.is_deleted.is_(False)).order_by(User.created_at)
    ).scalars())


def names_by_id(ids: set[int]) -> dict[int, User]:
    """Accounts by id, for pages that show officers who did what (the audit log stores only ``user:N``)."""
    if not ids:
        return {}
    return {u.id: u for u in db.session.execute(select(User).where(User.id.in_(ids))).scalars()}
