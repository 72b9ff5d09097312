"""The life of a complaint: acknowledge, investigate, act, close, transfer, assign, reopen.

received → assigned (to a station) → acknowledged → investigating → action_taken → closed;
a dissatisfied complainant reopens it. Every step is a timeline line and an SMS.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.accounts.models import JurisdictionNode, User
from nigrani.accounts.roles import STAFF_ROLES, Role
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.errors import Conflict, ValidationFailed
from nigrani.core.i18n import _
from nigrani.grievances import notices, notify, routing, service, timeline
from nigrani.grievances.models import OPEN_STATUSES, Complaint, Feedback
from nigrani.grievances.schemas import CloseCreate, FeedbackCreate, TransferCreate

# Which states each step may start from.
STEPS: dict[str, tuple[str, ...]] = {
    "acknowledged": ("assigned",),
    "investigating": ("acknowledged",),
    "action_taken": ("acknowledged", "investigating"),
}


def _refuse(complaint: Complaint) -> Conflict:
    return Conflict(
        _("This step is not possible now: the complaint is {status}.").format(
            status=complaint.status
        )
    )


def advance(
    session: Session,
    *,
    settings: Settings,
    complaint: Complaint,
    to: str,
    actor: audit.Actor,
    note: str = "",
) -> None:
    """Move a complaint one step on (acknowledge, investigate, action taken); tell them."""
    if to not in STEPS:
        raise ValidationFailed(_("Unknown step"), field="status")
    if complaint.status not in STEPS[to]:
        raise _refuse(complaint)
    if to == "acknowledged":
        complaint.acknowledged_at = utcnow()
    timeline.record(
        session,
        complaint=complaint,
        kind="status",
        actor=actor,
        to_status=to,
        body=note.strip()[:2000],
        public=True,
    )
    notify.tell(session, settings, complaint=complaint, occasion="status")
    session.flush()


def close(
    session: Session,
    *,
    settings: Settings,
    complaint: Complaint,
    data: CloseCreate,
    actor: audit.Actor,
) -> None:
    """Close with a resolution and a message to the complainant."""
    if complaint.status not in OPEN_STATUSES:
        raise _refuse(complaint)
    if data.resolution == "duplicate":
        original = service.get_by_number(session, data.duplicate_of or "")
        if original.id == complaint.id:
            raise ValidationFailed(_("A complaint cannot repeat itself."), field="duplicate_of")
        complaint.duplicate_of_id = original.id
    complaint.resolution, complaint.closed_at = data.resolution, utcnow()
    timeline.record(
        session,
        complaint=complaint,
        kind="status",
        actor=actor,
        to_status="closed",
        body=data.message,
        public=True,
        detail={"resolution": data.resolution},
    )
    audit.record(
        session,
        actor=actor,
        action="complaint.close",
        object_type="complaint",
        object_id=complaint.id,
        reference=complaint.number,
        detail={"resolution": data.resolution},
    )
    notify.tell(session, settings, complaint=complaint, occasion="closed", text=data.message)
    session.flush()


def transfer(
    session: Session,
    *,
    settings: Settings,
    complaint: Complaint,
    data: TransferCreate,
    actor: audit.Actor,
) -> JurisdictionNode:
    """Send a complaint to another station, with the reason; it starts there as assigned."""
    if complaint.status not in OPEN_STATUSES:
        raise _refuse(complaint)
    station = routing.station_by_code(session, data.station_code)
    if station.id == complaint.station_id:
        raise ValidationFailed(
            _("The complaint is already with this station."), field="station_code"
        )
    origin = complaint.station.code if complaint.station else "triage"
    complaint.station_id, complaint.node_path = station.id, station.path
    complaint.assigned_to, complaint.acknowledged_at = None, None
    complaint.escalation_level = 0
    session.flush()
    session.refresh(complaint, ["station"])
    timeline.record(
        session,
        complaint=complaint,
        kind="transfer",
        actor=actor,
        to_status="assigned",
        body=data.reason,
        public=True,
        detail={"from": origin, "to": station.code},
    )
    notify.tell(session, settings, complaint=complaint, occasion="transfer")
    notices.station_assigned(session, complaint=complaint, station=station)
    return station


def _officer(session: Session, complaint: Complaint, officer_id: int) -> User:
    officer = session.get(User, officer_id)
    if (
        officer is None
        or not officer.is_active
        or Role(officer.role) not in STAFF_ROLES
        or officer.node is None
        or not jurisdiction.within(officer.node.path, complaint.node_path)
    ):
        raise ValidationFailed(
            _("Choose an officer of this complaint's station."), field="officer_id"
        )
    return officer


def assign_officer(
    session: Session, *, complaint: Complaint, officer_id: int, actor: audit.Actor
) -> User:
    """Give a complaint to one officer of its station (the per-officer queue)."""
    if complaint.status not in OPEN_STATUSES or complaint.station_id is None:
        raise _refuse(complaint)
    officer = _officer(session, complaint, officer_id)
    complaint.assigned_to = officer.id
    timeline.record(
        session,
        complaint=complaint,
        kind="assigned",
        actor=actor,
        body=officer.full_name or officer.username or "",
        detail={"officer": officer.id},
    )
    notices.officer_assigned(session, complaint=complaint, officer=officer)
    return officer


def reply(
    session: Session, *, settings: Settings, complaint: Complaint, actor: audit.Actor, text: str
) -> None:
    """A message to the complainant: on the timeline they see, and by SMS."""
    service.add_note(session, complaint=complaint, actor=actor, body=text, public=True)
    notify.tell(session, settings, complaint=complaint, occasion="reply", text=text.strip()[:300])


def _reopen(
    session: Session, settings: Settings, complaint: Complaint, actor: audit.Actor, why: str
) -> None:
    now = utcnow()
    complaint.reopen_count += 1
    complaint.resolution, complaint.closed_at, complaint.escalation_level = None, None, 0
    complaint.due_at = now + timedelta(hours=complaint.category.sla_hours)
    target = "acknowledged" if complaint.station_id else "received"
    timeline.record(
        session,
        complaint=complaint,
        kind="reopened",
        actor=actor,
        to_status=target,
        body=why,
        public=True,
    )
    notify.tell(session, settings, complaint=complaint, occasion="reopened")


def feedback_on_closure(session: Session, complaint: Complaint) -> Feedback | None:
    """The complainant's verdict on the latest closure, if they gave one."""
    if complaint.status != "closed" or complaint.closed_at is None:
        return None
    return session.scalar(
        select(Feedback).where(
            Feedback.complaint_id == complaint.id, Feedback.at >= complaint.closed_at
        )
    )


def give_feedback(
    session: Session,
    *,
    settings: Settings,
    complaint: Complaint,
    data: FeedbackCreate,
    actor: audit.Actor,
) -> Feedback:
    """The complainant's verdict on a closed complaint; dissatisfied reopens it."""
    if complaint.status != "closed" or complaint.closed_at is None:
        raise Conflict(_("Feedback is possible once the complaint is closed."))
    if feedback_on_closure(session, complaint) is not None:
        raise Conflict(_("You have already given feedback on this closure."))
    feedback = Feedback(
        complaint_id=complaint.id, satisfied=data.satisfied, comment=data.comment, at=utcnow()
    )
    session.add(feedback)
    timeline.record(
        session,
        complaint=complaint,
        kind="feedback",
        actor=actor,
        public=True,
        body=data.comment,
        detail={"satisfied": data.satisfied},
    )
    if not data.satisfied:
        _reopen(session, settings, complaint, actor, data.comment)
    session.flush()
    return feedback
