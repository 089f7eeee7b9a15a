"""Delegation rules: offering to be a delegate and withdrawing, group accounts, making and revoking
delegations (ranked backups, depth cap), the history, notification opt-ins, and what a delegate carries.

Services take the acting user explicitly, raise DomainError, flush and never commit; views commit.  Every
change is kept in ``delegation_events`` and recorded in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth.models import User
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError
from app.delegation import notices
from app.delegation.models import (
    MAX_BACKUPS,
    MAX_DEPTH_CHOICES,
    DelegateProfile,
    Delegation,
    DelegationEvent,
    DelegationNoticePrefs,
    EventKind,
    ScopeKind,
)
from app.delegation.resolution import BallotScope, Graph, live_graph, resolve
from app.places.models import Place
from app.proposals.models import Topic

MAX_STATEMENT = 5_000
MAX_GROUP_NAME = 200


# ------------------------------------------------------------------------------------------------ profiles


@dataclass(frozen=True)
class ProfileData:
    statement: str
    topics: list[Topic] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    accepts_disclosure: bool = False
    name_in_results: bool = False
    language: str | None = None


def profile_of(session: Session, user: Any) -> DelegateProfile | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return session.execute(select(DelegateProfile).where(DelegateProfile.user_id == user.id)).scalar_one_or_none()


def active_profile(session: Session, user_id: int) -> DelegateProfile | None:
    return session.execute(
        select(DelegateProfile).where(DelegateProfile.user_id == user_id, DelegateProfile.is_active.is_(True))
    ).scalar_one_or_none()


def offer(session: Session, user: User, data: ProfileData) -> DelegateProfile:
    """Offer to be a delegate (or update the offer).  The acceptance of disclosure is required."""
    if getattr(user, "is_suspended", False):
        raise DomainError(_("Your account is suspended, so you cannot be a delegate."))
    statement = (data.statement or "").strip()
    if not statement:
        raise DomainError(_("Write a statement: tell people what you stand for and how you will vote."), field="statement")
    if len(statement) > MAX_STATEMENT:
        raise DomainError(_("Keep the statement to %(max)d characters or fewer.", max=MAX_STATEMENT), field="statement")
    if not data.accepts_disclosure:
        raise DomainError(
            _("To be a delegate you must accept that the people who delegate to you may see how you voted on matters they delegated to you."),
            field="accepts_disclosure",
        )
    profile = profile_of(session, user)
    created = profile is None or not profile.is_active
    if profile is None:
        profile = DelegateProfile(user_id=user.id)
        session.add(profile)
    profile.statement = statement
    profile.language = data.language
    profile.accepts_disclosure = True
    profile.name_in_results = data.name_in_results
    profile.topics = list(data.topics)
    profile.places = list(data.places)
    profile.is_active = True
    profile.withdrawn_at = None
    session.flush()
    audit.record(session, "delegation.profile_offered" if created else "delegation.profile_updated", actor=user, obj=profile,
                 data={"topics": [t.id for t in data.topics], "places": [p.id for p in data.places],
                       "name_in_results": data.name_in_results})
    return profile


def withdraw(session: Session, user: User) -> int:
    """Stop being a delegate: every delegation to the member ends (kept in the history) and the delegators who
    opted in are told.  Returns how many delegations ended."""
    profile = profile_of(session, user)
    if profile is None or not profile.is_active:
        raise DomainError(_("You are not a delegate."))
    rows = list(session.execute(select(Delegation).where(Delegation.delegate_id == user.id).order_by(Delegation.id)).scalars())
    events = [_event(d, EventKind.DELEGATE_WITHDREW, user) for d in rows]
    session.add_all(events)
    session.execute(delete(Delegation).where(Delegation.delegate_id == user.id))
    profile.is_active = False
    profile.withdrawn_at = utcnow()
    session.flush()
    audit.record(session, "delegation.profile_withdrawn", actor=user, obj=profile, data={"delegations_ended": len(rows)})
    if events:
        notices.delegate_stopped(session, events[0], sorted({e.delegator_id for e in events}))
    return len(rows)


def account_deleted(session: Session, user: User) -> None:
    """A member deleted their account: their offer to be a delegate is withdrawn (delegations to them end, as on
    withdrawal, and its statement, which is their personal data, is wiped) and their own delegations end.  The
    history keeps the events, under a former member."""
    profile = profile_of(session, user)
    if profile is not None and profile.is_active:
        withdraw(session, user)
    if profile is not None:
        profile.statement = ""
        profile.topics.clear()
        profile.places.clear()
    own = list(session.execute(select(Delegation).where(Delegation.delegator_id == user.id)).scalars())
    if own:
        session.add_all([_event(d, EventKind.REVOKED, user) for d in own])
        session.execute(delete(Delegation).where(Delegation.delegator_id == user.id))
        audit.record(session, "delegation.revoked", actor=user, object_type="users", object_id=user.id,
                     data={"reason": "account deleted", "delegates": [d.delegate_id for d in own]})
    session.flush()


def set_group(session: Session, actor: User, profile: DelegateProfile, is_group: bool, group_name: str) -> None:
    """Mark a delegate account as run by a registered community group's officers (officers and administrators)."""
    name = (group_name or "").strip()
    if is_group and not name:
        raise DomainError(_("Enter the group's registered name."), field="group_name")
    if len(name) > MAX_GROUP_NAME:
        raise DomainError(_("Keep the name to %(max)d characters or fewer.", max=MAX_GROUP_NAME), field="group_name")
    before = {"is_group": profile.is_group, "group_name": profile.group_name}
    profile.is_group = is_group
    profile.group_name = name if is_group else None
    profile.group_set_by_id = actor.id
    session.flush()
    audit.record(session, "delegation.group_set", actor=actor, obj=profile,
                 data={"before": before, "after": {"is_group": is_group, "group_name": profile.group_name}})


