"""Complaints in figures for the home pages: what a station must act on today, per place,
and the breaches of the last days — each figure counted the way the queue's filters list it
(`queries.QueueFilter`), so a number and the list behind it agree."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Integer, case, func, or_, select
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.core.i18n import to_ist
from nigrani.grievances.models import OPEN_STATUSES, Complaint
from nigrani.grievances.queries import today


@dataclass(frozen=True, slots=True)
class PlaceCounts:
    """One node path's complaints: new (assigned, not acknowledged), open, overdue, due
    today, walk-ins received today."""

    new: int = 0
    open: int = 0
    overdue: int = 0
    due_today: int = 0
    walk_ins_today: int = 0

    def __add__(self, other: PlaceCounts) -> PlaceCounts:
        return PlaceCounts(
            self.new + other.new,
            self.open + other.open,
            self.overdue + other.overdue,
            self.due_today + other.due_today,
            self.walk_ins_today + other.walk_ins_today,
        )


def _total(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).cast(Integer)


def by_path(session: Session, *, scope_path: str, now: datetime) -> dict[str, PlaceCounts]:
    """Counts per node path under a node, in one grouped query over open complaints and
    today's (both indexed: status and received_at, within node_path)."""
    start, end = today(now)
    is_open = Complaint.status.in_(OPEN_STATUSES)
    stmt = (
        select(
            Complaint.node_path,
            _total(Complaint.status == "assigned"),
            _total(is_open),
            _total(is_open & (Complaint.due_at < now)),
            _total(is_open & (Complaint.due_at >= now) & (Complaint.due_at < end)),
            _total((Complaint.channel == "walk_in") & (Complaint.received_at >= start)),
        )
        .where(
            jurisdiction.under(Complaint.node_path, scope_path),
            or_(is_open, Complaint.received_at >= start),
        )
        .group_by(Complaint.node_path)
    )
    return {row[0]: PlaceCounts(*(int(n) for n in row[1:])) for row in session.execute(stmt)}


def total(counts: dict[str, PlaceCounts]) -> PlaceCounts:
    """All places added up."""
    return sum(counts.values(), PlaceCounts())


def under(counts: dict[str, PlaceCounts], path: str) -> PlaceCounts:
    """The places at or under one node (a station with its posts)."""
    return total({p: c for p, c in counts.items() if jurisdiction.within(p, path)})


@dataclass(frozen=True, slots=True)
class Day:
    """One IST day of the trend: complaints received, and SLA breaches (complaints whose
    deadline fell that day and passed before they were closed)."""

    day: date
    received: int
    breached: int


def trend(session: Session, *, scope_path: str, now: datetime, days: int = 30) -> list[Day]:
    """The last `days` IST days up to today, oldest first, from one query over the
    complaints received or due in that time."""
    first = to_ist(now).date() - timedelta(days=days - 1)
    since = today(now)[0] - timedelta(days=days - 1)
    rows = session.execute(
        select(Complaint.received_at, Complaint.due_at, Complaint.closed_at).where(
            jurisdiction.under(Complaint.node_path, scope_path),
            or_(Complaint.received_at >= since, Complaint.due_at >= since),
        )
    ).all()
    received: Counter[date] = Counter()
    breached: Counter[date] = Counter()
    for got, due, closed in rows:
        received[to_ist(got).date()] += 1
        if due < now and (closed is None or closed > due):
            breached[to_ist(due).date()] += 1
    span = [first + timedelta(days=i) for i in range(days)]
    return [Day(d, received[d], breached[d]) for d in span]
