"""Proposal rules: submission, drafts, the lifecycle state machine, officer review, "you said, we did"
updates, supports, topics and assisted entry.

Services take the acting user explicitly, raise DomainError, flush and never commit; views commit.
"""

from __future__ import annotations

import enum
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.auth.confirmation import verify_in_person
from app.auth.models import User
from app.auth.policy import participation_refusal
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError
from app.places.models import Place
from app.proposals.models import (
    Channel,
    OfflineContributor,
    Proposal,
    ProposalEvent,
    ProposalState,
    Support,
    Topic,
)
from app.proposals.money import MAX_PENCE
from app.proposals.policy import REVIEW_STATES, SUPPORTABLE_STATES, UPDATE_STATES, is_officer, is_owner
from app.proposals.thresholds import Threshold

# Limits on what people type (forms check them first; the services check again for other callers).
MAX_TITLE = 200
MAX_TEXT = 10_000
MAX_REASON = 2_000
MAX_SERVICE = 120
MAX_TOPIC = 120
MAX_CONTRIBUTOR_NAME = 120
MAX_CONTACT_NOTE = 200

class Mover(enum.StrEnum):
    """Who may make a transition."""

    OWNER = "owner"  # the author, or the officer who entered it on their behalf
    OFFICER = "officer"  # an officer or administrator, or the system (actor None: CLI, budget results)


S = ProposalState
# from-state → {to-state: who may move it}.  Anything not listed is refused.
ALLOWED_TRANSITIONS: dict[ProposalState, dict[ProposalState, Mover]] = {
    S.DRAFT: {S.PUBLISHED: Mover.OWNER},
    S.PUBLISHED: {S.UNDER_REVIEW: Mover.OFFICER},
    S.UNDER_REVIEW: {S.SHORTLISTED: Mover.OFFICER, S.DECLINED: Mover.OFFICER},
    S.SHORTLISTED: {S.ON_BALLOT: Mover.OFFICER},
    S.ON_BALLOT: {S.SELECTED: Mover.OFFICER, S.NOT_SELECTED: Mover.OFFICER},
    S.SELECTED: {S.IN_DELIVERY: Mover.OFFICER},
    S.IN_DELIVERY: {S.DELIVERED: Mover.OFFICER},
    S.DECLINED: {},
    S.NOT_SELECTED: {},
    S.DELIVERED: {},
}


def is_allowed(from_state: ProposalState | str, to_state: ProposalState | str) -> bool:
    return ProposalState(to_state) in ALLOWED_TRANSITIONS.get(ProposalState(from_state), {})


def may_move(actor: Any, proposal: Proposal, to_state: ProposalState) -> bool:
    """Would ``transition`` accept this actor for this step (ignoring the step's own requirements)?"""
    mover = ALLOWED_TRANSITIONS.get(proposal.state_enum, {}).get(to_state)
    if mover is Mover.OWNER:
        return is_owner(actor, proposal)
    if mover is Mover.OFFICER:
        return actor is None or is_officer(actor)
    return False


def next_states(actor: Any, proposal: Proposal) -> list[ProposalState]:
    """The states this actor may move the proposal to now, in lifecycle order."""
    return [to for to in ALLOWED_TRANSITIONS.get(proposal.state_enum, {}) if may_move(actor, proposal, to)]


# --- submission and drafts -------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposalData:
    title: str
    summary: str
    need: str
    solution: str
    place_id: int
    topic_ids: list[int] = field(default_factory=list)
    cost_estimate_pence: int | None = None
    offer_of_help: str | None = None
    language: str | None = None


def _check_length(value: str | None, limit: int, field_name: str, label: str) -> None:
    if value is not None and len(value) > limit:
        raise DomainError(_("%(label)s must be %(limit)d characters or fewer.", label=label, limit=limit), field=field_name)


