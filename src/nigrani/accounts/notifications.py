"""In-app notifications: what happened that one user must look at, one row per event.

Features write them from the service where the event happens, in the same transaction
(`notify`), so an event that rolls back tells nobody. Each row is unique per (user, kind,
object, event instance) and goes in with INSERT … ON CONFLICT DO NOTHING, so a retried
event or a repeated sweep tells no one twice, even when two sweeps run at once. A row keeps
ids and numbers only (never a name or a phone number); its text is written when it is
shown, from the kind, in the reader's language.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    literal,
    select,
    update,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from nigrani.accounts.jurisdiction import under
from nigrani.accounts.models import JurisdictionNode, User
from nigrani.accounts.roles import Role
from nigrani.core.db import Base, UTCDateTime, utcnow
from nigrani.core.errors import NotFound
from nigrani.core.i18n import _, current_language

ASSIGNED = "complaint.assigned"
OVERDUE = "complaint.overdue"
ESCALATED = "complaint.escalated"
FOOTAGE = "footage.received"
CAMERA_STOPPED = "camera.stopped"
CAMERA_OFFLINE = "camera.offline"  # a probed camera offline too long (nigrani.health)
AREA_DARK = "area.dark"  # many cameras of one place offline at once
ANALYTICS_ALERT = "analytics.alert"  # a station analytics rule raised an alert
HEARING_WAITING = "hearing.waiting"  # the first citizen is in an officer's hearing queue
KINDS = (
    ASSIGNED,
    OVERDUE,
    ESCALATED,
    FOOTAGE,
    CAMERA_STOPPED,
    CAMERA_OFFLINE,
    AREA_DARK,
    ANALYTICS_ALERT,
    HEARING_WAITING,
)
PER_PAGE = 20
UNREAD = sql_text("read_at IS NULL")
# A run of digits as long as a mobile number's: refused in a notification's parameters.
_PHONE_LIKE = re.compile(r"\d{8,}")
Param = int | str


class Notification(Base):
    """One thing one user is told of: a kind, the object it is about, read or not."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint(
            "user_id", "kind", "object_type", "object_id", "event", name="uq_notifications_event"
        ),
        # The badge's COUNT of unread rows (a partial index of the unread only: read rows
        # pile up, unread ones stay few), and the list newest first: both by index.
        Index("ix_notifications_unread", "user_id", postgresql_where=UNREAD, sqlite_where=UNREAD),
        Index("ix_notifications_newest", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(24))
    object_id: Mapped[int] = mapped_column(Integer)
    # Which occurrence of the event (a timeline line, an escalation rung, a gap's id).
    event: Mapped[str] = mapped_column(String(80))
    params: Mapped[str] = mapped_column(Text, default="{}")
    link: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def values(self) -> dict[str, Any]:
        """The parameters the text is written from."""
        found: dict[str, Any] = json.loads(self.params or "{}")
        return found


@dataclass(frozen=True, slots=True)
class Event:
    """What happened, to whom it is told: the object, which occurrence, and where to look."""

    kind: str
    object_type: str
    object_id: int
    event: str
    link: str
    params: dict[str, Param]

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown notification kind {self.kind!r}")
        if not self.link.startswith("/"):
            raise ValueError("a notification links to a page of this site")
        for name, value in self.params.items():
            # Ids, numbers and codes only: a name or a phone number has no place here.
            if not isinstance(value, int) and (
                not isinstance(value, str) or len(value) > 60 or _PHONE_LIKE.search(value)
            ):
                raise ValueError(f"parameter {name!r}: an id, a number or a short code")


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Notification)


def notify(session: Session, *, users: Iterable[int], event: Event) -> int:
    """Tell each user (once, however often the event is told); how many were new."""
    recipients = sorted(set(users))
    if not recipients:
        return 0
    now = utcnow()
    params = json.dumps(event.params, sort_keys=True, ensure_ascii=False)
    rows = [
        {
            "user_id": user_id,
            "kind": event.kind,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "event": event.event[:80],
            "params": params,
            "link": event.link[:300],
            "created_at": now,
        }
        for user_id in recipients
    ]
    stmt = _insert(session).values(rows).on_conflict_do_nothing()
    # RETURNING, not rowcount: a driver may report -1 for rows it skipped.
    return len(session.execute(stmt.returning(Notification.id)).all())


def users_under(session: Session, *, node_path: str, roles: Iterable[Role]) -> list[int]:
    """The active users of these roles attached to a node or below it (a station's posts)."""
    stmt = (
        select(User.id)
        .join(JurisdictionNode, JurisdictionNode.id == User.node_id)
        .where(
            under(JurisdictionNode.path, node_path),
            User.is_active.is_(True),
            User.role.in_([r.value for r in roles]),
        )
    )
    return list(session.scalars(stmt.order_by(User.id)))


