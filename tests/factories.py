"""Test data builders that go through the services, as real data does."""

from __future__ import annotations

import itertools

from app.auth import services as accounts
from app.auth.models import Role, User
from app.extensions import db

_seq = itertools.count(1)
PASSWORD = "correct horse battery"


def make_user(*roles: Role, postcode: str | None = None, name: str | None = None) -> User:
    n = next(_seq)
    user = accounts.create_user(
        db.session, email=f"user{n}@example.org", display_name=name or f"User {n}",
        password=PASSWORD, roles=list(roles), postcode=postcode,
    )
    db.session.commit()
    return user
