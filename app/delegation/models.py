"""Delegate profiles, the delegations in force, and the append-only history of every change.

Only members who offered to be a delegate can receive a delegation: ``(delegations.delegate_id,
delegate_active)`` references ``(delegate_profiles.user_id, is_active)`` and ``delegate_active`` must be true, so
the database refuses a delegation to anyone without an active profile, and refuses to withdraw a profile while
delegations still point at it (the withdrawal service ends them first).  The services check the same first.  A member ranks up to three delegates per scope (``rank`` 1–3, unique
per scope, checked by the database) and may cap how far their vote travels (``max_depth``: 1 = only my
delegate, not theirs; ``None`` = no cap).  The table holds what is in force now; ``delegation_events`` keeps
every change with its time, and the audit log records each one.
"""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, utcnow

MAX_BACKUPS = 3
MAX_DEPTH_CHOICES = 5


class ScopeKind(enum.StrEnum):
    """Stored as strings; ``code`` is the number app.tally.delegation.ScopeKind uses."""

    GLOBAL = "global"
    TOPIC = "topic"
    PLACE = "place"

    @property
    def code(self) -> int:
        return {"global": 0, "topic": 1, "place": 2}[self.value]

    @property
    def label(self) -> str:
        return str(SCOPE_LABELS[self])


SCOPE_LABELS = {
    ScopeKind.GLOBAL: _l("Everything"),
    ScopeKind.TOPIC: _l("A topic"),
    ScopeKind.PLACE: _l("A place"),
}


class EventKind(enum.StrEnum):
    SET = "set"  # a delegation was made (or its delegate, rank or depth cap changed)
    REVOKED = "revoked"  # the delegator revoked it
    DELEGATE_WITHDREW = "delegate_withdrew"  # the delegate stopped being a delegate, which ended it


delegate_profile_topics = Table(
    "delegate_profile_topics",
    Base.metadata,
    Column("profile_id", ForeignKey("delegate_profiles.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
)

delegate_profile_places = Table(
    "delegate_profile_places",
    Base.metadata,
    Column("profile_id", ForeignKey("delegate_profiles.id", ondelete="CASCADE"), primary_key=True),
    Column("place_id", ForeignKey("places.id", ondelete="CASCADE"), primary_key=True),
)


class DelegateProfile(Base):
    """A member's offer to be a delegate: public statement, topics and places, and their acceptance that the
    people who delegate to them may see how they voted on matters delegated to them.

    A registered community group (a residents' association, a parish meeting) is a delegate through an account
    run by its officers: ``is_group`` with the group's name, set by a council officer or administrator.
    """

    __tablename__ = "delegate_profiles"
    __table_args__ = (
        UniqueConstraint("user_id", "is_active"),  # the target of delegations' (delegate_id, delegate_active)
        CheckConstraint("accepts_disclosure", name="accepts_disclosure"),
        CheckConstraint("NOT is_group OR group_name IS NOT NULL", name="group_has_name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True)
    statement: Mapped[str] = mapped_column(Text, nullable=False, default="")
    language: Mapped[str | None] = mapped_column(String(10), nullable=True)
    accepts_disclosure: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    name_in_results: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, index=True)
    is_group: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    group_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    group_set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    user = relationship("User", foreign_keys=[user_id], lazy="joined")
    topics = relationship("Topic", secondary=delegate_profile_topics, order_by="Topic.name")
    places = relationship("Place", secondary=delegate_profile_places, order_by="Place.name")

    @property
    def shown_name(self) -> str:
        """The group's name for a group account, otherwise the member's public name."""
        if self.is_group and self.group_name:
            return self.group_name
        return str(self.user.public_name)


class Delegation(Base):
    """One delegation in force: ``delegator`` → ``delegate`` for a scope, at a rank (1 first, 2–3 backups).

    ``scope_key`` is 0 for a global delegation, else the topic's or place's id (so that uniqueness holds
    without NULLs).  ``max_depth`` is the same on every rank of one scope.
    """

    __tablename__ = "delegations"
    __table_args__ = (
        UniqueConstraint("delegator_id", "scope_kind", "scope_key", "rank"),
        UniqueConstraint("delegator_id", "scope_kind", "scope_key", "delegate_id"),
        CheckConstraint("rank BETWEEN 1 AND 3", name="rank_range"),
        CheckConstraint("max_depth IS NULL OR max_depth >= 1", name="max_depth_positive"),
        CheckConstraint("delegator_id <> delegate_id", name="not_self"),
        CheckConstraint("delegate_active", name="delegate_active"),
        ForeignKeyConstraint(["delegate_id", "delegate_active"], ["delegate_profiles.user_id", "delegate_profiles.is_active"],
                             name="fk_delegations_delegate_active_profile"),
        CheckConstraint("scope_kind IN ('global', 'topic', 'place')", name="scope_kind"),
        CheckConstraint(
            "(scope_kind = 'global' AND scope_key = 0 AND topic_id IS NULL AND place_id IS NULL)"
            " OR (scope_kind = 'topic' AND topic_id = scope_key AND place_id IS NULL)"
            " OR (scope_kind = 'place' AND place_id = scope_key AND topic_id IS NULL)",
            name="scope_consistent",
        ),
        Index("ix_delegations_delegate_id", "delegate_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delegator_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    delegate_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    delegate_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    scope_kind: Mapped[str] = mapped_column(String(10), nullable=False)
    scope_key: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), nullable=True)
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id", ondelete="CASCADE"), nullable=True)
    rank: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    max_depth: Mapped[int | None] = mapped_column(Integer, nullable=True)
    show_my_name: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    delegator = relationship("User", foreign_keys=[delegator_id])
    delegate = relationship("User", foreign_keys=[delegate_id], lazy="joined", viewonly=True)
    topic = relationship("Topic")
    place = relationship("Place")

    @property
    def scope(self) -> ScopeKind:
        return ScopeKind(self.scope_kind)


class DelegationEvent(Base):
    """The history: one row per change, never updated or deleted while the member's account exists."""

    __tablename__ = "delegation_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delegator_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    delegate_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    scope_kind: Mapped[str] = mapped_column(String(10), nullable=False)
    scope_key: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rank: Mapped[int] = mapped_column(Integer, nullable=False)
    max_depth: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    delegate = relationship("User", foreign_keys=[delegate_id])


class DelegationNoticePrefs(Base):
    """Which delegation notifications a member opted in to (none until they choose).  Whether they also come
    by e-mail follows the account's own e-mail preference."""

    __tablename__ = "delegation_notice_prefs"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    delegate_voted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    delegate_stopped: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    delegated_to_me: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
