"""SMS through a sender interface; the development backend writes to a table and the log."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from nigrani.core import outbox
from nigrani.core.config import Settings
from nigrani.core.db import Base, UTCDateTime, utcnow
from nigrani.core.security import FieldCipher, keyed_hash

log = logging.getLogger(__name__)


class SmsMessage(Base):
    """A message the development backend 'sent' (what a gateway would have delivered)."""

    __tablename__ = "sms_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(Integer, unique=True)
    to_hash: Mapped[str] = mapped_column(String(64), index=True)
    to_masked: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    backend: Mapped[str] = mapped_column(String(32))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SmsSender(Protocol):
    """Delivers one message; `key` lets a gateway drop a repeated delivery."""

    def send(self, session: Session, *, to: str, body: str, key: int) -> None: ...


class LogSmsSender:
    """Development backend: records the message in `sms_log` and the application log."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, session: Session, *, to: str, body: str, key: int) -> None:
        from nigrani.core.phones import mask_mobile

        masked = mask_mobile(to)
        session.add(
            SmsMessage(
                job_id=key,
                to_hash=keyed_hash(self.settings.secret_key, "phone", to),
                to_masked=masked,
                body=body,
                backend="log",
                sent_at=utcnow(),
            )
        )
        session.flush()
        log.info("SMS to %s: %s", masked, body)


def sender_for(settings: Settings) -> SmsSender:
    """The configured SMS backend."""
    return LogSmsSender(settings)


def queue_sms(session: Session, settings: Settings, *, to: str, body: str) -> int:
    """Queue an SMS in the caller's transaction (the number travels encrypted); the job's id."""
    cipher = FieldCipher(settings.encryption_key)
    return outbox.enqueue(session, kind="sms", payload={"to": cipher.encrypt(to), "body": body})


@outbox.handler("sms")
def _send(ctx: outbox.JobContext, payload: dict[str, Any]) -> None:
    to = FieldCipher(ctx.settings.encryption_key).decrypt(payload["to"])
    sender_for(ctx.settings).send(ctx.session, to=to, body=payload["body"], key=ctx.job_id)
