"""Declarative base with a constraint naming convention (so Alembic can name and drop constraints) and helpers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Timezone-aware now in UTC; stored as naive UTC so SQLite and PostgreSQL agree."""
    return datetime.now(UTC).replace(tzinfo=None)


def insert_new(session: Session, table: Any) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` for the session's database (PostgreSQL or SQLite): with
    ``.returning(...)`` it answers no row when a unique constraint already holds the values, without an error
    and so without the SAVEPOINT a failed INSERT needs (two round trips fewer).  On PostgreSQL it waits for a
    concurrent transaction inserting the same key, and answers no row only once that one has committed."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing()


def commit_keeping_loaded(session: Session) -> None:
    """Commit without expiring what the session has loaded, for a view that renders a page from the objects it
    has just used (the receipt after a cast): the default expiry would load the user, the heading or vote and
    its process again, one statement each, for values this transaction did not change."""
    real = session() if isinstance(session, scoped_session) else session  # Flask-SQLAlchemy's db.session is scoped
    expire = real.expire_on_commit
    real.expire_on_commit = False
    try:
        real.commit()
    finally:
        real.expire_on_commit = expire
