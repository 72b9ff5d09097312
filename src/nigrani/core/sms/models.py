"""The SMS ledger: one row per outbox job that reached a gateway, with its delivery state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nigrani.core.db import Base, UTCDateTime

SENT, DELIVERED, FAILED, UNDELIVERED, RETRYING = (
    "sent",
    "delivered",
    "failed",
    "undelivered",
    "retrying",
)
FINAL = frozenset({DELIVERED, UNDELIVERED, FAILED})  # a delivery report changes none of these
DEAD_LETTERS = (FAILED, UNDELIVERED)  # what an administrator is shown, to retry or not


class SmsMessage(Base):
    """A message handed to a backend (or refused by it); the number only hashed and masked."""

    __tablename__ = "sms_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(Integer, unique=True)
    to_hash: Mapped[str] = mapped_column(String(64), index=True)
    to_masked: Mapped[str] = mapped_column(String(32))
    # The text with its codes and secret links masked (templates.MASK), for any backend.
    body: Mapped[str] = mapped_column(Text)
    backend: Mapped[str] = mapped_column(String(32))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    template: Mapped[str | None] = mapped_column(String(64))
    dlt_template_id: Mapped[str | None] = mapped_column(String(32))
    provider_id: Mapped[str | None] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(16), default=SENT, index=True)
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
