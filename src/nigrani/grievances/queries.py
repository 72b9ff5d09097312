"""What officers look at: queues with filters, dashboard figures, the CSV export."""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.accounts.models import JurisdictionNode
from nigrani.core.db import utcnow
from nigrani.core.i18n import to_ist
from nigrani.core.text import safe_cell
from nigrani.grievances.models import OPEN_STATUSES, Complaint, Feedback


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """The filters of a queue; `status` may also be "open" or "overdue"."""

    status: str = "open"
    category: str = ""
    officer_id: int | None = None
    channel: str = ""
    number: str = ""
    station_path: str = ""  # only complaints at or under this station
    triage: bool = False  # only complaints with no station yet (the control room's)
    due: str = ""  # "today": open, not yet overdue, due before midnight IST
    received: str = ""  # "today": received since midnight IST


def _where(scope_path: str, f: QueueFilter, now: datetime) -> list[ColumnElement[bool]]:
    where = [jurisdiction.under(Complaint.node_path, scope_path)]
    if f.status == "open":
        where.append(Complaint.status.in_(OPEN_STATUSES))
    elif f.status == "overdue":
        where += [Complaint.status.in_(OPEN_STATUSES), Complaint.due_at < now]
    elif f.status:
        where.append(Complaint.status == f.status)
    if f.category:
        where.append(Complaint.category_code == f.category)
    if f.officer_id is not None:
        where.append(Complaint.assigned_to == f.officer_id)
    if f.channel:
        where.append(Complaint.channel == f.channel)
    if f.number:
        where.append(Complaint.number.contains(f.number.strip().upper()))
    if f.station_path:
        where.append(jurisdiction.under(Complaint.node_path, f.station_path))
    if f.triage:
        where.append(Complaint.station_id.is_(None))
    start, end = today(now)
    if f.due == "today":
        where += [Complaint.status.in_(OPEN_STATUSES), Complaint.due_at >= now]
        where.append(Complaint.due_at < end)
    if f.received == "today":
        where.append(Complaint.received_at >= start)
    return where


def today(now: datetime, tz: str = "Asia/Kolkata") -> tuple[datetime, datetime]:
    """Today's midnight and the next, in IST (as aware times): "today" as a station reads it."""
    start = to_ist(now, tz).replace(hour=0, minute=0, second=0, microsecond=0)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def queue(
    session: Session, *, scope_path: str, f: QueueFilter, page: int = 1, per_page: int = 50
) -> tuple[list[Complaint], int]:
    """Complaints under a node that pass the filters, most urgent first, and the total."""
    where = _where(scope_path, f, utcnow())
    total = session.scalar(select(func.count(Complaint.id)).where(*where)) or 0
    rows = session.scalars(
        select(Complaint)
        .where(*where)
        .order_by(Complaint.due_at, Complaint.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(rows), total


@dataclass(slots=True)
class Figures:
    """A unit's figures: received, pending, overdue, median hours to close, satisfaction."""

    node: JurisdictionNode | None
    received: int = 0
    pending: int = 0
    overdue: int = 0
    close_hours: list[float] = field(default_factory=list)
    satisfied: int = 0
    rated: int = 0

    @property
    def median_hours(self) -> float | None:
        """Median time from receipt to closure, in hours (None before any closure)."""
        return statistics.median(self.close_hours) if self.close_hours else None

    @property
    def satisfaction(self) -> float | None:
        """Share of feedback that was 'satisfied', 0 to 1 (None without feedback)."""
        return self.satisfied / self.rated if self.rated else None


def _bucket(path: str, units: dict[str, Figures]) -> Figures | None:
    for prefix, figures in units.items():
        if jurisdiction.within(path, prefix):
            return figures
    return None


def _count(
    fig: Figures,
    total: Figures,
    row: tuple[str, datetime, datetime | None, datetime],
    now: datetime,
) -> None:
    status, received, closed, due = row
    for target in (fig, total):
        target.received += 1
        if status in OPEN_STATUSES:
            target.pending += 1
            target.overdue += int(due < now)
        elif closed is not None:
            target.close_hours.append((closed - received).total_seconds() / 3600)


def dashboard(session: Session, *, node: JurisdictionNode) -> tuple[list[Figures], Figures]:
    """Figures per unit directly under a node (zones, circles or stations), and the total."""
    units = {child.path: Figures(child) for child in jurisdiction.children(session, node)}
    total, now, rest = Figures(node), utcnow(), Figures(None)
    rows = session.execute(
        select(
            Complaint.node_path,
            Complaint.status,
            Complaint.received_at,
            Complaint.closed_at,
            Complaint.due_at,
        ).where(jurisdiction.under(Complaint.node_path, node.path))
    )
    for path, status, received, closed, due in rows:
        _count(_bucket(path, units) or rest, total, (status, received, closed, due), now)
    votes = session.execute(
        select(Complaint.node_path, Feedback.satisfied)
        .join(Feedback, Feedback.complaint_id == Complaint.id)
        .where(jurisdiction.under(Complaint.node_path, node.path))
    )
    for path, satisfied in votes:
        for target in (_bucket(path, units) or rest, total):
            target.rated, target.satisfied = target.rated + 1, target.satisfied + int(satisfied)
    unit_rows = list(units.values()) + ([rest] if rest.received else [])
    return unit_rows, total


CSV_COLUMNS = (
    "number",
    "received_at_ist",
    "channel",
    "category",
    "status",
    "resolution",
    "station",
    "address",
    "complainant",
    "due_at_ist",
    "closed_at_ist",
    "overdue",
)


def _row(c: Complaint, now: datetime) -> list[str]:
    def ist(value: datetime | None) -> str:
        return to_ist(value).strftime("%Y-%m-%d %H:%M") if value else ""

    overdue = c.status in OPEN_STATUSES and c.due_at < now
    return [
        c.number,
        ist(c.received_at),
        c.channel,
        c.category_code,
        c.status,
        c.resolution or "",
        c.station.code if c.station else "triage",
        safe_cell(c.address),
        c.phone_masked or "",
        ist(c.due_at),
        ist(c.closed_at),
        "yes" if overdue else "no",
    ]


def csv_chunks(session: Session, *, scope_path: str, f: QueueFilter) -> Iterator[bytes]:
    """The queue as CSV, UTF-8 with a BOM (Excel shows Hindi), complainants masked."""
    buffer, now = io.StringIO(), utcnow()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(CSV_COLUMNS)
    page = 1
    while True:
        rows, _total = queue(session, scope_path=scope_path, f=f, page=page, per_page=500)
        writer.writerows(_row(c, now) for c in rows)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
        if len(rows) < 500:
            return
        page += 1
