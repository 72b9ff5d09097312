"""Queue a templated SMS in the caller's transaction; the outbox handler that sends it."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.core import outbox
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.phones import mask_mobile
from nigrani.core.security import FieldCipher, keyed_hash
from nigrani.core.sms import templates
from nigrani.core.sms.gateway import Backend, Outgoing, Refused, backend_for
from nigrani.core.sms.models import DELIVERED, FAILED, SENT, SmsMessage

log = logging.getLogger(__name__)
JOB_KIND = "sms"


def queue_sms(
    session: Session, settings: Settings, *, to: str, template: str, values: Mapping[str, object]
) -> int:
    """Queue one registered template to a number (it travels encrypted); the job's id."""
    chosen = templates.get(template)
    fitted = templates.values_for(chosen, values)
    payload = {
        "to": FieldCipher(settings.encryption_key).encrypt(to),
        "template": chosen.name,
        "body": templates.render(chosen, fitted),
        "kept": templates.redacted(chosen, fitted),  # what the log and sms_log keep
    }
    return outbox.enqueue(session, kind=JOB_KIND, payload=payload)


def _record(
    session: Session,
    settings: Settings,
    *,
    message: Outgoing,
    kept: str,
    backend: Backend,
    outcome: tuple[str | None, str, str | None],
) -> SmsMessage:
    provider_id, status, error = outcome
    row = session.scalar(select(SmsMessage).where(SmsMessage.job_id == message.key))
    if row is None:
        row = SmsMessage(job_id=message.key)
        session.add(row)
    now = utcnow()
    row.to_hash = keyed_hash(settings.secret_key, "phone", message.to)
    row.to_masked = mask_mobile(message.to)
    row.body = kept  # never the code or the link itself, whichever backend sent it
    row.backend, row.sent_at, row.template = backend.name, now, message.template
    row.dlt_template_id = backend.dlt_template_id(message.template)
    row.provider_id, row.status, row.status_at, row.error = provider_id, status, now, error
    session.flush()
    return row


@outbox.handler(JOB_KIND)
def _send(ctx: outbox.JobContext, payload: dict[str, Any]) -> None:
    done = ctx.session.scalar(
        select(SmsMessage.status).where(SmsMessage.job_id == ctx.job_id).with_for_update()
    )
    if done in (SENT, DELIVERED):
        return  # an earlier try went through (a retry asked for after a late report)
    kept = str(payload.get("kept", payload["body"]))
    message = Outgoing(
        to=FieldCipher(ctx.settings.encryption_key).decrypt(payload["to"]),
        body=payload["body"],
        template=payload.get("template"),  # absent in jobs queued before templates
        key=ctx.job_id,
        kept=kept,
    )
    backend = backend_for(ctx.settings)
    try:
        outcome: tuple[str | None, str, str | None] = (backend.deliver(message), SENT, None)
    except Refused as exc:  # permanent: trying again would be refused again
        log.warning("SMS job %s refused by the gateway: %s", ctx.job_id, exc)
        outcome = (None, FAILED, str(exc))
    _record(ctx.session, ctx.settings, message=message, kept=kept, backend=backend, outcome=outcome)


def sent_texts(session: Session, job_ids: list[int]) -> dict[int, str]:
    """Demo pages only: each job's message as it went out, code and link included.

    `sms_log` keeps the masked text; the demo, whose log backend sends nothing, shows the
    message from its outbox job instead (callers check demo mode)."""
    if not job_ids:
        return {}
    rows = session.execute(
        select(outbox.OutboxJob.id, outbox.OutboxJob.payload).where(
            outbox.OutboxJob.id.in_(job_ids), outbox.OutboxJob.kind == JOB_KIND
        )
    ).all()
    return {job_id: str(json.loads(payload).get("body", "")) for job_id, payload in rows}
