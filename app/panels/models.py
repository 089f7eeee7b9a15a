"""Citizens' panels by sortition: the address list and the invitation lottery, single-use response codes,
registrations with the panel's own category questions, quotas, the committed and seeded selection draw,
confirmations and replacements, the officers running each panel, and the workspace's timetable and evidence.

Personal data (a respondent's name, contact details, availability and category answers, and which invited
address answered) is held only until the panel's retention date; ``flask panels purge`` then clears it and keeps
anonymised counts in ``Panel.aggregates_json``.  The published draw files carry anonymised ids and category
answers only.
"""

from __future__ import annotations

import enum
import json
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, utcnow


class Method(enum.StrEnum):
    LEXIMIN = "leximin"
    MAXIMIN = "maximin"
    LEGACY = "legacy"

    @property
    def label(self) -> str:
        return str(METHOD_LABELS[self])


METHOD_LABELS = {
    Method.LEXIMIN: _l("LEXIMIN (fairest: raises the lowest chances first)"),
    Method.MAXIMIN: _l("Maximin (raises the lowest chance only)"),
    Method.LEGACY: _l("Legacy greedy draw (for comparison)"),
}


class Channel(enum.StrEnum):
    ONLINE = "online"
    PAPER = "paper"
    PHONE = "phone"

    @property
    def label(self) -> str:
        return str(CHANNEL_LABELS[self])


CHANNEL_LABELS = {Channel.ONLINE: _l("Online"), Channel.PAPER: _l("Paper form"), Channel.PHONE: _l("Telephone")}


class Status(enum.StrEnum):
    """Where a respondent stands: in the pool, drawn, and after the officers' call or letter."""

    POOL = "pool"
    SELECTED = "selected"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    UNREACHABLE = "unreachable"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    Status.POOL: _l("In the pool"),
    Status.SELECTED: _l("Selected, not yet confirmed"),
    Status.CONFIRMED: _l("Confirmed"),
    Status.DECLINED: _l("Declined"),
    Status.UNREACHABLE: _l("Unreachable"),
}
ON_PANEL = (Status.SELECTED.value, Status.CONFIRMED.value)
WITHDRAWN = (Status.DECLINED.value, Status.UNREACHABLE.value)


