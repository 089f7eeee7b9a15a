"""Proposals: residents' ideas from draft to delivery, with supports, a public timeline and
"you said, we did" updates.

The lifecycle (see ``ProposalState`` and ``app.proposals.services``):
draft → published → under_review → shortlisted | declined → on_ballot → selected | not_selected →
in_delivery → delivered.  Budgets take their projects from shortlisted, costed proposals.
"""

from __future__ import annotations

import enum
import json
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, utcnow


class ProposalState(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    UNDER_REVIEW = "under_review"
    SHORTLISTED = "shortlisted"
    DECLINED = "declined"
    ON_BALLOT = "on_ballot"
    SELECTED = "selected"
    NOT_SELECTED = "not_selected"
    IN_DELIVERY = "in_delivery"
    DELIVERED = "delivered"

    @property
    def label(self) -> str:
        return str(PROPOSAL_STATE_LABELS[self])


PROPOSAL_STATE_LABELS = {
    ProposalState.DRAFT: _l("Draft"),
    ProposalState.PUBLISHED: _l("Published"),
    ProposalState.UNDER_REVIEW: _l("Under review"),
    ProposalState.SHORTLISTED: _l("Shortlisted"),
    ProposalState.DECLINED: _l("Declined"),
    ProposalState.ON_BALLOT: _l("On a ballot"),
    ProposalState.SELECTED: _l("Selected"),
    ProposalState.NOT_SELECTED: _l("Not selected"),
    ProposalState.IN_DELIVERY: _l("In delivery"),
    ProposalState.DELIVERED: _l("Delivered"),
}


class Channel(enum.StrEnum):
    """How a contribution reached the council."""

    ONLINE = "online"
    PAPER = "paper"
    PHONE = "phone"
    IN_PERSON = "in_person"

    @property
    def label(self) -> str:
        return str(CHANNEL_LABELS[self])


CHANNEL_LABELS = {
    Channel.ONLINE: _l("Online"),
    Channel.PAPER: _l("On paper"),
    Channel.PHONE: _l("By phone"),
    Channel.IN_PERSON: _l("In person"),
}


proposal_topics = Table(
    "proposal_topics",
    Base.metadata,
    Column("proposal_id", ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
)


class Topic(Base):
    """An officer-managed topic (e.g. "Parks and green spaces")."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # The name in the site's other languages, {"pl": "Parki i tereny zielone"}: topics are officers' data, so
    # their names are translated here, not in the catalogue.
    name_translations: Mapped[str] = mapped_column(Text, nullable=False, default="{}", server_default="{}")

    def name_in(self, locale: str) -> str:
        try:
            names = json.loads(self.name_translations or "{}")
        except ValueError:
            names = {}
        return str(names.get(locale) or self.name)

    @property
    def display_name(self) -> str:
        """The name in the visitor's language, falling back to the main (English) name."""
        from flask_babel import get_locale

        return self.name_in(str(get_locale() or "en"))


class OfflineContributor(Base):
    """A named person without an account whose paper, phone or in-person contribution an officer entered."""

    __tablename__ = "offline_contributors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    contact_note: Mapped[str | None] = mapped_column(String(200), nullable=True)  # officers only, never shown
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class Proposal(Base):
    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    need: Mapped[str] = mapped_column(Text, nullable=False, default="")
    solution: Mapped[str] = mapped_column(Text, nullable=False, default="")
    offer_of_help: Mapped[str | None] = mapped_column(Text, nullable=True)
    language: Mapped[str | None] = mapped_column(String(10), nullable=True)  # what the author wrote in
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), nullable=False, index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    offline_contributor_id: Mapped[int | None] = mapped_column(ForeignKey("offline_contributors.id"), nullable=True)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)  # assisted entry
    channel: Mapped[str] = mapped_column(String(20), nullable=False, default=Channel.ONLINE.value)
    state: Mapped[str] = mapped_column(String(20), nullable=False, default=ProposalState.DRAFT.value, index=True)
    # Money is integer pence.  The resident's estimate; the officer's costing from the review.
    cost_estimate_pence: Mapped[int | None] = mapped_column(Integer, nullable=True)
    costing_pence: Mapped[int | None] = mapped_column(Integer, nullable=True)
    feasibility: Mapped[str | None] = mapped_column(Text, nullable=True)
    responsible_service: Mapped[str | None] = mapped_column(String(120), nullable=True)
    decline_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    support_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    flagged_for_review_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Moderation: hidden text is kept for appeal, never deleted.
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    hidden_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    published_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)

    place = relationship("Place")
    author = relationship("User", foreign_keys=[author_id])
    entered_by = relationship("User", foreign_keys=[entered_by_id])
    offline_contributor: Mapped[OfflineContributor | None] = relationship()
    topics: Mapped[list[Topic]] = relationship(secondary=proposal_topics, order_by="Topic.name")

    @property
    def state_enum(self) -> ProposalState:
        return ProposalState(self.state)

    @property
    def cost_pence(self) -> int | None:
        """The cost a budget uses: the officer's costing when there is one, else the resident's estimate."""
        return self.costing_pence if self.costing_pence is not None else self.cost_estimate_pence


class Support(Base):
    """One support per resident per proposal: the database enforces it."""

    __tablename__ = "supports"
    __table_args__ = (UniqueConstraint("proposal_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class ProposalEvent(Base):
    """The public timeline: every transition and every "you said, we did" update."""

    __tablename__ = "proposal_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)  # "transition" or "update"
    from_state: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_state: Mapped[str | None] = mapped_column(String(20), nullable=True)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    happened_on: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    proposal: Mapped[Proposal] = relationship()
    actor = relationship("User")
