"""The demo tells a believable story with room to act (issue 13, item 16), through ``flask demo seed``."""

from __future__ import annotations

from sqlalchemy import func, select

from app.auth.models import User
from app.deliberation.models import Notification
from app.extensions import db
from app.proposals.models import Proposal, Support


def _count(stmt) -> int:  # type: ignore[no-untyped-def]
    return db.session.execute(stmt).scalar_one()


def test_the_seed_command_tells_who_is_on_the_coalition_and_leaves_room_to_act(app):
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    line = next(ln for ln in result.output.splitlines() if ln.strip().startswith("priya@demo.example.org"))
    assert "Cambridgeshire Guiding Coalition" in line
    sarah = next(ln for ln in result.output.splitlines() if ln.strip().startswith("sarah@demo.example.org"))
    assert "Guiding Coalition" not in sarah and "(facilitator)" in sarah  # she facilitates the climate panel
    priya = db.session.execute(select(User).where(User.email == "priya@demo.example.org")).scalar_one()
    proposals = _count(select(func.count(Proposal.id)))
    supports = _count(select(func.count(Support.id)).where(Support.user_id == priya.id))
    assert proposals >= 20 and supports <= 2  # not 19 of 21
    unread = _count(select(func.count(Notification.id)).where(Notification.user_id == priya.id,
                                                             Notification.read_at.is_(None)))
    assert 0 < unread <= 3  # not 65
    # proposals still collect support from neighbours
    assert _count(select(func.count(Support.id))) >= 40
    again = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert again.exit_code == 0
    assert _count(select(func.count(Support.id)).where(Support.user_id == priya.id)) == supports