class Panel(Base):
    __tablename__ = "panels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"), nullable=True, index=True)
    size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    method: Mapped[str] = mapped_column(String(20), nullable=False, default=Method.LEXIMIN.value)
    quota_leeway: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")  # seats either side
    is_registration_open: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    retention_until: Mapped[date] = mapped_column(Date, nullable=False)
    purged_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    aggregates_json: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    space_id: Mapped[int | None] = mapped_column(ForeignKey("spaces.id"), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    place = relationship("Place")
    space = relationship("Space")
    officers: Mapped[list[PanelOfficer]] = relationship(back_populates="panel", cascade="all, delete-orphan")
    questions: Mapped[list[Question]] = relationship(
        back_populates="panel", order_by="Question.position, Question.id", cascade="all, delete-orphan"
    )
    quotas: Mapped[list[Quota]] = relationship(
        back_populates="panel", order_by="Quota.category, Quota.id", cascade="all, delete-orphan"
    )
    invitation_draw: Mapped[InvitationDraw | None] = relationship(back_populates="panel", uselist=False)
    selection: Mapped[SelectionDraw | None] = relationship(back_populates="panel", uselist=False)

    @property
    def method_enum(self) -> Method:
        return Method(self.method)

    @property
    def aggregates(self) -> dict[str, Any]:
        return dict(json.loads(self.aggregates_json or "{}"))


class PanelOfficer(Base):
    """An officer running a panel: only they see its respondents' contact details and answers."""

    __tablename__ = "panel_officers"
    __table_args__ = (UniqueConstraint("panel_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    added_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    panel: Mapped[Panel] = relationship(back_populates="officers")
    user = relationship("User")


class Address(Base):
    """One household on the officer's address list: the council's own reference and its postcode."""

    __tablename__ = "panel_addresses"
    __table_args__ = (UniqueConstraint("panel_id", "ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), nullable=False, index=True)
    ref: Mapped[str] = mapped_column(String(60), nullable=False)
    postcode: Mapped[str] = mapped_column(String(10), nullable=False)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), nullable=False)
    decile: Mapped[int | None] = mapped_column(Integer, nullable=True)

    place = relationship("Place")


class InvitationDraw(Base):
    """The invitation lottery: committed (inputs hashed, how the seed will be fixed), then seeded and drawn."""

    __tablename__ = "panel_invitation_draws"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), unique=True, nullable=False)
    households: Mapped[int] = mapped_column(Integer, nullable=False)
    is_stratified: Mapped[bool] = mapped_column(Boolean, nullable=False)
    weights_json: Mapped[str] = mapped_column(Text, nullable=False, default="{}")  # decile -> weight
    seed_plan: Mapped[str] = mapped_column(Text, nullable=False)
    addresses_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    inputs_sha256: Mapped[str] = mapped_column(String(64), nullable=False)  # app.tally.invitations.inputs_sha256
    committed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    seed: Mapped[str | None] = mapped_column(String(200), nullable=True)
    drawn_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    method_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    strata_json: Mapped[str | None] = mapped_column(Text, nullable=True)  # stratum -> households drawn

    panel: Mapped[Panel] = relationship(back_populates="invitation_draw")

    @property
    def weights(self) -> dict[str, float]:
        return {str(k): float(v) for k, v in json.loads(self.weights_json or "{}").items()}

    @property
    def strata(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in json.loads(self.strata_json or "{}").items()}


class Invitation(Base):
    """A drawn household's letter: its single-use response code."""

    __tablename__ = "panel_invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), nullable=False, index=True)
    address_id: Mapped[int] = mapped_column(ForeignKey("panel_addresses.id", ondelete="CASCADE"), unique=True, nullable=False)
    code: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    address: Mapped[Address] = relationship()
    panel: Mapped[Panel] = relationship()


class Question(Base):
    """A category question of the panel (age band, gender, place, attitude…) with its answers."""

    __tablename__ = "panel_questions"
    __table_args__ = (UniqueConstraint("panel_id", "category"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), nullable=False, index=True)
    category: Mapped[str] = mapped_column(String(40), nullable=False)  # the column name in the published files
    text: Mapped[str] = mapped_column(String(300), nullable=False)
    options_json: Mapped[str] = mapped_column(Text, nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    panel: Mapped[Panel] = relationship(back_populates="questions")

    @property
    def options(self) -> list[str]:
        return [str(o) for o in json.loads(self.options_json)]


class Respondent(Base):
    """An invited household's answer.  ``public_id`` is the only identifier that is ever published."""

    __tablename__ = "panel_respondents"
    __table_args__ = (UniqueConstraint("panel_id", "public_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), nullable=False, index=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("panel_invitations.id"), unique=True, nullable=True)
    public_id: Mapped[str] = mapped_column(String(12), nullable=False)
    name: Mapped[str | None] = mapped_column(String(120), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    availability: Mapped[str | None] = mapped_column(Text, nullable=True)
    answers_json: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    has_consented: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    channel: Mapped[str] = mapped_column(String(10), nullable=False, default=Channel.ONLINE.value)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default=Status.POOL.value)
    status_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    purged_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    invitation: Mapped[Invitation | None] = relationship()
    panel: Mapped[Panel] = relationship()
    user = relationship("User", foreign_keys=[user_id])

    @property
    def answers(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in json.loads(self.answers_json or "{}").items()}

    @property
    def status_enum(self) -> Status:
        return Status(self.status)

    @property
    def channel_enum(self) -> Channel:
        return Channel(self.channel)


class Quota(Base):
    """The target share of a category value and the minimum and maximum number of members it gives."""

    __tablename__ = "panel_quotas"
    __table_args__ = (UniqueConstraint("panel_id", "category", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), nullable=False, index=True)
    category: Mapped[str] = mapped_column(String(40), nullable=False)
    value: Mapped[str] = mapped_column(String(100), nullable=False)
    share_permille: Mapped[int] = mapped_column(Integer, nullable=False)  # 512 = 51.2%
    min_count: Mapped[int] = mapped_column(Integer, nullable=False)
    max_count: Mapped[int] = mapped_column(Integer, nullable=False)

    panel: Mapped[Panel] = relationship(back_populates="quotas")


class SelectionDraw(Base):
    """The verifiable draw: the commitment (frozen anonymised files and their hashes), then the seed, then the
    result.  One per panel: the database refuses a second."""

    __tablename__ = "panel_selection_draws"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), unique=True, nullable=False)
    method: Mapped[str] = mapped_column(String(20), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    software_version: Mapped[str] = mapped_column(String(40), nullable=False)
    seed_plan: Mapped[str] = mapped_column(Text, nullable=False)
    pool_csv: Mapped[str] = mapped_column(Text, nullable=False)
    quotas_csv: Mapped[str] = mapped_column(Text, nullable=False)
    inputs_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    commitment_text: Mapped[str] = mapped_column(Text, nullable=False)
    commitment_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    committed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    committed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    seed: Mapped[str | None] = mapped_column(String(200), nullable=True)
    seed_recorded_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    drawn_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    result_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The transparent lottery (optional): its M panels are published with the commitment; the number drawn in
    # public (1..M) is then recorded as the seed.  The list is cleared with the personal data (``purge``).
    lottery_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    lottery_csv: Mapped[str | None] = mapped_column(Text, nullable=True)
    lottery_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lottery_max_change: Mapped[float | None] = mapped_column(Float, nullable=True)

    panel: Mapped[Panel] = relationship(back_populates="selection")
    replacements: Mapped[list[Replacement]] = relationship(back_populates="draw", order_by="Replacement.id")

    @property
    def result(self) -> dict[str, Any]:
        return dict(json.loads(self.result_json)) if self.result_json else {}

    @property
    def method_enum(self) -> Method:
        return Method(self.method)


class Replacement(Base):
    """A withdrawn member's replacement, drawn from the remaining pool; each member is replaced at most once."""

    __tablename__ = "panel_replacements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("panel_selection_draws.id", ondelete="CASCADE"), nullable=False, index=True)
    withdrawn_public_id: Mapped[str] = mapped_column(String(12), nullable=False)
    replacement_public_id: Mapped[str] = mapped_column(String(12), nullable=False)
    seed: Mapped[str] = mapped_column(String(260), nullable=False)
    method_text: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    draw: Mapped[SelectionDraw] = relationship(back_populates="replacements")

    __table_args__ = (
        UniqueConstraint("draw_id", "withdrawn_public_id"),
        UniqueConstraint("draw_id", "replacement_public_id"),
    )


class Meeting(Base):
    """A session in the panel's timetable."""

    __tablename__ = "panel_meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    starts_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    location: Mapped[str] = mapped_column(String(200), nullable=False, default="")


class Evidence(Base):
    """A document or link in the panel's evidence library, with who it comes from."""

    __tablename__ = "panel_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    source: Mapped[str] = mapped_column(String(200), nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    added_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
