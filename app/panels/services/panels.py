"""Creating and editing a panel, and the officers who run it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth import services as accounts
from app.auth.models import User
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError
from app.panels import policy
from app.panels.models import Panel, PanelOfficer
from app.places.models import Place

TITLE_MAX = 200
DESCRIPTION_MAX = 5_000


@dataclass(frozen=True)
class PanelData:
    title: str
    description: str
    place: Place | None
    retention_until: date | None


def _check(data: PanelData) -> tuple[str, date]:
    title = (data.title or "").strip()
    if not title:
        raise DomainError(_("Enter a title for the panel"), field="title")
    if len(title) > TITLE_MAX:
        raise DomainError(_("The title must be %(max)d characters or fewer", max=TITLE_MAX), field="title")
    if len(data.description or "") > DESCRIPTION_MAX:
        raise DomainError(_("The description must be 5,000 characters or fewer"), field="description")
    if data.retention_until is None:
        raise DomainError(_("Enter the date when the panel's personal data will be deleted"), field="retention_until")
    if data.retention_until <= utcnow().date():
        raise DomainError(_("The deletion date must be in the future"), field="retention_until")
    return title, data.retention_until


def create_panel(session: Session, officer: User, data: PanelData) -> Panel:
    if not policy.is_officer(officer):
        raise DomainError(_("Only council officers can create citizens' panels."))
    title, retention = _check(data)
    panel = Panel(title=title, description=data.description or "", place=data.place, retention_until=retention,
                  created_by_id=officer.id)
    session.add(panel)
    session.flush()
    session.add(PanelOfficer(panel_id=panel.id, user_id=officer.id))
    session.flush()
    audit.record(session, "panels.created", actor=officer, obj=panel,
                 data={"title": title, "retention_until": retention.isoformat()})
    return panel


def update_panel(session: Session, officer: User, panel: Panel, data: PanelData) -> None:
    title, retention = _check(data)
    before = {"title": panel.title, "retention_until": panel.retention_until.isoformat()}
    panel.title, panel.description, panel.place, panel.retention_until = title, data.description or "", data.place, retention
    session.flush()
    audit.record(session, "panels.updated", actor=officer, obj=panel,
                 data={"before": before, "after": {"title": title, "retention_until": retention.isoformat()}})


def add_officer(session: Session, officer: User, panel: Panel, email: str) -> PanelOfficer:
    user = accounts.find_by_email(session, email or "")
    if user is None or user.is_deleted:
        raise DomainError(_("There is no account with that email address."), field="email")
    if not policy.is_officer(user):
        raise DomainError(_("Only council officers can run a panel."), field="email")
    row = PanelOfficer(panel_id=panel.id, user_id=user.id)
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise DomainError(_("%(name)s already runs this panel.", name=user.public_name), field="email") from None
    session.refresh(panel)
    audit.record(session, "panels.officer_added", actor=officer, obj=panel, data={"user_id": user.id})
    return row
