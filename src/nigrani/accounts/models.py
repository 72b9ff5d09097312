"""Tables for the jurisdiction tree, users, sessions, one-time codes and API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nigrani.core.db import Base, UTCDateTime
from nigrani.core.i18n import pick


class JurisdictionNode(Base):
    """A node of commissionerate → zone → circle → station → post."""

    __tablename__ = "jurisdiction_nodes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdiction_nodes.id"), index=True)
    level: Mapped[str] = mapped_column(String(20), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_en: Mapped[str] = mapped_column(String(160))
    name_hi: Mapped[str] = mapped_column(String(160))
    # Materialised path of ids ("/1/4/17/"): a subtree is one indexed prefix match.
    path: Mapped[str] = mapped_column(String(400), index=True)
    boundary: Mapped[str | None] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    parent: Mapped[JurisdictionNode | None] = relationship(remote_side=[id])

    def name(self, lang: str) -> str:
        """The node's name in a language."""
        return pick((self.name_en, self.name_hi), lang)


class User(Base):
    """Staff (username + password) or citizen (mobile number + one-time code)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str | None] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(160))
    role: Mapped[str] = mapped_column(String(40), index=True)
    node_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdiction_nodes.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    totp_secret_enc: Mapped[str | None] = mapped_column(Text)
    # A new secret shown to the user, in force only once a code from it confirms it.
    totp_pending_enc: Mapped[str | None] = mapped_column(Text)
    totp_pending_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    phone_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    phone_enc: Mapped[str | None] = mapped_column(Text)
    phone_masked: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(8))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set when an administrator resets the password: the next sign-in must choose a new one.
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    node: Mapped[JurisdictionNode | None] = relationship()


class UserSession(Base):
    """A login; the cookie holds the token, the table only its hash."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A password-correct login waiting for its TOTP code is not yet a full session.
    pending_totp: Mapped[bool] = mapped_column(Boolean, default=False)
    # Wrong codes tried on this pending login; at the limit it is revoked (password again).
    totp_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    user: Mapped[User] = relationship()


class AuthThrottle(Base):
    """Recent failed sign-in tries of one subject (a client address, an account name, a
    second factor), and until when its next try must wait (accounts/throttle.py)."""

    __tablename__ = "auth_throttles"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OtpChallenge(Base):
    """A one-time code sent to a mobile number, stored only as a keyed hash."""

    __tablename__ = "otp_challenges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A bearer token for a worker or an integration, limited to its scopes."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
