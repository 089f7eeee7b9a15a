"""Builders for panel tests: panels set up through the services, as an officer would, on the Cambridgeshire demo
places (import the ``cambs`` fixture from tests.factories_budgets)."""

from __future__ import annotations

import io
import random
from datetime import timedelta

from app.auth.models import Role, User
from app.core.db import utcnow
from app.extensions import db
from app.panels.demo import add_questions, address_csv, register_some
from app.panels.models import Panel
from app.panels.services import invitations, panels, registration
from app.places.models import Postcode
from tests.factories import make_user


def postcodes() -> list[str]:
    return sorted(p.postcode for p in db.session.query(Postcode).all())


def make_officer() -> User:
    return make_user(Role.OFFICER)


def make_panel(officer: User, title: str = "Test Panel") -> Panel:
    panel = panels.create_panel(db.session, officer, panels.PanelData(title, "A question.", None,
                                                                      utcnow().date() + timedelta(days=365)))
    db.session.commit()
    return panel


def invited_panel(officer: User, households: int = 120, invited: int = 80, open_registration: bool = True) -> Panel:
    """A panel with its address list, invitations drawn (seed "1234"), the demo questions and open registration."""
    panel = make_panel(officer)
    rng = random.Random(7)
    invitations.upload_addresses(db.session, officer, panel, io.StringIO(address_csv(postcodes(), households, "T", rng)))
    invitations.commit_invitations(db.session, officer, panel, invitations.LotteryPlan(invited, True, "", "dice"))
    invitations.draw_invitations(db.session, officer, panel, "1234")
    add_questions(db.session, officer, panel)
    if open_registration:
        registration.set_registration_open(db.session, officer, panel, True)
    db.session.commit()
    return panel


def fill_pool(officer: User, panel: Panel, count: int, seed: int = 11) -> None:
    register_some(db.session, officer, panel, count, random.Random(seed), f"p{panel.id}x")
    db.session.commit()
