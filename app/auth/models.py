"""Accounts, roles and password reset tokens."""

from __future__ import annotations

import enum
import hmac
import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, utcnow


class Role(enum.StrEnum):
    RESIDENT = "resident"
    MODERATOR = "moderator"
    OFFICER = "officer"
    ADMINISTRATOR = "administrator"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.RESIDENT: _l("Resident"),
    Role.MODERATOR: _l("Moderator"),
    Role.OFFICER: _l("Officer"),
    Role.ADMINISTRATOR: _l("Administrator"),
}
GRANTABLE_ROLES = (Role.MODERATOR, Role.OFFICER, Role.ADMINISTRATOR)


def new_session_token() -> str:
    return secrets.token_hex(16)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True, nullable=True)
    display_name: Mapped[str | None] = mapped_column(String(80), nullable=True)
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    postcode: Mapped[str | None] = mapped_column(String(10), nullable=True)
    # the number on the resident's poll card, by which an officer finds them to issue a paper ballot
    poll_card_number: Mapped[str | None] = mapped_column(String(30), unique=True, nullable=True)
    home_place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"), nullable=True, index=True)
    locale: Mapped[str | None] = mapped_column(String(10), nullable=True)
    notify_email: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    notify_replies: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    notify_results: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    is_suspended: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Taking part (casting a ballot, supporting a proposal) needs a confirmed e-mail address, or an officer who
    # checked the person in person (assisted entry): see app.auth.policy.participation_refusal.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The postcode was not in the directory: the resident chose their ward, and an officer has still to confirm it.
    is_area_unconfirmed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), nullable=False)
    # A per-account nonce that every signed-in session carries (``get_id()`` is ``id:token``).  Signing out,
    # a password change and deleting the account replace it, so a copied session or remember-me cookie stops
    # working then, on every device.
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token, nullable=False)

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin", foreign_keys="UserRole.user_id"
    )
    home_place = relationship("Place", lazy="joined")
    verified_by = relationship("User", remote_side=[id], foreign_keys=[verified_by_id], lazy="select")

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return not self.is_deleted

    @property
    def is_active(self) -> bool:
        return not self.is_deleted

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def holds_session(self, token: str) -> bool:
        """Does a session that carries ``token`` still belong to this account (not signed out since)?"""
        return bool(self.session_token) and hmac.compare_digest(self.session_token, token)

    def end_sessions(self) -> None:
        """Sign this account out everywhere: every session and remember-me cookie issued so far stops working."""
        self.session_token = new_session_token()

    @property
    def roles(self) -> set[Role]:
        return {Role.RESIDENT} | {Role(r.role) for r in self.role_rows}

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    @property
    def has_confirmed_identity(self) -> bool:
        """A confirmed e-mail address, or an officer's check in person."""
        return self.email_confirmed_at is not None or self.verified_at is not None

    @property
    def public_name(self) -> str:
        """The name shown beside contributions; a deleted account shows as a former member."""
        if self.is_deleted or not self.display_name:
            return str(_l("Former member"))
        return self.display_name


class UserRole(Base):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    granted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    user: Mapped[User] = relationship(back_populates="role_rows", foreign_keys=[user_id])


class PasswordResetToken(Base):
    """A single-use, expiring reset token.  Only its SHA-256 is stored."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class EmailConfirmationToken(Base):
    """A single-use, expiring link that confirms ``email`` belongs to the account.  Only its SHA-256 is stored."""

    __tablename__ = "email_confirmation_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
