"""Core models: the append-only, hash-chained audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow


class AuditEntry(Base):
    """One event the public or a committee may need to trust.

    ``entry_hash`` = SHA-256 of ``prev_hash`` followed by the entry's canonical JSON (see
    ``app.core.audit.canonical_json``), so changing or removing any row breaks the chain from that row on.
    """

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    actor_label: Mapped[str] = mapped_column(String(200), nullable=False, default="system")
    action: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    object_type: Mapped[str | None] = mapped_column(String(60), nullable=True)
    object_id: Mapped[str | None] = mapped_column(String(60), nullable=True)
    data_json: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    entry_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)


class AppendOnlyError(RuntimeError):
    pass


@event.listens_for(AuditEntry, "before_update")
def _no_update(mapper: object, connection: object, target: AuditEntry) -> None:
    raise AppendOnlyError("The audit log is append-only: entries cannot be changed.")


@event.listens_for(AuditEntry, "before_delete")
def _no_delete(mapper: object, connection: object, target: AuditEntry) -> None:
    raise AppendOnlyError("The audit log is append-only: entries cannot be removed.")


class FormSubmission(Base):
    """A one-time token of a create form that has been acted on (see :mod:`app.core.once`): sending the same
    form again finds its token here and is shown the first result instead of creating a second row."""

    __tablename__ = "form_submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    endpoint: Mapped[str] = mapped_column(String(100), nullable=False)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    result_url: Mapped[str] = mapped_column(String(500), nullable=False, default="/")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False, index=True)
