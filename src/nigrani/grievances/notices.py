"""In-app notifications of a complaint's events: who is told when it is assigned or overdue.

Called by the service that makes the event, in its transaction. Each event instance is
named by what makes it one occurrence (the timeline line that records an assignment, the
rung of an escalation in this opening of the complaint), so telling it again tells no one
twice.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigrani.accounts import notifications
from nigrani.accounts.models import JurisdictionNode, User
from nigrani.accounts.roles import Role
from nigrani.grievances.models import Complaint, ComplaintEvent

# Who of a station hears that a complaint came to it.
STATION_ROLES = (Role.SHO, Role.STATION_STAFF)
# Who hears of an overdue complaint at each rung besides the SHO (as sla.LEVEL_ROLES).
RUNG_ROLES = {1: (Role.SHO,), 2: (Role.ACP,), 3: (Role.DCP,)}
TRIAGE_ROLES = (Role.CONTROL_ROOM, Role.COMMISSIONER)


def _link(complaint: Complaint) -> str:
    return f"/grievances/{complaint.id}"


def _line(session: Session, complaint: Complaint, *kinds: str) -> int:
    """The id of the complaint's newest timeline line of these kinds (0: none yet)."""
    stmt = select(func.max(ComplaintEvent.id)).where(
        ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.kind.in_(kinds)
    )
    return int(session.scalar(stmt) or 0)


def _event(complaint: Complaint, kind: str, event: str, **params: int | str) -> notifications.Event:
    return notifications.Event(
        kind=kind,
        object_type="complaint",
        object_id=complaint.id,
        event=event,
        link=_link(complaint),
        params={"number": complaint.number, **params},
    )


def station_assigned(session: Session, *, complaint: Complaint, station: JurisdictionNode) -> int:
    """Tell the station's SHO and staff that the complaint came to them (routed or moved)."""
    line = _line(session, complaint, "routed", "transfer")
    users = notifications.users_under(session, node_path=station.path, roles=STATION_ROLES)
    event = _event(complaint, notifications.ASSIGNED, f"line:{line}", to="station")
    return notifications.notify(session, users=users, event=event)


def officer_assigned(session: Session, *, complaint: Complaint, officer: User) -> int:
    """Tell the officer that the complaint is theirs now."""
    line = _line(session, complaint, "assigned")
    event = _event(complaint, notifications.ASSIGNED, f"line:{line}", to="officer")
    return notifications.notify(session, users=[officer.id], event=event)


def escalated(session: Session, *, complaint: Complaint, level: int, node: JurisdictionNode) -> int:
    """Tell the SHO and whoever the rung raised it to (ACP, DCP; triage: the control room)."""
    if complaint.station is None:
        users = notifications.users_under(session, node_path=node.path, roles=TRIAGE_ROLES)
    else:
        users = notifications.users_under(
            session, node_path=complaint.station.path, roles=(Role.SHO,)
        )
        users += notifications.users_under(session, node_path=node.path, roles=RUNG_ROLES[level])
    kind = notifications.OVERDUE if level <= 1 else notifications.ESCALATED
    event = _event(complaint, kind, f"open:{complaint.reopen_count}:rung:{level}", level=level)
    return notifications.notify(session, users=users, event=event)
