"""The panel's workspace: its space in ``app.deliberation`` (kind ``panel``), its members' accounts, the meeting
timetable, the evidence library, and recommendations for the council's comply-or-explain response."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import services as accounts
from app.auth.models import User
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError
from app.deliberation import recommendations as recommendations_service
from app.deliberation import services as deliberation
from app.deliberation.models import Recommendation, SpaceKind, SpaceMembership, SpaceRole
from app.panels.models import Evidence, Meeting, Panel, Respondent, Status
from app.panels.services.confirmation import members

TITLE_MAX = 200


@dataclass(frozen=True)
class Invited:
    """A member who got a new account: they set its password with ``token``."""

    respondent: Respondent
    user: User
    token: str


def _join(session: Session, officer: User, panel: Panel, respondent: Respondent) -> Invited | None:
    """Link a confirmed member to their account (an existing one with the same email, or a new one) and add them
    to the space.  Returns the new account's password-setting token when one was made."""
    invited = None
    user = session.get(User, respondent.user_id) if respondent.user_id else None
    if user is None and respondent.email:
        user = accounts.find_by_email(session, respondent.email)
    if user is None:
        if not respondent.email:
            return None  # no email: the officers add them by hand once they have an account
        user = accounts.create_user(session, email=respondent.email, display_name=respondent.name or respondent.public_id,
                                    password=secrets.token_urlsafe(32), roles=[])
        started = accounts.start_password_reset(session, user.email or "")
        assert started is not None
        invited = Invited(respondent, user, started[1])
    respondent.user_id = user.id
    space = panel.space
    assert space is not None
    already = session.execute(select(SpaceMembership).where(
        SpaceMembership.space_id == space.id, SpaceMembership.user_id == user.id)).scalar_one_or_none()
    if already is None or not already.is_current(utcnow().date()):
        deliberation.add_member(session, officer, space, user.email or "", SpaceRole.MEMBER, utcnow().date(), None)
    return invited


def open_workspace(session: Session, officer: User, panel: Panel) -> list[Invited]:
    """Create the panel's space (once) and bring every confirmed member into it."""
    confirmed = [r for r in members(session, panel) if r.status == Status.CONFIRMED.value]
    if not confirmed:
        raise DomainError(_("Confirm at least one member before opening the workspace."))
    if panel.space is None:
        space = deliberation.create_space(session, officer, deliberation.SpaceData(
            name=panel.title[:120], description=panel.description[:5000], kind=SpaceKind.PANEL, is_restricted=True))
        panel.space_id = space.id
        session.flush()
        session.refresh(panel)
    invited = [i for r in confirmed if (i := _join(session, officer, panel, r)) is not None]
    audit.record(session, "panels.workspace_opened", actor=officer, obj=panel,
                 data={"space_id": panel.space_id, "members": len(confirmed), "new_accounts": len(invited)})
    return invited


def add_meeting(session: Session, officer: User, panel: Panel, title: str, starts_at: datetime | None, location: str) -> Meeting:
    title = (title or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise DomainError(_("Enter a title, in %(max)d characters or fewer", max=TITLE_MAX), field="title")
    if starts_at is None:
        raise DomainError(_("Enter when the meeting starts"), field="starts_at")
    if len(location or "") > 200:
        raise DomainError(_("Keep the place to 200 characters or fewer"), field="location")
    meeting = Meeting(panel_id=panel.id, title=title, starts_at=starts_at, location=(location or "").strip())
    session.add(meeting)
    session.flush()
    audit.record(session, "panels.meeting_added", actor=officer, obj=panel, data={"title": title, "starts_at": starts_at.isoformat()})
    return meeting


def add_evidence(session: Session, officer: User, panel: Panel, title: str, url: str, source: str, summary: str) -> Evidence:
    title, url, source = (title or "").strip(), (url or "").strip(), (source or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise DomainError(_("Enter a title, in %(max)d characters or fewer", max=TITLE_MAX), field="title")
    if url and (urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc or len(url) > 500):
        raise DomainError(_("Enter a web address starting with https:// or http://"), field="url")
    if not source or len(source) > 200:
        raise DomainError(_("Say where this comes from (who wrote or published it)"), field="source")
    if len(summary or "") > 5_000:
        raise DomainError(_("Keep the summary to 5,000 characters or fewer"), field="summary")
    item = Evidence(panel_id=panel.id, title=title, url=url or None, source=source, summary=(summary or "").strip())
    session.add(item)
    session.flush()
    audit.record(session, "panels.evidence_added", actor=officer, obj=panel, data={"title": title, "source": source, "url": url})
    return item


def meetings(session: Session, panel: Panel) -> list[Meeting]:
    return list(session.execute(select(Meeting).where(Meeting.panel_id == panel.id).order_by(Meeting.starts_at)).scalars())


def evidence(session: Session, panel: Panel) -> list[Evidence]:
    return list(session.execute(select(Evidence).where(Evidence.panel_id == panel.id).order_by(Evidence.added_at, Evidence.id)).scalars())


def recommendations(session: Session, panel: Panel) -> list[Recommendation]:
    if panel.space_id is None:
        return []
    return list(session.execute(select(Recommendation).where(Recommendation.space_id == panel.space_id)
                                .order_by(Recommendation.published_on.desc(), Recommendation.id.desc())).scalars())


def recommend(session: Session, actor: User, panel: Panel, title: str, text: str, language: str | None) -> Recommendation:
    """A member drafts a recommendation of the panel; like the guiding coalition's, it goes out to the council only
    when the share of members the space sets agree (``app.deliberation.recommendations``)."""
    if panel.space is None:
        raise DomainError(_("The panel's workspace is not open yet."))
    return recommendations_service.propose_recommendation(session, actor, panel.space, title, text, language)