def delegates(session: Session) -> list[DelegateProfile]:
    return list(session.execute(
        select(DelegateProfile).join(User, User.id == DelegateProfile.user_id)
        .where(DelegateProfile.is_active.is_(True), User.is_deleted.is_(False)).order_by(DelegateProfile.id)
    ).unique().scalars())


# ------------------------------------------------------------------------------------------------ delegations


@dataclass(frozen=True)
class Scope:
    kind: ScopeKind
    topic: Topic | None = None
    place: Place | None = None

    @property
    def key(self) -> int:
        if self.kind is ScopeKind.TOPIC:
            return self.topic.id if self.topic else 0
        if self.kind is ScopeKind.PLACE:
            return self.place.id if self.place else 0
        return 0


def _event(d: Delegation, kind: EventKind, actor: Any) -> DelegationEvent:
    return DelegationEvent(delegator_id=d.delegator_id, delegate_id=d.delegate_id, kind=kind.value, scope_kind=d.scope_kind,
                           scope_key=d.scope_key, rank=d.rank, max_depth=d.max_depth, actor_id=getattr(actor, "id", None),
                           created_at=utcnow())


def _rows_in(session: Session, member: User, kind: ScopeKind, key: int) -> list[Delegation]:
    return list(session.execute(
        select(Delegation).where(Delegation.delegator_id == member.id, Delegation.scope_kind == kind.value,
                                 Delegation.scope_key == key).order_by(Delegation.rank)
    ).scalars())


def set_delegation(
    session: Session, member: User, scope: Scope, chosen: list[User], max_depth: int | None = None, show_my_name: bool = False
) -> list[Delegation]:
    """Delegate ``member``'s vote in ``scope`` to ``chosen`` (first choice, then up to two backups), replacing
    what they had in that scope.  Only active delegates can receive; nobody delegates to themself."""
    if getattr(member, "is_suspended", False):
        raise DomainError(_("Your account is suspended, so you cannot delegate."))
    if scope.kind is ScopeKind.TOPIC and scope.topic is None:
        raise DomainError(_("Choose a topic."), field="topic")
    if scope.kind is ScopeKind.PLACE and scope.place is None:
        raise DomainError(_("Choose a place."), field="place")
    if not chosen:
        raise DomainError(_("Choose a delegate."), field="delegate1")
    if len(chosen) > MAX_BACKUPS:
        raise DomainError(_("Choose at most %(max)d delegates.", max=MAX_BACKUPS))
    if len({u.id for u in chosen}) != len(chosen):
        raise DomainError(_("Choose each delegate only once."))
    for rank, user in enumerate(chosen, start=1):
        if user.id == member.id:
            raise DomainError(_("You cannot delegate to yourself."), field=f"delegate{rank}")
        if active_profile(session, user.id) is None or user.is_deleted:
            raise DomainError(_("%(name)s is not a delegate. Only members who offered to be delegates can receive delegations.",
                                name=user.public_name), field=f"delegate{rank}")
    if max_depth is not None and not 1 <= max_depth <= MAX_DEPTH_CHOICES:
        raise DomainError(_("Choose how far your vote may travel."), field="max_depth")
    old = _rows_in(session, member, scope.kind, scope.key)
    new_ids = [u.id for u in chosen]
    events = [_event(d, EventKind.REVOKED, member) for d in old if d.delegate_id not in new_ids]
    session.execute(delete(Delegation).where(Delegation.id.in_([d.id for d in old])))
    session.flush()
    rows = [
        Delegation(delegator_id=member.id, delegate_id=u.id, scope_kind=scope.kind.value, scope_key=scope.key,
                   topic_id=scope.topic.id if scope.kind is ScopeKind.TOPIC and scope.topic else None,
                   place_id=scope.place.id if scope.kind is ScopeKind.PLACE and scope.place else None,
                   rank=rank, max_depth=max_depth, show_my_name=show_my_name)
        for rank, u in enumerate(chosen, start=1)
    ]
    try:
        with session.begin_nested():
            session.add_all(rows)
            session.flush()
    except IntegrityError:
        raise DomainError(_("That delegation could not be saved: a delegate is no longer available. Try again.")) from None
    old_by_delegate = {d.delegate_id: d for d in old}
    fresh = []
    for d in rows:
        before = old_by_delegate.get(d.delegate_id)
        if before is None or before.rank != d.rank or before.max_depth != d.max_depth:
            fresh.append(_event(d, EventKind.SET, member))
    session.add_all(events + fresh)
    session.flush()
    audit.record(session, "delegation.set", actor=member, object_type="users", object_id=member.id,
                 data={"scope": scope.kind.value, "scope_key": scope.key, "delegates": new_ids, "max_depth": max_depth})
    for e in fresh:
        if e.delegate_id not in old_by_delegate:
            notices.delegated_to_you(session, e)
    return rows


