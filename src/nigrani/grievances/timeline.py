"""The timeline of a complaint: every state change, hop, note, message and feedback."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from nigrani.core import audit
from nigrani.core.db import utcnow
from nigrani.grievances.models import Complaint, ComplaintEvent

EVENT_KINDS = (
    "created",
    "routed",
    "status",
    "assigned",
    "transfer",
    "note",
    "reply",
    "message",
    "attachment",
    "escalated",
    "feedback",
    "reopened",
)


_INSERT = insert(ComplaintEvent)


def record(
    session: Session,
    *,
    complaint: Complaint,
    kind: str,
    actor: audit.Actor,
    body: str = "",
    public: bool = False,
    to_status: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add a line to the timeline; a status change also moves the complaint."""
    assert kind in EVENT_KINDS, kind
    # A Core INSERT on the session's connection: no unit-of-work flush per line (the
    # complaint already has its id; its own changes go out with the next flush).
    values = {
        "complaint_id": complaint.id,
        "at": utcnow(),
        "kind": kind,
        "actor_id": actor.id,
        "actor_label": actor.label[:120],
        "from_status": complaint.status if to_status else None,
        "to_status": to_status,
        "body": body,
        "public": public,
        "detail": json.dumps(detail or {}, sort_keys=True, ensure_ascii=False),
    }
    session.connection().execute(_INSERT, values)
    if to_status:
        complaint.status = to_status


def events(
    session: Session, complaint: Complaint, *, public_only: bool = False
) -> list[ComplaintEvent]:
    """The timeline, oldest first; the complainant sees only the public lines."""
    stmt = select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id)
    if public_only:
        stmt = stmt.where(ComplaintEvent.public.is_(True))
    return list(session.scalars(stmt.order_by(ComplaintEvent.id)))
