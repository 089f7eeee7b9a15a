"""Deliberation: spaces and their members, debates, threaded comments with stances and edit history,
notifications, reports and moderation, and the guiding coalition's recommendations with the council's
responses.

Hidden content is kept, never deleted: ``hidden_at``/``hidden_reason`` mark it, and moderators can still read
the text for an appeal.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
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


class SpaceKind(enum.StrEnum):
    PUBLIC = "public"
    COALITION = "coalition"
    PANEL = "panel"
    WORKING_GROUP = "working_group"

    @property
    def label(self) -> str:
        return str(SPACE_KIND_LABELS[self])


SPACE_KIND_LABELS = {
    SpaceKind.PUBLIC: _l("Public space"),
    SpaceKind.COALITION: _l("Guiding coalition"),
    SpaceKind.PANEL: _l("Citizens' panel"),
    SpaceKind.WORKING_GROUP: _l("Officers' working group"),
}


class SpaceRole(enum.StrEnum):
    MEMBER = "member"
    CHAIR = "chair"
    FACILITATOR = "facilitator"  # runs a citizens' panel's sessions; takes no side

    @property
    def label(self) -> str:
        return str(SPACE_ROLE_LABELS[self])


SPACE_ROLE_LABELS = {SpaceRole.MEMBER: _l("Member"), SpaceRole.CHAIR: _l("Chair"), SpaceRole.FACILITATOR: _l("Facilitator")}


class Stance(enum.StrEnum):
    FOR = "for"
    AGAINST = "against"
    QUESTION = "question"

    @property
    def label(self) -> str:
        return str(STANCE_LABELS[self])


STANCE_LABELS = {Stance.FOR: _l("For"), Stance.AGAINST: _l("Against"), Stance.QUESTION: _l("Question")}


class Outcome(enum.StrEnum):
    """The council's response to a recommendation of the guiding coalition."""

    ADOPTED = "adopted"
    ADOPTED_IN_PART = "adopted_in_part"
    NOT_ADOPTED = "not_adopted"

    @property
    def label(self) -> str:
        return str(OUTCOME_LABELS[self])


OUTCOME_LABELS = {
    Outcome.ADOPTED: _l("Adopted"),
    Outcome.ADOPTED_IN_PART: _l("Adopted in part"),
    Outcome.NOT_ADOPTED: _l("Not adopted"),
}


class ContentKind(enum.StrEnum):
    """What can be reported and hidden."""

    COMMENT = "comment"
    DEBATE = "debate"
    PROPOSAL = "proposal"

    @property
    def label(self) -> str:
        return str(CONTENT_KIND_LABELS[self])


CONTENT_KIND_LABELS = {
    ContentKind.COMMENT: _l("Comment"),
    ContentKind.DEBATE: _l("Debate"),
    ContentKind.PROPOSAL: _l("Proposal"),
}


class Space(Base):
    """Where debates happen.  A restricted space is visible and writable only to its members."""

    __tablename__ = "spaces"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    kind: Mapped[str] = mapped_column(String(20), nullable=False, default=SpaceKind.PUBLIC.value)
    is_restricted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    # A coalition's recommendation goes out when at least this share (per cent) of its current members agree.
    agreement_percent: Mapped[int] = mapped_column(Integer, nullable=False, default=50, server_default="50")

    memberships: Mapped[list[SpaceMembership]] = relationship(
        back_populates="space", order_by="SpaceMembership.started_on", cascade="all, delete-orphan"
    )

    @property
    def kind_enum(self) -> SpaceKind:
        return SpaceKind(self.kind)