def revoke(session: Session, member: User, kind: ScopeKind, key: int) -> int:
    """Revoke the member's delegation in one scope (all its ranks); the history keeps it."""
    old = _rows_in(session, member, kind, key)
    if not old:
        raise DomainError(_("You have no delegation for that."))
    session.add_all([_event(d, EventKind.REVOKED, member) for d in old])
    session.execute(delete(Delegation).where(Delegation.id.in_([d.id for d in old])))
    session.flush()
    audit.record(session, "delegation.revoked", actor=member, object_type="users", object_id=member.id,
                 data={"scope": kind.value, "scope_key": key, "delegates": [d.delegate_id for d in old]})
    return len(old)


def delegations_of(session: Session, member: Any) -> list[Delegation]:
    return list(session.execute(
        select(Delegation).where(Delegation.delegator_id == member.id)
        .order_by(Delegation.scope_kind, Delegation.scope_key, Delegation.rank)
    ).unique().scalars())


def history(session: Session, member: Any) -> list[DelegationEvent]:
    return list(session.execute(
        select(DelegationEvent).where(DelegationEvent.delegator_id == member.id)
        .order_by(DelegationEvent.created_at.desc(), DelegationEvent.id.desc())
    ).scalars())


def scope_name(session: Session, kind: str, key: int) -> str:
    """Words for a scope: "everything", a topic's name or a place's name."""
    if kind == ScopeKind.TOPIC.value:
        topic = session.get(Topic, key)
        return _("the topic “%(name)s”", name=topic.name) if topic else _("a topic that was removed")
    if kind == ScopeKind.PLACE.value:
        place = session.get(Place, key)
        return _("the place “%(name)s”", name=place.name) if place else _("a place that was removed")
    return _("everything")


# ------------------------------------------------------------------------------------------------ preferences


def prefs_of(session: Session, user: Any) -> DelegationNoticePrefs:
    prefs = session.get(DelegationNoticePrefs, user.id)
    return prefs if prefs is not None else DelegationNoticePrefs(user_id=user.id, delegate_voted=False,
                                                                 delegate_stopped=False, delegated_to_me=False)


def update_prefs(session: Session, user: User, delegate_voted: bool, delegate_stopped: bool, delegated_to_me: bool) -> None:
    prefs = session.get(DelegationNoticePrefs, user.id)
    if prefs is None:
        prefs = DelegationNoticePrefs(user_id=user.id)
        session.add(prefs)
    prefs.delegate_voted, prefs.delegate_stopped, prefs.delegated_to_me = delegate_voted, delegate_stopped, delegated_to_me
    session.flush()


# ------------------------------------------------------------------------------------------------ a delegate's weight


@dataclass(frozen=True)
class ScopeWeight:
    kind: str
    key: int
    name: str
    direct: int  # delegators naming this delegate first in the scope
    backup: int  # delegators naming them as a backup
    total: int  # votes that would reach them through chains if they voted and nobody else on the way did
    named: list[str]  # delegators who chose to be named


def weights_of(session: Session, delegate: User, graph: Graph | None = None) -> list[ScopeWeight]:
    """How much weight ``delegate`` carries in each scope in which someone delegates to them."""
    graph = graph if graph is not None else live_graph(session)
    rows = list(session.execute(
        select(Delegation).where(Delegation.delegate_id == delegate.id)
        .order_by(Delegation.scope_kind, Delegation.scope_key, Delegation.rank)
    ).unique().scalars())
    scopes: dict[tuple[str, int], list[Delegation]] = {}
    for d in rows:
        scopes.setdefault((d.scope_kind, d.scope_key), []).append(d)
    import numpy as np

    out = []
    for (kind, key), ds in scopes.items():
        if kind == ScopeKind.PLACE.value:
            place = session.get(Place, key)
            scope = BallotScope(places=tuple(p.id for p in place.lineage()) if place else (key,))
        elif kind == ScopeKind.TOPIC.value:
            scope = BallotScope(topics=(key,))
        else:
            scope = BallotScope()
        ids = np.unique(np.concatenate([graph.delegator, graph.delegate, np.array([delegate.id], dtype=np.int64)]))
        res = resolve(graph, scope, ids, np.array([delegate.id], dtype=np.int64), int(ids.max()) + 1)
        named = [d.delegator.public_name for d in ds if d.rank == 1 and d.show_my_name and not d.delegator.is_deleted]
        out.append(ScopeWeight(kind, key, scope_name(session, kind, key), sum(1 for d in ds if d.rank == 1),
                               sum(1 for d in ds if d.rank > 1), int(res.result.weight[delegate.id]), sorted(named)))
    return out
