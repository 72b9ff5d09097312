"""Messages that did not reach their number, for an administrator to see and send again.

Two kinds: the gateway refused the message (a 4xx, or a report saying undelivered), kept in
`sms_log`; or every try failed on the network or a 5xx, left as a DEAD outbox job.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.errors import Conflict, NotFound
from nigrani.core.i18n import _
from nigrani.core.outbox import DEAD, PENDING, OutboxJob
from nigrani.core.phones import mask_mobile
from nigrani.core.security import FieldCipher
from nigrani.core.sms.models import DEAD_LETTERS, RETRYING, SmsMessage
from nigrani.core.sms.service import JOB_KIND


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One failed message as the administrator sees it (never the number in full)."""

    job_id: int
    at: datetime
    to_masked: str
    template: str
    status: str  # failed, undelivered, or dead (retries used up)
    reason: str
    attempts: int


def _masked(settings: Settings, payload: dict[str, object]) -> str:
    try:
        return mask_mobile(FieldCipher(settings.encryption_key).decrypt(str(payload["to"])))
    except (KeyError, ValueError):
        return "—"


def _from_jobs(session: Session, settings: Settings, limit: int) -> list[DeadLetter]:
    stmt = select(OutboxJob).where(OutboxJob.kind == JOB_KIND, OutboxJob.status == DEAD)
    letters = []
    for job in session.scalars(stmt.order_by(OutboxJob.id.desc()).limit(limit)):
        payload = json.loads(job.payload)
        letters.append(
            DeadLetter(
                job_id=job.id,
                at=job.run_after,
                to_masked=_masked(settings, payload),
                template=str(payload.get("template") or "—"),
                status="dead",
                reason=job.last_error or "",
                attempts=job.attempts,
            )
        )
    return letters


def dead_letters(session: Session, *, settings: Settings, limit: int = 200) -> list[DeadLetter]:
    """The newest failed messages of both kinds, newest first."""
    stmt = select(SmsMessage, OutboxJob.attempts).join(
        OutboxJob, OutboxJob.id == SmsMessage.job_id, isouter=True
    )
    stmt = stmt.where(SmsMessage.status.in_(DEAD_LETTERS)).order_by(SmsMessage.id.desc())
    letters = [
        DeadLetter(
            job_id=row.job_id,
            at=row.status_at or row.sent_at,
            to_masked=row.to_masked,
            template=row.template or "—",
            status=row.status,
            reason=row.error or "",
            attempts=attempts or 0,
        )
        for row, attempts in session.execute(stmt.limit(limit)).all()
    ]
    letters += _from_jobs(session, settings, limit)
    return sorted(letters, key=lambda d: d.at, reverse=True)[:limit]


def retry(session: Session, *, job_id: int, actor: audit.Actor) -> None:
    """Send a failed message again, from its first try's backoff (audited)."""
    job = session.get(OutboxJob, job_id, with_for_update=True)
    if job is None or job.kind != JOB_KIND:
        raise NotFound(_("No such message."))
    row = session.scalar(select(SmsMessage).where(SmsMessage.job_id == job_id))
    if job.status != DEAD and (row is None or row.status not in DEAD_LETTERS):
        raise Conflict(_("This message has not failed; it is not sent again."))
    now = utcnow()
    if row is not None:
        row.status, row.status_at = RETRYING, now
    job.status, job.attempts, job.run_after = PENDING, 0, now
    job.locked_until, job.last_error, job.done_at = None, None, None
    template = json.loads(job.payload).get("template")
    audit.record(
        session,
        actor=actor,
        action="sms.retry",
        object_type="sms",
        object_id=job_id,
        detail={"template": template, "to": row.to_masked if row else None},
    )
    session.flush()
