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


SHARES = {"gender": ["50", "48", "2"], "age_band": ["22", "25", "31", "22"],
          "district": ["21", "13", "15", "27", "24"], "climate_view": ["40", "42", "18"]}


def quota_form(size: int, method: str = "leximin", shares: dict[str, list[str]] | None = None, leeway: int = 1) -> dict[str, str]:
    data = {"size": str(size), "method": method, "leeway": str(leeway)}
    for category, values in (shares or SHARES).items():
        for i, value in enumerate(values):
            data[f"share-{category}-{i}"] = value
    return data


def drawn_panel(officer: User, pool: int = 60, size: int = 10, seed: str = "2468", lottery: int | None = None,
                ticket: int = 1) -> Panel:
    """A panel drawn through the services: invitations, ``pool`` respondents, quotas (relaxed if needed), the
    commitment, the seed and the draw (or, with ``lottery=M``, a transparent lottery and the number ``ticket``)."""
    from app.panels.models import Method
    from app.panels.services import selection

    panel = invited_panel(officer, households=pool * 2, invited=pool + 20)
    fill_pool(officer, panel, pool)
    shares = {(c, o): int(float(v) * 10) for c, values in SHARES.items()
              for (o, v) in zip([opt for q in panel.questions if q.category == c for opt in q.options], values, strict=True)}
    selection.set_quotas(db.session, officer, panel, selection.QuotaPlan(size, Method.LEXIMIN, shares, leeway=1))
    check = selection.feasibility(db.session, panel)
    if check is not None and not check.ok:
        selection.apply_relaxations(db.session, officer, panel)
    selection.commit(db.session, officer, panel, "Dice", lottery)
    if lottery is None:
        selection.record_seed_and_draw(db.session, officer, panel, seed)
    else:
        selection.record_ticket_and_draw(db.session, officer, panel, ticket)
    db.session.commit()
    return panel


def press(browser, page: str, action: str):  # type: ignore[no-untyped-def]
    """Press a one-button form: open ``page`` (which carries the form) and post to ``action`` with its token."""
    from tests.conftest import csrf_from

    html = browser.get(page).get_data(as_text=True)
    return browser.client.post(action, data={"csrf_token": csrf_from(html)}, follow_redirects=True)
