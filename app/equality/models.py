"""Equality monitoring: which processes ask, who has answered (keyed, unlinkable), and the answers as counts.

Three tables, none of which can link an answer to a person or to a ballot:

- :class:`EqualityMonitor`: an officer's choice to ask the questions in a budget process or ranked vote, and
  which questions (no row, or ``is_on`` false: off, the default).
- :class:`EqualityResponder`: that someone has answered in this process, so that they answer at most once.
  Online it holds only a keyed token, ``HMAC(key, "equality:<kind>:<process id>:<user id>")``
  (:func:`app.core.secrecy.token`), different from every ballot token; a paper slip keyed by an officer has
  none.  No date, no answers.
- :class:`EqualityCount`: the answers, already aggregated: how many people gave each answer to each question,
  by channel.  There is no row per person at all, so neither an id, nor a date, nor the order in which rows
  were written (which a database dump keeps) can tie answers to each other, to a ballot or to the register.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow
from app.core.secrecy import random_id


class EqualityMonitor(Base):
    __tablename__ = "equality_monitors"
    __table_args__ = (UniqueConstraint("kind", "object_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)  # budget | vote
    object_id: Mapped[int] = mapped_column(Integer, nullable=False)
    questions_csv: Mapped[str] = mapped_column(String(200), nullable=False)  # question keys, comma-separated
    is_on: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class EqualityResponder(Base):
    __tablename__ = "equality_responders"
    __table_args__ = (UniqueConstraint("kind", "object_id", "token"), Index("ix_equality_responders_kind_object", "kind", "object_id"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False, default=random_id)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    object_id: Mapped[int] = mapped_column(Integer, nullable=False)
    token: Mapped[str | None] = mapped_column(String(64), nullable=True)  # None: a paper slip
    channel: Mapped[str] = mapped_column(String(10), nullable=False)


class EqualityCount(Base):
    __tablename__ = "equality_counts"
    __table_args__ = (UniqueConstraint("kind", "object_id", "question", "answer", "channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    object_id: Mapped[int] = mapped_column(Integer, nullable=False)
    question: Mapped[str] = mapped_column(String(30), nullable=False)
    answer: Mapped[str] = mapped_column(String(30), nullable=False)
    channel: Mapped[str] = mapped_column(String(10), nullable=False)
    people: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