def station_readers(session: Session, *, node_path: str) -> list[int]:
    """Who hears of a station's camera alerts: its SHO, and the control-room operators
    whose charge holds the station."""
    shos = users_under(session, node_path=node_path, roles=(Role.SHO,))
    above = (
        select(User.id)
        .join(JurisdictionNode, JurisdictionNode.id == User.node_id)
        .where(User.role == Role.CONTROL_ROOM.value, User.is_active.is_(True))
        .where(literal(node_path).like(JurisdictionNode.path + "%"))
    )
    return sorted({*shos, *session.scalars(above)})


def unread_count(session: Session, user_id: int) -> int:
    """How many of the user's notifications are unread (the badge): one indexed COUNT."""
    stmt = select(func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    return int(session.scalar(stmt) or 0)


def _newest(user_id: int) -> Any:
    return (
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )


def recent_for(session: Session, user: User, limit: int = 5) -> list[Notification]:
    """The user's newest notifications (a home page's short list)."""
    return list(session.scalars(_newest(user.id).limit(max(0, limit))))


@dataclass(frozen=True, slots=True)
class NotificationPage:
    """One page of a user's notifications, newest first."""

    items: list[Notification]
    page: int
    pages: int
    total: int
    unread: int


def page_for(session: Session, user: User, *, page: int = 1) -> NotificationPage:
    """A page of the user's notifications (a page past the last shows the last)."""
    total = int(
        session.scalar(select(func.count(Notification.id)).where(Notification.user_id == user.id))
        or 0
    )
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, page), pages)
    stmt = _newest(user.id).offset((page - 1) * PER_PAGE).limit(PER_PAGE)
    items = list(session.scalars(stmt))
    return NotificationPage(items, page, pages, total, unread_count(session, user.id))


def open_one(session: Session, *, user: User, notification_id: int) -> str:
    """Mark one of the user's own notifications read; the page it links to.

    Another user's notification is NotFound, as if it did not exist."""
    found = session.scalar(
        select(Notification).where(
            Notification.id == notification_id, Notification.user_id == user.id
        )
    )
    if found is None:
        raise NotFound(_("No such notification"))
    if found.read_at is None:
        found.read_at = utcnow()
        session.flush()
    return found.link


def mark_all_read(session: Session, *, user: User) -> int:
    """Mark every unread notification of the user read; how many were."""
    stmt = (
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


def text(notification: Notification) -> str:
    """What the notification says, in the current language."""
    v = notification.values
    match notification.kind:
        case "complaint.assigned" if v.get("to") == "officer":
            return _("Complaint {number} was assigned to you.").format(number=v.get("number"))
        case "complaint.assigned":
            return _("Complaint {number} was assigned to your station.").format(
                number=v.get("number")
            )
        case "complaint.overdue":
            return _("Complaint {number} is overdue.").format(number=v.get("number"))
        case "complaint.escalated" if v.get("level") == 2:
            return _("Complaint {number} is overdue and was raised to the ACP.").format(
                number=v.get("number")
            )
        case "complaint.escalated" if v.get("level") == 3:
            return _("Complaint {number} is overdue and was raised to the DCP.").format(
                number=v.get("number")
            )
        case "complaint.escalated":
            return _("Complaint {number} is overdue and was raised higher.").format(
                number=v.get("number")
            )
        case "footage.received":
            return _("Footage received for incident {number} (camera site #{site}).").format(
                number=v.get("number"), site=v.get("site")
            )
        case "camera.stopped":
            return _("Station camera “{name}” stopped recording.").format(name=v.get("name"))
        case "camera.offline":
            return _("Camera “{name}” has been offline for more than {minutes} minutes.").format(
                name=v.get("name"), minutes=v.get("minutes")
            )
        case "area.dark" if v.get("place"):
            return _(
                "{count} cameras at “{place}” went offline at once (likely power or network)."
            ).format(count=v.get("count"), place=v.get("place"))
        case "area.dark" if v.get("station"):
            station = v.get("station_hi") if current_language.get() == "hi" else None
            return _(
                "{count} cameras of {station} police station went offline at once (likely "
                "power or network)."
            ).format(count=v.get("count"), station=station or v.get("station"))
        case "area.dark":
            return _(
                "{count} cameras of a station went offline at once (likely power or network)."
            ).format(count=v.get("count"))
        case "analytics.alert":
            station = v.get("station_hi") if current_language.get() == "hi" else None
            return _("New alert at {station} police station: {rule}.").format(
                station=station or v.get("station"), rule=_rule_title(str(v.get("rule")))
            )
        case "hearing.waiting":
            return _("Citizens are waiting in your video hearing's queue ({day}).").format(
                day=v.get("day")
            )
    return _("Notification")


def _rule_title(kind: str) -> str:
    # The analytics rules' names (analytics sits above accounts, so they are named here too).
    titles = {
        "crowd_waiting": _("Crowd left waiting"),
        "long_wait": _("One person waiting long"),
        "desk_unattended": _("Desk unattended"),
        "phone_in_hand": _("Phone in hand at a staff place"),
        "raised_voice": _("Raised voice"),
        "camera_tamper": _("Camera covered or moved"),
    }
    return titles.get(kind, _("Station camera alert"))
