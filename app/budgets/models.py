"""Place-based participatory budgeting: processes, headings (one per place) with their funding pots,
projects, ballots (online and keyed paper), paper batches keyed twice, and stored counts.

Money is integer pence.  A ballot carries a ``weight`` (1 unless votes are delegated to its voter later); the
count multiplies by it, so delegation needs no change of schema.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    case,
    literal_column,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, utcnow
from app.core.secrecy import random_id


class Phase(enum.StrEnum):
    DRAFTING = "drafting"
    ACCEPTING_PROPOSALS = "accepting_proposals"
    REVIEWING = "reviewing"
    BALLOTING = "balloting"
    REVIEWING_BALLOTS = "reviewing_ballots"
    FINISHED = "finished"

    @property
    def label(self) -> str:
        return str(PHASE_LABELS[self])

    @property
    def next(self) -> Phase | None:
        order = list(Phase)
        i = order.index(self)
        return order[i + 1] if i + 1 < len(order) else None


PHASE_LABELS = {
    Phase.DRAFTING: _l("Drafting"),
    Phase.ACCEPTING_PROPOSALS: _l("Accepting proposals"),
    Phase.REVIEWING: _l("Reviewing proposals"),
    Phase.BALLOTING: _l("Voting open"),
    Phase.REVIEWING_BALLOTS: _l("Reviewing ballots"),
    Phase.FINISHED: _l("Finished"),
}


class BallotType(enum.StrEnum):
    APPROVAL = "approval"
    K_APPROVAL = "k-approval"
    KNAPSACK = "knapsack"
    CUMULATIVE = "cumulative"

    @property
    def label(self) -> str:
        return str(BALLOT_TYPE_LABELS[self])


BALLOT_TYPE_LABELS = {
    BallotType.APPROVAL: _l("Approval: choose any number of projects"),
    BallotType.K_APPROVAL: _l("Limited approval: choose up to a set number of projects"),
    BallotType.KNAPSACK: _l("Budget ballot: choose projects whose total cost fits the money available"),
    BallotType.CUMULATIVE: _l("Points: share out a set number of points between projects"),
}


class Rule(enum.StrEnum):
    GREEDY = "greedy"
    GREEDY_NO_SKIP = "greedy-no-skip"
    EQUAL_SHARES = "equal-shares"

    @property
    def label(self) -> str:
        return str(RULE_LABELS[self])


RULE_LABELS = {
    Rule.GREEDY: _l("Most votes first, skipping projects that no longer fit"),
    Rule.GREEDY_NO_SKIP: _l("Most votes first, stopping at the first project that does not fit"),
    Rule.EQUAL_SHARES: _l("Method of Equal Shares"),
}


class Completion(enum.StrEnum):
    NONE = "none"
    ADD1 = "add1"
    ADD1_GREEDY = "add1-greedy"
    ADD1_COMPARISON = "add1-comparison"

    @property
    def label(self) -> str:
        return str(COMPLETION_LABELS[self])

    @property
    def short_label(self) -> str:
        return str(COMPLETION_SHORT_LABELS[self])


COMPLETION_SHORT_LABELS = {
    Completion.NONE: _l("no completion"),
    Completion.ADD1: _l("with Add1"),
    Completion.ADD1_GREEDY: _l("with Add1, then most votes first"),
    Completion.ADD1_COMPARISON: _l("with Add1 and the comparison step"),
}

COMPLETION_LABELS = {
    Completion.NONE: _l("None"),
    Completion.ADD1: _l("Add1: raise every voter's share by £1 at a time while the result still fits"),
    Completion.ADD1_GREEDY: _l("Add1, then most votes first with the money left"),
    Completion.ADD1_COMPARISON: _l("Add1, then compare with most-votes-first and keep the one more voters prefer"),
}


class BallotChannel(enum.StrEnum):
    ONLINE = "online"
    PAPER = "paper"
    ASSISTED = "assisted"  # a paper ballot filled in with an officer's help (at a counter, by telephone)

    @property
    def label(self) -> str:
        return str(CHANNEL_LABELS[self])


CHANNEL_LABELS = {
    BallotChannel.ONLINE: _l("Online"),
    BallotChannel.PAPER: _l("Paper ballot"),
    BallotChannel.ASSISTED: _l("Assisted paper ballot"),
}


class BatchState(enum.StrEnum):
    KEYING = "keying"
    ACCEPTED = "accepted"


class BudgetProcess(Base):
    """A participatory budget, e.g. "Fenland Community Fund 2027"."""

    __tablename__ = "budget_processes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    language: Mapped[str | None] = mapped_column(String(10), nullable=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), nullable=False, index=True)
    phase: Mapped[str] = mapped_column(String(30), nullable=False, default=Phase.DRAFTING.value, index=True)
    ballot_type: Mapped[str] = mapped_column(String(20), nullable=False, default=BallotType.APPROVAL.value)
    max_choices: Mapped[int | None] = mapped_column(Integer, nullable=True)  # k for k-approval
    max_points: Mapped[int | None] = mapped_column(Integer, nullable=True)  # N for cumulative
    rule: Mapped[str] = mapped_column(String(20), nullable=False, default=Rule.GREEDY.value)
    completion: Mapped[str] = mapped_column(String(20), nullable=False, default=Completion.NONE.value)
    seed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # ties by lot and the export shuffle
    # Supports after which a proposal in the area is flagged for officer review while this budget takes or
    # reviews proposals (app/budgets/thresholds.py); None = no threshold of its own.
    support_threshold: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Turnout (tenths of a percent of the heading's population) below which publishing needs an explicit
    # confirmation naming the figure; None = no such check.
    low_turnout_permille: Mapped[int | None] = mapped_column(Integer, nullable=True)
    proposals_open_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    review_starts_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    voting_opens_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    voting_closes_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    results_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    phase_changed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    results_published_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    place = relationship("Place")
    headings: Mapped[list[BudgetHeading]] = relationship(
        back_populates="process", order_by="BudgetHeading.id", cascade="all, delete-orphan"
    )

    @property
    def phase_enum(self) -> Phase:
        return Phase(self.phase)

    @property
    def ballot_type_enum(self) -> BallotType:
        return BallotType(self.ballot_type)

    @property
    def rule_enum(self) -> Rule:
        return Rule(self.rule)

    @property
    def completion_enum(self) -> Completion:
        return Completion(self.completion)

    @property
    def pabulib_rule(self) -> str:
        """The META ``rule`` spelling of this process's rule and completion."""
        from app.budgets.services import pabulib_rule

        return pabulib_rule(self.rule, self.completion)