def _validate(session: Session, data: ProposalData) -> tuple[Place, list[Topic]]:
    if not data.title.strip():
        raise DomainError(_("Enter a title."), field="title")
    if not data.summary.strip():
        raise DomainError(_("Enter a summary."), field="summary")
    _check_length(data.title, MAX_TITLE, "title", _("The title"))
    _check_length(data.summary, MAX_TEXT, "summary", _("The summary"))
    _check_length(data.need, MAX_TEXT, "need", _("The need"))
    _check_length(data.solution, MAX_TEXT, "solution", _("The proposed solution"))
    _check_length(data.offer_of_help, MAX_TEXT, "offer_of_help", _("What you can contribute"))
    if data.cost_estimate_pence is not None and not 0 <= data.cost_estimate_pence <= MAX_PENCE:
        raise DomainError(_("Enter a cost estimate between £0 and £100,000,000."), field="cost_estimate")
    place = session.get(Place, data.place_id)
    if place is None:
        raise DomainError(_("Choose the place your proposal is about."), field="place_id")
    topics: list[Topic] = []
    if data.topic_ids:
        topics = list(session.execute(select(Topic).where(Topic.id.in_(data.topic_ids))).scalars())
        if len(topics) != len(set(data.topic_ids)) or any(not t.is_active for t in topics):
            raise DomainError(_("Choose topics from the list."), field="topic_ids")
    return place, topics


def _apply(proposal: Proposal, data: ProposalData, place: Place, topics: list[Topic]) -> None:
    proposal.title = data.title
    proposal.summary = data.summary
    proposal.need = data.need
    proposal.solution = data.solution
    proposal.place = place
    proposal.topics = sorted(topics, key=lambda t: t.name)
    proposal.cost_estimate_pence = data.cost_estimate_pence
    proposal.offer_of_help = data.offer_of_help or None
    if data.language:
        proposal.language = data.language


def create_proposal(session: Session, author: User, data: ProposalData) -> Proposal:
    """A resident's new proposal, saved as a private draft."""
    place, topics = _validate(session, data)
    proposal = Proposal(author_id=author.id, channel=Channel.ONLINE.value, state=ProposalState.DRAFT.value)
    _apply(proposal, data, place, topics)
    session.add(proposal)
    session.flush()
    audit.record(session, "proposal.created", actor=author, obj=proposal)
    return proposal


def update_draft(session: Session, actor: User, proposal: Proposal, data: ProposalData) -> None:
    if proposal.state != ProposalState.DRAFT.value:
        raise DomainError(_("Only a draft can be changed. This proposal has been published."))
    if not is_owner(actor, proposal):
        raise DomainError(_("Only the author can change this draft."))
    place, topics = _validate(session, data)
    _apply(proposal, data, place, topics)
    proposal.updated_at = utcnow()
    session.flush()


@dataclass(frozen=True)
class OfflineContributorData:
    name: str
    contact_note: str | None
    place_id: int | None


def assisted_entry(
    session: Session,
    officer: User,
    data: ProposalData,
    channel: Channel | str,
    *,
    for_user: User | None = None,
    offline: OfflineContributorData | None = None,
    publish: bool = True,
) -> Proposal:
    """An officer records a proposal received on paper, by phone or in person, on behalf of an existing
    account (``for_user``) or a named person without one (``offline``)."""
    if not is_officer(officer):
        raise DomainError(_("Only an officer can enter a proposal on someone's behalf."))
    try:
        channel = Channel(channel)
    except ValueError:
        raise DomainError(_("Choose how the proposal reached you."), field="channel") from None
    if channel is Channel.ONLINE:
        raise DomainError(_("Choose how the proposal reached you: on paper, by phone or in person."), field="channel")
    if (for_user is None) == (offline is None):
        raise DomainError(_("Say whose proposal this is: an account, or a person without one."), field="contributor")
    place, topics = _validate(session, data)
    proposal = Proposal(channel=channel.value, state=ProposalState.DRAFT.value, entered_by_id=officer.id)
    if for_user is not None:
        if for_user.is_deleted:
            raise DomainError(_("That account has been deleted."), field="email")
        proposal.author_id = for_user.id
        verify_in_person(session, officer, for_user)  # the officer met or spoke to them
    else:
        assert offline is not None
        name = offline.name.strip()
        if not name:
            raise DomainError(_("Enter the name of the person who made the proposal."), field="contributor_name")
        _check_length(name, MAX_CONTRIBUTOR_NAME, "contributor_name", _("The name"))
        _check_length(offline.contact_note, MAX_CONTACT_NOTE, "contact_note", _("The contact note"))
        if offline.place_id is not None and session.get(Place, offline.place_id) is None:
            raise DomainError(_("Choose a place from the list."), field="contributor_place_id")
        contributor = OfflineContributor(name=name, contact_note=offline.contact_note or None, place_id=offline.place_id)
        session.add(contributor)
        proposal.offline_contributor = contributor
    _apply(proposal, data, place, topics)
    session.add(proposal)
    session.flush()
    audit.record(
        session,
        "proposal.assisted_entry",
        actor=officer,
        obj=proposal,
        data={
            "channel": channel.value,
            "author_id": proposal.author_id,
            "offline_contributor_id": proposal.offline_contributor_id,
        },
    )
    if publish:
        transition(session, officer, proposal, ProposalState.PUBLISHED)
    return proposal


