"""SLA clocks: overdue complaints climb station → ACP → DCP, each rung through the outbox."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts.models import JurisdictionNode, User
from nigrani.accounts.roles import Role
from nigrani.core import audit, outbox, sms
from nigrani.core.i18n import pick, to_ist
from nigrani.core.security import FieldCipher
from nigrani.core.sms import templates
from nigrani.grievances import notices, timeline
from nigrani.grievances.labels import escalation_label
from nigrani.grievances.models import OPEN_STATUSES, Complaint

MAX_LEVEL = 3
JOB_KIND = "grievance.escalation"
# Who hears of an overdue complaint at each rung (by the node level they sit at).
LEVEL_ROLES = {1: (Role.SHO,), 2: (Role.ACP,), 3: (Role.DCP,)}
TRIAGE_ROLES = (Role.CONTROL_ROOM, Role.COMMISSIONER)


def level_due(complaint: Complaint, now: datetime) -> int:
    """The rung an open complaint should be on: one at the deadline, one more each half-SLA."""
    if complaint.status not in OPEN_STATUSES or now < complaint.due_at:
        return 0
    half = timedelta(hours=complaint.category.sla_hours) / 2
    return min(MAX_LEVEL, 1 + int((now - complaint.due_at) / half))


def target_node(session: Session, complaint: Complaint, level: int) -> JurisdictionNode:
    """Station for rung 1, its circle for 2, its zone for 3; triage stays at the top."""
    node = session.scalar(
        select(JurisdictionNode).where(JurisdictionNode.path == complaint.node_path)
    )
    assert node is not None  # node_path is always a node's path
    for _ in range(level - 1):
        if node.parent is None:
            break
        node = node.parent
    return node


def _escalate(session: Session, complaint: Complaint, level: int) -> None:
    complaint.escalation_level = level
    node = target_node(session, complaint, level)
    timeline.record(
        session,
        complaint=complaint,
        kind="escalated",
        actor=audit.SYSTEM,
        body=escalation_label(level, "en"),  # the record; pages show it translated
        detail={"level": level, "node": node.code},
    )
    outbox.enqueue(
        session,
        kind=JOB_KIND,
        payload={"complaint_id": complaint.id, "level": level, "node_id": node.id},
        dedupe_key=f"{JOB_KIND}:{complaint.id}:{complaint.reopen_count}:{level}",
    )
    notices.escalated(session, complaint=complaint, level=level, node=node)


def escalate_overdue(session: Session, *, now: datetime) -> int:
    """Move every overdue open complaint up to the rung it has reached; returns how many."""
    stmt = select(Complaint).where(
        Complaint.status.in_(OPEN_STATUSES),
        Complaint.due_at <= now,
        Complaint.escalation_level < MAX_LEVEL,
    )
    moved = 0
    for complaint in session.scalars(stmt.order_by(Complaint.id).limit(500)).all():
        level = level_due(complaint, now)
        if level > complaint.escalation_level:
            _escalate(session, complaint, level)
            moved += 1
    session.flush()
    return moved


def _officers(session: Session, node: JurisdictionNode, roles: tuple[Role, ...]) -> list[User]:
    stmt = select(User).where(
        User.node_id == node.id,
        User.is_active.is_(True),
        User.role.in_([r.value for r in roles]),
        User.phone_enc.is_not(None),
    )
    return list(session.scalars(stmt))


@outbox.handler(JOB_KIND)
def _tell_officers(ctx: outbox.JobContext, payload: dict[str, Any]) -> None:
    complaint = ctx.session.get(Complaint, payload["complaint_id"])
    node = ctx.session.get(JurisdictionNode, payload["node_id"])
    if complaint is None or node is None or complaint.status not in OPEN_STATUSES:
        return  # closed meanwhile: nothing to say
    level = int(payload["level"])
    roles = LEVEL_ROLES[level] if complaint.station_id else TRIAGE_ROLES
    cipher = FieldCipher(ctx.settings.encryption_key)
    category = complaint.category
    for officer in _officers(ctx.session, node, roles):
        assert officer.phone_enc is not None
        lang = officer.language or ctx.settings.default_language
        sms.queue_sms(
            ctx.session,
            ctx.settings,
            to=cipher.decrypt(officer.phone_enc),
            template=templates.for_language("complaint.overdue", lang).name,
            values={
                "n": complaint.number,
                "category": pick((category.name_en, category.name_hi), lang),
                "due": f"{to_ist(complaint.due_at):%d-%m-%Y %H:%M} IST",
            },
        )
