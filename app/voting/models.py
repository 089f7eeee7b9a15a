"""Ranked votes: the vote, its options, ballots (one per person, replaceable until close), receipts that
outlive a replaced ballot, the frozen delegation graph at close, and the stored count.

A ballot's ranking is stored as the option ids in order of preference, comma-separated (empty for a blank
ballot, which a voter casts only deliberately).  The weight each ballot carries (its voter's own vote plus
those delegated to them, after the vote's cap) is decided at close and kept in the stored count's ballot file.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, utcnow
from app.core.secrecy import random_id


class VoteRule(enum.StrEnum):
    IRV = "irv"
    STV = "stv"
    SCHULZE = "schulze"

    @property
    def label(self) -> str:
        return str(RULE_LABELS[self])


RULE_LABELS = {
    VoteRule.IRV: _l("Instant-runoff voting (one winner)"),
    VoteRule.STV: _l("Single transferable vote, Scottish rules (several winners)"),
    VoteRule.SCHULZE: _l("Schulze method (a full ranking)"),
}


class VoteState(enum.StrEnum):
    OPEN = "open"  # accepting ballots between opens_at and closes_at
    CLOSED = "closed"  # counted; officers check before publishing
    PUBLISHED = "published"

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self])


STATE_LABELS = {
    VoteState.OPEN: _l("Open"),
    VoteState.CLOSED: _l("Closed, being checked"),
    VoteState.PUBLISHED: _l("Result published"),
}


class BallotChannel(enum.StrEnum):
    ONLINE = "online"
    ASSISTED = "assisted"  # keyed by an officer for the member (paper form, phone, at a library)


class Vote(Base):
    __tablename__ = "votes"
    __table_args__ = (
        CheckConstraint("seats >= 1", name="seats_positive"),
        CheckConstraint("weight_cap IS NULL OR weight_cap >= 1", name="weight_cap_positive"),
        CheckConstraint("closes_at > opens_at", name="closes_after_opening"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    language: Mapped[str | None] = mapped_column(String(10), nullable=True)
    rule: Mapped[str] = mapped_column(String(10), nullable=False)
    seats: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), nullable=False, index=True)
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id"), nullable=True)
    opens_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    closes_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    weight_cap: Mapped[int | None] = mapped_column(Integer, nullable=True)
    seed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    state: Mapped[str] = mapped_column(String(10), nullable=False, default=VoteState.OPEN.value, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    place = relationship("Place")
    topic = relationship("Topic")
    options: Mapped[list[VoteOption]] = relationship(
        back_populates="vote", order_by="VoteOption.position", cascade="all, delete-orphan"
    )

    @property
    def rule_enum(self) -> VoteRule:
        return VoteRule(self.rule)

    @property
    def state_enum(self) -> VoteState:
        return VoteState(self.state)

    def is_accepting(self, now: datetime) -> bool:
        return self.state == VoteState.OPEN.value and self.opens_at <= now < self.closes_at


class VoteOption(Base):
    __tablename__ = "vote_options"
    __table_args__ = (
        UniqueConstraint("vote_id", "position"),
        UniqueConstraint("vote_id", "title"),
        UniqueConstraint("vote_id", "proposal_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"), nullable=True)

    vote: Mapped[Vote] = relationship(back_populates="options")
    proposal = relationship("Proposal")


class VoteBallot(Base):
    """One person's ballot in one vote, replaced in place until the vote closes.  The box holds no voter id:
    the keyed ``token`` (:mod:`app.core.secrecy`; unique per vote) lets the server find a member's own ballot;
    the id is random and only the day is kept.  Who voted, how and when is in :class:`VoteRegister`."""

    __tablename__ = "vote_ballots"
    __table_args__ = (UniqueConstraint("vote_id", "token"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False, default=random_id)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), nullable=False, index=True)
    token: Mapped[str] = mapped_column(String(64), nullable=False)
    ranking: Mapped[str] = mapped_column(String(2000), nullable=False, default="")
    cast_on: Mapped[date] = mapped_column(Date, default=lambda: utcnow().date(), nullable=False)
    replaced_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    vote: Mapped[Vote] = relationship()

    @property
    def option_ids(self) -> list[int]:
        return [int(x) for x in self.ranking.split(",") if x]


class VoteRegister(Base):
    """The marked register of a vote: who has voted, online or assisted (keyed by an officer, ``issued_by``),
    and when they first voted.  One mark per person per vote (unique).  Officers only; the public sees counts."""

    __tablename__ = "vote_register"
    __table_args__ = (UniqueConstraint("vote_id", "voter_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), nullable=False, index=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    channel: Mapped[str] = mapped_column(String(10), nullable=False)
    marked_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class VoteReceipt(Base):
    """A receipt code's hash.  A replaced ballot's receipt stays, marked replaced, so it never reads "not found".
    It names the vote and the day, never the ballot's content, who cast it, or the time (which the register
    keeps, so a time here would link the two)."""

    __tablename__ = "vote_receipts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False, default=random_id)
    receipt_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), nullable=False, index=True)
    ballot_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("vote_ballots.id", ondelete="CASCADE"), nullable=False, index=True)
    issued_on: Mapped[date] = mapped_column(Date, default=lambda: utcnow().date(), nullable=False)
    replaced_on: Mapped[date | None] = mapped_column(Date, nullable=True)

    vote: Mapped[Vote] = relationship()


class DelegationSnapshot(Base):
    """The delegation graph as it stood when the vote closed: every delegation in force, copied."""

    __tablename__ = "vote_delegation_snapshots"
    __table_args__ = (
        UniqueConstraint("vote_id", "delegator_id", "scope_kind", "scope_key", "rank"),
        Index("ix_vote_delegation_snapshots_vote_id", "vote_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), nullable=False)
    delegator_id: Mapped[int] = mapped_column(Integer, nullable=False)
    delegate_id: Mapped[int] = mapped_column(Integer, nullable=False)
    scope_kind: Mapped[str] = mapped_column(String(10), nullable=False)
    scope_key: Mapped[int] = mapped_column(Integer, nullable=False)
    rank: Mapped[int] = mapped_column(Integer, nullable=False)
    max_depth: Mapped[int | None] = mapped_column(Integer, nullable=True)


class VoteCount(Base):
    """The stored count of a closed vote: what the tally returned, its inputs' hash, the seed and the
    software version, the anonymised ballot file it counted, and the turnout and delegation figures."""

    __tablename__ = "vote_counts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), nullable=False, unique=True)
    rule: Mapped[str] = mapped_column(String(10), nullable=False)
    seed: Mapped[int] = mapped_column(Integer, nullable=False)
    inputs_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    software_version: Mapped[str] = mapped_column(String(40), nullable=False)
    blt_text: Mapped[str] = mapped_column(Text, nullable=False)
    result_json: Mapped[str] = mapped_column(Text, nullable=False)
    figures_json: Mapped[str] = mapped_column(Text, nullable=False)
    snapshot_size: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