# --- the lifecycle --------------------------------------------------------------------------------

# Who else hears of a new timeline entry (a transition or an update): features that tell people register here
# (the deliberation feature notifies the author and supporters), so this feature imports none of them.
EventListener = Callable[[Session, User | None, ProposalEvent], None]
_EVENT_LISTENERS: list[EventListener] = []


def register_event_listener(listener: EventListener) -> EventListener:
    _EVENT_LISTENERS.append(listener)
    return listener


def _announce(session: Session, actor: User | None, event: ProposalEvent) -> None:
    for listener in _EVENT_LISTENERS:
        listener(session, actor, event)



def transition(
    session: Session, actor: User | None, proposal: Proposal, to_state: ProposalState | str, reason: str | None = None
) -> ProposalEvent:
    """Move ``proposal`` to ``to_state`` if ALLOWED_TRANSITIONS lets ``actor`` do so; refuse with DomainError
    otherwise.  ``actor`` None is the system (the CLI, or a budget's results) and may make officer moves.

    The state is changed with a compare-and-set UPDATE, so two people acting at once cannot both move it.
    Every move goes to the public timeline (ProposalEvent) and to the audit log (``proposal.transition``).
    """
    try:
        to = ProposalState(to_state)
    except ValueError:
        raise DomainError(_("Choose a state from the list."), field="to_state") from None
    current = proposal.state_enum
    mover = ALLOWED_TRANSITIONS.get(current, {}).get(to)
    if mover is None:
        raise DomainError(
            _(
                "A proposal that is “%(current)s” cannot be moved to “%(to)s”.",
                current=current.label,
                to=to.label,
            ),
            field="to_state",
        )
    if mover is Mover.OWNER and not is_owner(actor, proposal):
        raise DomainError(_("Only the author can publish this proposal."), field="to_state")
    if mover is Mover.OFFICER and actor is not None and not is_officer(actor):
        raise DomainError(_("Only an officer can move a proposal to “%(to)s”.", to=to.label), field="to_state")
    reason = (reason or "").strip() or None
    if reason is not None:
        _check_length(reason, MAX_REASON, "reason", _("The reason"))
    if to is ProposalState.DECLINED and reason is None:
        raise DomainError(_("Give the reason for declining: it is shown to everyone."), field="reason")
    if to is ProposalState.SHORTLISTED and (
        proposal.costing_pence is None or not proposal.feasibility or not proposal.responsible_service
    ):
        raise DomainError(
            _("Record the review first (feasibility, costing and responsible service): a shortlisted proposal needs them."),
            field="to_state",
        )
    session.flush()
    now = utcnow()
    moved = session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id, Proposal.state == current.value)
        .values(state=to.value, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        session.refresh(proposal)
        raise DomainError(_("Someone else changed this proposal at the same time. Check its state and try again."))
    set_committed_value(proposal, "state", to.value)
    set_committed_value(proposal, "updated_at", now)
    if to is ProposalState.PUBLISHED:
        proposal.published_at = now
    if to is ProposalState.DECLINED:
        proposal.decline_reason = reason
    event = ProposalEvent(
        proposal_id=proposal.id,
        kind="transition",
        from_state=current.value,
        to_state=to.value,
        text=reason,
        happened_on=now,
        actor_id=getattr(actor, "id", None),
    )
    session.add(event)
    session.flush()
    audit.record(
        session, "proposal.transition", actor=actor, obj=proposal, data={"from": current.value, "to": to.value, "reason": reason}
    )
    _announce(session, actor, event)
    return event


def record_review(
    session: Session,
    officer: User,
    proposal: Proposal,
    *,
    feasibility: str,
    costing_pence: int | None,
    responsible_service: str,
) -> None:
    """The officer's review: feasibility, a costing (pence) and the responsible service."""
    if not is_officer(officer):
        raise DomainError(_("Only an officer can review a proposal."))
    if proposal.state_enum not in REVIEW_STATES:
        raise DomainError(_("A review can be recorded only while a proposal is under review or shortlisted."))
    feasibility = (feasibility or "").strip()
    responsible_service = (responsible_service or "").strip()
    if not feasibility:
        raise DomainError(_("Describe how feasible the proposal is."), field="feasibility")
    _check_length(feasibility, MAX_TEXT, "feasibility", _("The feasibility assessment"))
    if costing_pence is None:
        raise DomainError(_("Enter the costing in pounds."), field="costing")
    if not 0 <= costing_pence <= MAX_PENCE:
        raise DomainError(_("Enter a costing between £0 and £100,000,000."), field="costing")
    if not responsible_service:
        raise DomainError(_("Enter the service responsible for it."), field="responsible_service")
    _check_length(responsible_service, MAX_SERVICE, "responsible_service", _("The responsible service"))
    before = {"feasibility": proposal.feasibility, "costing_pence": proposal.costing_pence, "service": proposal.responsible_service}
    proposal.feasibility = feasibility
    proposal.costing_pence = costing_pence
    proposal.responsible_service = responsible_service
    proposal.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        "proposal.reviewed",
        actor=officer,
        obj=proposal,
        data={"before": before, "costing_pence": costing_pence, "service": responsible_service},
    )


