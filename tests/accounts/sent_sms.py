"""The text an SMS really carried (code and link included), for tests that act on it.

`sms_log` keeps each message masked; the outbox job that sent it holds the text."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.core.sms import SmsMessage, sent_texts


def last_text(db: Session) -> str:
    """The newest message handed to a backend, as it went out."""
    job = db.scalar(select(SmsMessage.job_id).order_by(SmsMessage.id.desc()).limit(1))
    assert job is not None, "no SMS was sent"
    return sent_texts(db, [job])[job]