class BudgetHeading(Base):
    """The money for one place within a process (a district, or the whole county)."""

    __tablename__ = "budget_headings"
    __table_args__ = (UniqueConstraint("process_id", "place_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("budget_processes.id", ondelete="CASCADE"), nullable=False, index=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    amount_pence: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # The minimum support a project needs to be funded, beyond the rule that a project with no votes never is:
    # a number of votes (points, on a points ballot) and/or a whole percentage of the valid ballots.
    min_support_votes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    min_support_percent: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    process: Mapped[BudgetProcess] = relationship(back_populates="headings")
    place = relationship("Place")
    pots: Mapped[list[FundingPot]] = relationship(
        back_populates="heading", order_by="FundingPot.id", cascade="all, delete-orphan"
    )
    projects: Mapped[list[BudgetProject]] = relationship(
        back_populates="heading", order_by="BudgetProject.id", cascade="all, delete-orphan"
    )

    @property
    def pots_total(self) -> int:
        return sum(p.amount_pence for p in self.pots)


class FundingPot(Base):
    """Where a heading's money comes from (e.g. "Community Infrastructure Levy", £40,000)."""

    __tablename__ = "budget_funding_pots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    heading_id: Mapped[int] = mapped_column(ForeignKey("budget_headings.id", ondelete="CASCADE"), nullable=False, index=True)
    source: Mapped[str] = mapped_column(String(200), nullable=False)
    amount_pence: Mapped[int] = mapped_column(Integer, nullable=False)

    heading: Mapped[BudgetHeading] = relationship(back_populates="pots")


class BudgetProject(Base):
    """A project on a heading's ballot: entered by an officer or taken from a shortlisted, costed proposal."""

    __tablename__ = "budget_projects"
    __table_args__ = (UniqueConstraint("heading_id", "proposal_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    heading_id: Mapped[int] = mapped_column(ForeignKey("budget_headings.id", ondelete="CASCADE"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    language: Mapped[str | None] = mapped_column(String(10), nullable=True)
    cost_pence: Mapped[int] = mapped_column(Integer, nullable=False)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    heading: Mapped[BudgetHeading] = relationship(back_populates="projects")
    proposal = relationship("Proposal")


class PaperBatch(Base):
    """A numbered bundle of paper or assisted ballots, keyed twice by two different officers."""

    __tablename__ = "budget_paper_batches"
    __table_args__ = (UniqueConstraint("heading_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    heading_id: Mapped[int] = mapped_column(ForeignKey("budget_headings.id", ondelete="CASCADE"), nullable=False, index=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    state: Mapped[str] = mapped_column(String(20), nullable=False, default=BatchState.KEYING.value)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    heading: Mapped[BudgetHeading] = relationship()
    keyings: Mapped[list[PaperKeying]] = relationship(
        back_populates="batch", order_by="PaperKeying.entry", cascade="all, delete-orphan"
    )


class PaperKeying(Base):
    """One officer's keying of a whole batch.  Entry 1 and entry 2 must be by different officers (unique)."""

    __tablename__ = "budget_paper_keyings"
    __table_args__ = (UniqueConstraint("batch_id", "entry"), UniqueConstraint("batch_id", "officer_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("budget_paper_batches.id", ondelete="CASCADE"), nullable=False, index=True)
    entry: Mapped[int] = mapped_column(Integer, nullable=False)  # 1 or 2
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    content_json: Mapped[str] = mapped_column(Text, nullable=False)  # canonical JSON, one item per paper ballot
    keyed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)

    batch: Mapped[PaperBatch] = relationship(back_populates="keyings")
    officer = relationship("User")


class BudgetBallot(Base):
    """One ballot in the ballot box: what was chosen, never who chose it.

    Online: one per voter per heading, found again by its keyed ``token`` (:mod:`app.core.secrecy`; unique),
    replaced in place until voting closes.  Paper: one per position in an accepted batch (unique), no token.
    The id is random and only the day of casting is kept, so neither the row order nor a time lines the box up
    with the register (:class:`BudgetRegister`), which says who voted, how and when."""

    __tablename__ = "budget_ballots"
    __table_args__ = (
        UniqueConstraint("heading_id", "token"),
        UniqueConstraint("paper_batch_id", "batch_position"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False, default=random_id)
    heading_id: Mapped[int] = mapped_column(ForeignKey("budget_headings.id", ondelete="CASCADE"), nullable=False, index=True)
    token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    weight: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    receipt_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    paper_batch_id: Mapped[int | None] = mapped_column(ForeignKey("budget_paper_batches.id"), nullable=True, index=True)
    batch_position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    is_spoilt: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    cast_on: Mapped[date] = mapped_column(Date, default=lambda: utcnow().date(), nullable=False)
    replaced_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    heading: Mapped[BudgetHeading] = relationship()
    choices: Mapped[list[BallotChoice]] = relationship(
        back_populates="ballot", order_by="BallotChoice.project_id", cascade="all, delete-orphan"
    )

    @hybrid_property
    def channel(self) -> str:
        """``online`` or ``paper`` (from the batch: the box stores no channel of its own)."""
        return BallotChannel.ONLINE.value if self.paper_batch_id is None else BallotChannel.PAPER.value

    @channel.inplace.expression
    @classmethod
    def _channel_expression(cls):  # type: ignore[no-untyped-def]
        # literal SQL (no bound parameters), so the expression can also be selected and grouped by on PostgreSQL
        return case((cls.paper_batch_id.is_(None), literal_column("'online'")), else_=literal_column("'paper'"))


class BudgetRegister(Base):
    """The marked register of a heading: who has voted, by which channel, when, and (for a paper ballot) which
    officer issued it.  One mark per person per heading is a database constraint, whatever the channel, so a
    resident cannot vote online and be issued a paper ballot too.  Officers only; the public sees counts."""

    __tablename__ = "budget_register"
    __table_args__ = (UniqueConstraint("heading_id", "voter_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    heading_id: Mapped[int] = mapped_column(ForeignKey("budget_headings.id", ondelete="CASCADE"), nullable=False, index=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    channel: Mapped[str] = mapped_column(String(10), nullable=False)
    marked_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    heading: Mapped[BudgetHeading] = relationship()
    voter = relationship("User", foreign_keys=[voter_id])
    issued_by = relationship("User", foreign_keys=[issued_by_id])

    @property
    def channel_enum(self) -> BallotChannel:
        return BallotChannel(self.channel)


class RegisterCancellation(Base):
    """A paper ballot issue cancelled by an officer (a spoilt or lost paper), with the reason: the mark is
    removed from the register so a new paper can be issued, and this record (and the audit log) keeps it."""

    __tablename__ = "budget_register_cancellations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    heading_id: Mapped[int] = mapped_column(ForeignKey("budget_headings.id", ondelete="CASCADE"), nullable=False, index=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    channel: Mapped[str] = mapped_column(String(10), nullable=False)
    issued_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    cancelled_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    cancelled_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    voter = relationship("User", foreign_keys=[voter_id])
    cancelled_by = relationship("User", foreign_keys=[cancelled_by_id])


class BallotChoice(Base):
    """A project chosen on a ballot; ``points`` is 1 except on cumulative ballots."""

    __tablename__ = "budget_ballot_choices"
    __table_args__ = (UniqueConstraint("ballot_id", "project_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ballot_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("budget_ballots.id", ondelete="CASCADE"), nullable=False, index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("budget_projects.id", ondelete="CASCADE"), nullable=False, index=True)
    points: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    ballot: Mapped[BudgetBallot] = relationship(back_populates="choices")


class BudgetCount(Base):
    """A stored count of one heading.  The latest count is what is published when the process finishes."""

    __tablename__ = "budget_counts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    heading_id: Mapped[int] = mapped_column(ForeignKey("budget_headings.id", ondelete="CASCADE"), nullable=False, index=True)
    rule: Mapped[str] = mapped_column(String(20), nullable=False)
    completion: Mapped[str] = mapped_column(String(20), nullable=False)
    seed: Mapped[int] = mapped_column(Integer, nullable=False)
    inputs_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    software_version: Mapped[str] = mapped_column(String(40), nullable=False)
    online_ballots: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    paper_ballots: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    spoilt_ballots: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # The score a project needed to be funded in this count (at least 1: no votes, never funded); None for
    # counts stored before the minimum existed (they must be counted again before publishing).
    min_support: Mapped[int | None] = mapped_column(Integer, nullable=True)
    result_json: Mapped[str] = mapped_column(Text, nullable=False)
    is_published: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    published_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    heading: Mapped[BudgetHeading] = relationship()


class ReplacedReceipt(Base):
    """The receipt of a ballot that its voter later replaced: the code then answers "replaced by a later ballot
    on <date>" instead of "not found".  It names the heading and the date only, never the voter or choices."""

    __tablename__ = "budget_replaced_receipts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    heading_id: Mapped[int] = mapped_column(ForeignKey("budget_headings.id", ondelete="CASCADE"), nullable=False, index=True)
    receipt_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    cast_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    replaced_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    heading: Mapped[BudgetHeading] = relationship()