def post_update(session: Session, officer: User, proposal: Proposal, text: str, happened_on: date) -> ProposalEvent:
    """A "you said, we did" update on the timeline, from selection onwards."""
    if not is_officer(officer):
        raise DomainError(_("Only an officer can post an update."))
    if proposal.state_enum not in UPDATE_STATES:
        raise DomainError(_("Updates can be posted once a proposal has been selected."))
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Write what has been done."), field="text")
    _check_length(text, MAX_TEXT, "text", _("The update"))
    if happened_on > utcnow().date():
        raise DomainError(_("The date must be today or in the past."), field="happened_on")
    event = ProposalEvent(
        proposal_id=proposal.id,
        kind="update",
        text=text,
        happened_on=datetime.combine(happened_on, datetime.min.time()),
        actor_id=officer.id,
    )
    session.add(event)
    proposal.updated_at = utcnow()
    session.flush()
    audit.record(session, "proposal.update_posted", actor=officer, obj=proposal, data={"event_id": event.id, "on": happened_on.isoformat()})
    _announce(session, officer, event)
    return event


# --- supports -------------------------------------------------------------------------------------


def support(session: Session, user: User, proposal: Proposal, threshold: Threshold | None = None) -> bool:
    """Add ``user``'s support; False (and no error) when they had already supported it.

    ``threshold`` (from :func:`app.proposals.thresholds.threshold_for`; None = none applies) is the number of
    supports at which a published proposal is flagged for officer review.

    There is no "already supported?" read first: the insert runs in a SAVEPOINT and the database's unique
    constraint decides, so two requests at once by the same person make one row and neither fails.  The
    count is changed with one atomic UPDATE … SET support_count = support_count + 1, only when a row was added.
    """
    if proposal.state_enum not in SUPPORTABLE_STATES:
        raise DomainError(_("This proposal cannot be supported at this stage."))
    if proposal.hidden_at is not None:
        raise DomainError(_("This proposal has been hidden by a moderator and cannot be supported."))
    refusal = participation_refusal(user)
    if refusal is not None:
        raise DomainError(refusal)
    try:
        with session.begin_nested():
            session.execute(insert(Support).values(proposal_id=proposal.id, user_id=user.id, created_at=utcnow()))
    except IntegrityError:
        return False
    count = session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id)
        .values(support_count=Proposal.support_count + 1, updated_at=Proposal.updated_at)  # a support is not an edit
        .returning(Proposal.support_count)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    set_committed_value(proposal, "support_count", count)
    if threshold is not None and count >= threshold.supports and proposal.state == ProposalState.PUBLISHED.value:
        now = utcnow()
        flagged = session.execute(
            update(Proposal)
            .where(Proposal.id == proposal.id, Proposal.flagged_for_review_at.is_(None))
            .values(flagged_for_review_at=now, updated_at=Proposal.updated_at)
            .execution_options(synchronize_session=False)
        )
        if flagged.rowcount == 1:
            set_committed_value(proposal, "flagged_for_review_at", now)
            audit.record(
                session,
                "proposal.flagged_for_review",
                obj=proposal,
                data={"supports": count, "threshold": threshold.supports, "set_by": threshold.source or "site"},
            )
    return True


