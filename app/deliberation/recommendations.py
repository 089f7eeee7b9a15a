"""The guiding coalition's recommendations: a member drafts one, the members agree (one member, one vote, the
share the space sets), it goes out, and the council responds.

Services take the acting user explicitly, raise DomainError, flush and never commit; views commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth.models import User
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError
from app.deliberation import policy
from app.deliberation.models import (
    CouncilResponse,
    Outcome,
    Recommendation,
    RecommendationStatus,
    RecommendationVote,
    Space,
    SpaceKind,
)
from app.deliberation.services import RECOMMENDATION_MAX, TITLE_MAX, _require_text


@dataclass(frozen=True)
class Agreement:
    """Where a draft recommendation stands: one member, one vote."""

    agree: int
    disagree: int
    members: int
    required: int  # agreeing members needed: the space's share of its current members, rounded up, at least one

    @property
    def reached(self) -> bool:
        return self.agree >= self.required


def required_agreement(members: int, percent: int) -> int:
    return max(1, -(-members * percent // 100))


def agreement(session: Session, rec: Recommendation) -> Agreement:
    """Counts only the votes of people who are current members today (a member whose term ended no longer counts)."""
    current = {m.user_id for m in rec.space.memberships if m.is_current(utcnow().date())}
    votes = session.execute(select(RecommendationVote).where(RecommendationVote.recommendation_id == rec.id)).scalars()
    agree = disagree = 0
    for vote in votes:
        if vote.user_id in current:
            agree, disagree = (agree + 1, disagree) if vote.agrees else (agree, disagree + 1)
    return Agreement(agree, disagree, len(current), required_agreement(len(current), rec.space.agreement_percent))


def propose_recommendation(
    session: Session, actor: User, space: Space, title: str, text: str, language: str | None = None,
) -> Recommendation:
    """A member drafts a recommendation for the coalition or their citizens' panel; their own vote is recorded as agreeing.  It goes out
    (is published) only once enough members agree (:func:`vote_on_recommendation`)."""
    if space.kind not in (SpaceKind.COALITION.value, SpaceKind.PANEL.value):
        raise DomainError(_("Only the guiding coalition and citizens' panels publish recommendations."))
    if policy.current_membership(actor, space) is None or actor.is_suspended:
        raise DomainError(_("Only current members of “%(space)s” can propose its recommendations.", space=space.name))
    title = _require_text(title, TITLE_MAX, "title", _("Enter a title"),
                          _("The title must be %(max)d characters or fewer", max=TITLE_MAX))
    text = _require_text(text, RECOMMENDATION_MAX, "text", _("Enter the recommendation"),
                         _("The recommendation must be %(max)d characters or fewer", max=RECOMMENDATION_MAX))
    rec = Recommendation(space_id=space.id, title=title, text=text, language=language, created_by_id=actor.id,
                         status=RecommendationStatus.DRAFT.value, published_on=None)
    session.add(rec)
    session.flush()
    audit.record(session, "deliberation.recommendation_proposed", actor=actor, obj=rec, data={"title": title})
    vote_on_recommendation(session, actor, rec, True)
    return rec


def vote_on_recommendation(session: Session, member: User, rec: Recommendation, agrees: bool) -> bool:
    """Record (or change) a current member's one vote on a draft; publish it when enough members agree.  True
    when this vote published it.  The database allows one vote per member per recommendation."""
    if not rec.is_draft:
        raise DomainError(_("This recommendation has already gone out; its votes are closed."))
    if policy.current_membership(member, rec.space) is None or member.is_suspended:
        raise DomainError(_("Only current members of “%(space)s” can vote on its recommendations.", space=rec.space.name))
    updated = session.execute(
        update(RecommendationVote)
        .where(RecommendationVote.recommendation_id == rec.id, RecommendationVote.user_id == member.id)
        .values(agrees=agrees, created_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if updated.rowcount == 0:
        try:
            with session.begin_nested():
                session.add(RecommendationVote(recommendation_id=rec.id, user_id=member.id, agrees=agrees))
                session.flush()
        except IntegrityError:  # the same member's second request at the same moment
            session.execute(
                update(RecommendationVote)
                .where(RecommendationVote.recommendation_id == rec.id, RecommendationVote.user_id == member.id)
                .values(agrees=agrees)
                .execution_options(synchronize_session=False)
            )
    audit.record(session, "deliberation.recommendation_vote", actor=member, obj=rec, data={"agrees": agrees})
    state = agreement(session, rec)
    if not state.reached:
        return False
    today = utcnow().date()
    published = session.execute(
        update(Recommendation)
        .where(Recommendation.id == rec.id, Recommendation.status == RecommendationStatus.DRAFT.value)
        .values(status=RecommendationStatus.PUBLISHED.value, published_on=today)
        .execution_options(synchronize_session=False)
    )
    if published.rowcount != 1:
        return False
    session.refresh(rec)
    audit.record(session, "deliberation.recommendation_published", obj=rec,
                 data={"title": rec.title, "published_on": today.isoformat(), "agree": state.agree,
                       "disagree": state.disagree, "members": state.members, "required": state.required,
                       "agreement_percent": rec.space.agreement_percent})
    return True


def set_agreement_percent(session: Session, officer: User, space: Space, percent: int) -> None:
    if not policy.is_officer(officer):
        raise DomainError(_("Only an officer can change how a space agrees."))
    if not 1 <= percent <= 100:
        raise DomainError(_("Enter a share between 1 and 100 per cent."), field="agreement_percent")
    before = space.agreement_percent
    space.agreement_percent = percent
    session.flush()
    audit.record(session, "deliberation.agreement_percent", actor=officer, obj=space, data={"from": before, "to": percent})


def respond(
    session: Session, officer: User, rec: Recommendation, outcome: Outcome, explanation: str, responded_on: date,
) -> CouncilResponse:
    if not policy.is_officer(officer) or officer.is_suspended:
        raise DomainError(_("Only council officers can enter the council's response."))
    if rec.response is not None:
        raise DomainError(_("The council has already responded to this recommendation."))
    explanation = _require_text(explanation, RECOMMENDATION_MAX, "explanation", _("Explain the council's response"),
                                _("The explanation must be %(max)d characters or fewer", max=RECOMMENDATION_MAX))
    if rec.is_draft or rec.published_on is None:
        raise DomainError(_("This recommendation is still a draft of the coalition."))
    if responded_on < rec.published_on:
        raise DomainError(_("The response cannot be dated before the recommendation"), field="responded_on")
    response = CouncilResponse(recommendation_id=rec.id, outcome=outcome.value, explanation=explanation,
                               responded_on=responded_on, entered_by_id=officer.id)
    session.add(response)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise DomainError(_("The council has already responded to this recommendation.")) from None
    session.refresh(rec)
    audit.record(session, "deliberation.recommendation_response", actor=officer, obj=rec,
                 data={"outcome": outcome.value, "responded_on": responded_on.isoformat()})
    return response