class SpaceMembership(Base):
    __tablename__ = "space_memberships"
    __table_args__ = (UniqueConstraint("space_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    role: Mapped[str] = mapped_column(String(20), nullable=False, default=SpaceRole.MEMBER.value)
    started_on: Mapped[date] = mapped_column(Date, nullable=False)
    term_ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    space: Mapped[Space] = relationship(back_populates="memberships")
    user = relationship("User")

    @property
    def role_enum(self) -> SpaceRole:
        return SpaceRole(self.role)

    def is_current(self, today: date) -> bool:
        return self.started_on <= today and (self.term_ends_on is None or today <= self.term_ends_on)


class Debate(Base):
    """A standalone debate: a question put to a space, optionally about a place."""

    __tablename__ = "debates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    space_id: Mapped[int | None] = mapped_column(ForeignKey("spaces.id"), nullable=True, index=True)  # None: the public forum
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    language: Mapped[str | None] = mapped_column(String(10), nullable=True)
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"), nullable=True, index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    hidden_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    space: Mapped[Space | None] = relationship()
    place = relationship("Place")
    author = relationship("User")


class Comment(Base):
    """A comment on a proposal or a debate, or a reply.

    ``parent_id`` is where the comment sits in the thread (levels 0, 1 and 2); ``in_reply_to_id`` is the comment
    it answers, which differs only for a reply to a level-2 comment: it sits at level 2 under the same parent,
    shown as "in reply to …".
    """

    __tablename__ = "comments"
    __table_args__ = (
        CheckConstraint("(proposal_id IS NULL) <> (debate_id IS NULL)", name="one_target"),
        CheckConstraint("depth >= 0 AND depth <= 2", name="depth_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), nullable=True, index=True)
    debate_id: Mapped[int | None] = mapped_column(ForeignKey("debates.id", ondelete="CASCADE"), nullable=True, index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"), nullable=True, index=True)
    in_reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"), nullable=True)
    depth: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    offline_contributor_id: Mapped[int | None] = mapped_column(ForeignKey("offline_contributors.id"), nullable=True)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)  # assisted entry
    channel: Mapped[str] = mapped_column(String(20), nullable=False, default="online")
    stance: Mapped[str | None] = mapped_column(String(20), nullable=True)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    language: Mapped[str | None] = mapped_column(String(10), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    edited_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    hidden_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    proposal = relationship("Proposal")
    debate: Mapped[Debate | None] = relationship()
    parent: Mapped[Comment | None] = relationship(remote_side=[id], foreign_keys=[parent_id])
    in_reply_to: Mapped[Comment | None] = relationship(remote_side=[id], foreign_keys=[in_reply_to_id])
    author = relationship("User", foreign_keys=[author_id])
    entered_by = relationship("User", foreign_keys=[entered_by_id])
    offline_contributor = relationship("OfflineContributor")
    revisions: Mapped[list[CommentRevision]] = relationship(
        back_populates="comment", order_by="CommentRevision.id.desc()", cascade="all, delete-orphan"
    )

    @property
    def stance_enum(self) -> Stance | None:
        return Stance(self.stance) if self.stance else None

    @property
    def contributor_name(self) -> str:
        if self.author is not None:
            return str(self.author.public_name)
        if self.offline_contributor is not None:
            return str(self.offline_contributor.name)
        return str(_l("Former member"))


class CommentRevision(Base):
    """A previous version of an edited comment, kept so anyone can see what changed."""

    __tablename__ = "comment_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), nullable=False, index=True)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    stance: Mapped[str | None] = mapped_column(String(20), nullable=True)
    written_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)  # when this version was first shown
    replaced_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    comment: Mapped[Comment] = relationship(back_populates="revisions")

    @property
    def stance_enum(self) -> Stance | None:
        return Stance(self.stance) if self.stance else None


class AccountAction(enum.StrEnum):
    """What a moderator did to an account."""

    WARN = "warn"
    SUSPEND = "suspend"
    UNSUSPEND = "unsuspend"

    @property
    def label(self) -> str:
        return str(ACCOUNT_ACTION_LABELS[self])


ACCOUNT_ACTION_LABELS = {
    AccountAction.WARN: _l("Warning"),
    AccountAction.SUSPEND: _l("Suspension"),
    AccountAction.UNSUSPEND: _l("Suspension lifted"),
}


class AccountWarning(Base):
    """A moderator's warning to an account, or the suspension of it (or the lifting of one), with the reason the
    person is told: they can read it on their notifications page, suspended or not."""

    __tablename__ = "account_warnings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(20), nullable=False, default=AccountAction.WARN.value,
                                        server_default=AccountAction.WARN.value)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    @property
    def action_enum(self) -> AccountAction:
        return AccountAction(self.action)


class Notification(Base):
    """An in-app notification; one per person per comment, and one per person per subject, at most (the database
    enforces both).

    A notification about a comment or a moderator's action points at it by foreign key.  Other features'
    notifications (a budget's results, a proposal's new state or "you said, we did" update) point at their
    *subject* generically, by ``subject_type`` and ``subject_id``: each feature registers in
    ``app.deliberation.notices`` how to word and link its kind, so this package imports none of them and the text
    is translated when it is shown, never stored.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "comment_id"),
        UniqueConstraint("user_id", "subject_type", "subject_id"),
        CheckConstraint("(subject_type IS NULL) = (subject_id IS NULL)", name="subject_pair"),
        Index("ix_notifications_subject_type_subject_id", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    # "comment", "reply", or (with ``warning_id``) "warning", "suspended" or "unsuspended", or (with a subject)
    # "results" (a budget process), "proposal_state" or "proposal_update" (a proposal's timeline entry)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), nullable=True)
    warning_id: Mapped[int | None] = mapped_column(ForeignKey("account_warnings.id", ondelete="CASCADE"), nullable=True)
    # registered subjects (app.deliberation.notices): e.g. "budget_process" or "proposal_event" and its id
    subject_type: Mapped[str | None] = mapped_column(String(30), nullable=True)
    subject_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    read_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    comment: Mapped[Comment | None] = relationship()
    warning: Mapped[AccountWarning | None] = relationship()

    # Not stored: how a subject notification reads to the person reading it (an app.deliberation.notices.Notice,
    # worded in their language), set by queries.notifications_for.
    notice = None


class Report(Base):
    """Someone's report of a comment, debate or proposal; one open or closed report per person per item."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("content_kind", "content_id", "reporter_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_kind: Mapped[str] = mapped_column(String(20), nullable=False)
    content_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    resolution: Mapped[str | None] = mapped_column(String(20), nullable=True)  # "hidden" or "dismissed"

    reporter = relationship("User", foreign_keys=[reporter_id])


class RecommendationStatus(enum.StrEnum):
    DRAFT = "draft"  # proposed by a member; only the coalition's members (and officers) see it
    PUBLISHED = "published"  # enough members agreed; public, awaiting the council's response


class Recommendation(Base):
    """A recommendation of the guiding coalition or of a citizens' panel: a draft until enough of the space's
    members agree, then published, when it awaits the council's response."""

    __tablename__ = "recommendations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    language: Mapped[str | None] = mapped_column(String(10), nullable=True)
    status: Mapped[str] = mapped_column(
        String(20), nullable=False, default=RecommendationStatus.PUBLISHED.value, server_default="published"
    )
    published_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    space: Mapped[Space] = relationship()
    response: Mapped[CouncilResponse | None] = relationship(back_populates="recommendation", uselist=False)
    votes: Mapped[list[RecommendationVote]] = relationship(
        back_populates="recommendation", cascade="all, delete-orphan", order_by="RecommendationVote.id"
    )

    @property
    def is_draft(self) -> bool:
        return self.status == RecommendationStatus.DRAFT.value


class RecommendationVote(Base):
    """One member's one vote on a draft recommendation (the database allows one per member)."""

    __tablename__ = "recommendation_votes"
    __table_args__ = (UniqueConstraint("recommendation_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(
        ForeignKey("recommendations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    agrees: Mapped[bool] = mapped_column(Boolean, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    recommendation: Mapped[Recommendation] = relationship(back_populates="votes")


class CouncilResponse(Base):
    """The council's one response to a recommendation (the database allows only one)."""

    __tablename__ = "council_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendations.id", ondelete="CASCADE"), unique=True, nullable=False)
    outcome: Mapped[str] = mapped_column(String(20), nullable=False)
    explanation: Mapped[str] = mapped_column(Text, nullable=False)
    responded_on: Mapped[date] = mapped_column(Date, nullable=False)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    recommendation: Mapped[Recommendation] = relationship(back_populates="response")

    @property
    def outcome_enum(self) -> Outcome:
        return Outcome(self.outcome)
