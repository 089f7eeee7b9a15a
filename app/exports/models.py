"""The committee report's free-text sections (written by officers) and the packs built from them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow


class Kind(enum.StrEnum):
    """What a pack can be made of.  The pack's ID is the object's id, or for a proposal consultation
    ``PLACE_CODE:FROM:TO`` (ISO dates, both included)."""

    BUDGET = "budget"
    VOTE = "vote"
    PANEL = "panel"
    PROPOSALS = "proposals"


class BuildState(enum.StrEnum):
    BUILDING = "building"
    READY = "ready"
    FAILED = "failed"


# The report's free-text sections, in the order a UK committee report gives them.
TEXT_SECTIONS = ("summary", "recommendations", "background", "options", "implications_financial", "implications_legal",
                 "implications_equalities", "implications_engagement", "background_papers")


class CommitteeReport(Base):
    """What officers write for the committee about one process; the figures are filled in by the app."""

    __tablename__ = "committee_reports"
    __table_args__ = (UniqueConstraint("kind", "object_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    object_key: Mapped[str] = mapped_column(String(80), nullable=False)
    meeting: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    recommendations: Mapped[str] = mapped_column(Text, nullable=False, default="")
    background: Mapped[str] = mapped_column(Text, nullable=False, default="")
    options: Mapped[str] = mapped_column(Text, nullable=False, default="")
    implications_financial: Mapped[str] = mapped_column(Text, nullable=False, default="")
    implications_legal: Mapped[str] = mapped_column(Text, nullable=False, default="")
    implications_equalities: Mapped[str] = mapped_column(Text, nullable=False, default="")
    implications_engagement: Mapped[str] = mapped_column(Text, nullable=False, default="")
    background_papers: Mapped[str] = mapped_column(Text, nullable=False, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)


class PackBuild(Base):
    """One committee pack, built in the background: ``building`` until the zip is stored, then ``ready``."""

    __tablename__ = "pack_builds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    object_key: Mapped[str] = mapped_column(String(80), nullable=False, index=True)
    locale: Mapped[str] = mapped_column(String(10), nullable=False, default="en")
    state: Mapped[str] = mapped_column(String(20), nullable=False, default=BuildState.BUILDING.value)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    content: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