def withdraw_support(session: Session, user: User, proposal: Proposal) -> bool:
    """Remove ``user``'s support; False when there was none."""
    removed = session.execute(
        delete(Support)
        .where(Support.proposal_id == proposal.id, Support.user_id == user.id)
        .execution_options(synchronize_session=False)
    )
    if removed.rowcount == 0:
        return False
    count = session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id)
        .values(support_count=Proposal.support_count - 1, updated_at=Proposal.updated_at)  # a support is not an edit
        .returning(Proposal.support_count)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    set_committed_value(proposal, "support_count", count)
    return True


def recount_supports(session: Session, proposal: Proposal) -> int:
    """Set the cached count from the rows (a repair tool; support and withdraw keep it exact)."""
    count = session.execute(select(func.count(Support.id)).where(Support.proposal_id == proposal.id)).scalar_one()
    proposal.support_count = count
    session.flush()
    return int(count)


def has_supported(session: Session, user: Any, proposal: Proposal) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return (
        session.execute(
            select(Support.id).where(Support.proposal_id == proposal.id, Support.user_id == user.id)
        ).first()
        is not None
    )


# --- topics ---------------------------------------------------------------------------------------


def slugify(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:50] or "topic"


def _topic_name(session: Session, name: str, exclude_id: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Enter the topic's name."), field="name")
    _check_length(name, MAX_TOPIC, "name", _("The name"))
    clash = session.execute(
        select(Topic.id).where(func.lower(Topic.name) == name.lower(), Topic.id != (exclude_id or 0))
    ).first()
    if clash is not None:
        raise DomainError(_("There is already a topic with that name."), field="name")
    return name


def _translations(names: dict[str, str] | None) -> str:
    clean = {}
    for locale, name in (names or {}).items():
        name = (name or "").strip()
        if name:
            _check_length(name, MAX_TOPIC, f"name_{locale}", _("The name"))
            clean[locale] = name
    return json.dumps(clean, ensure_ascii=False, sort_keys=True)


def create_topic(
    session: Session, officer: User | None, name: str, translations: dict[str, str] | None = None
) -> Topic:
    if officer is not None and not is_officer(officer):
        raise DomainError(_("Only an officer can manage topics."))
    name = _topic_name(session, name)
    base = slugify(name)
    slug, n = base, 1
    while session.execute(select(Topic.id).where(Topic.slug == slug)).first() is not None:
        n += 1
        slug = f"{base}-{n}"
    topic = Topic(name=name, slug=slug, is_active=True, name_translations=_translations(translations))
    try:
        with session.begin_nested():
            session.add(topic)
            session.flush()
    except IntegrityError:
        raise DomainError(_("There is already a topic with that name."), field="name") from None
    audit.record(session, "topic.created", actor=officer or "cli", obj=topic, data={"name": name})
    return topic


def update_topic(
    session: Session, officer: User, topic: Topic, name: str, is_active: bool,
    translations: dict[str, str] | None = None,
) -> None:
    """Rename and/or (de)activate.  A deactivated topic stays on the proposals that have it but can no longer
    be chosen for new ones."""
    if not is_officer(officer):
        raise DomainError(_("Only an officer can manage topics."))
    name = _topic_name(session, name, exclude_id=topic.id)
    data = {"from": topic.name, "to": name, "was_active": topic.is_active, "is_active": is_active}
    topic.name = name
    topic.is_active = is_active
    if translations is not None:
        data["translations"] = topic.name_translations = _translations(translations)
    session.flush()
    audit.record(session, "topic.updated", actor=officer, obj=topic, data=data)
