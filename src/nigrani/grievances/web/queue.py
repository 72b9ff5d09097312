"""Officer pages: the queue with filters, a complaint with its timeline, the dashboard, CSV."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from nigrani.accounts.deps import Scope
from nigrani.accounts.jurisdiction import within
from nigrani.accounts.models import User
from nigrani.accounts.pages import page
from nigrani.accounts.roles import STAFF_ROLES, Level
from nigrani.core.db import utcnow
from nigrani.core.deps import DbSession
from nigrani.core.i18n import _
from nigrani.core.params import PageNo
from nigrani.grievances import duplicates, labels, queries, routing, service, timeline
from nigrani.grievances.deps import GrievanceOfficer, ScopedComplaint
from nigrani.grievances.models import CHANNELS, OPEN_STATUSES, STATUSES, Complaint
from nigrani.stations import playback as station_playback

router = APIRouter(include_in_schema=False)
PER_PAGE = 50
Status = Annotated[str, Query(pattern="^(open|overdue|all|" + "|".join(STATUSES) + ")?$")]


TRIAGE = "triage"  # the station filter's value for complaints with no station yet
Station = Annotated[str, Query(max_length=40)]
Done = Annotated[str, Query(max_length=20)]  # what the last action did (done_message)
Today = Annotated[str, Query(pattern="^(today)?$")]  # due=today, received=today (IST)


def _filter(
    db: DbSession, status: str, category: str, officer: str, channel: str, number: str, station: str
) -> queries.QueueFilter:
    return queries.QueueFilter(
        status="" if status == "all" else (status or "open"),
        category=category[:40],
        officer_id=int(officer) if officer.isdigit() else None,
        channel=channel[:16],
        number=number[:40],
        station_path=routing.station_by_code(db, station).path
        if station and station != TRIAGE
        else "",
        triage=station == TRIAGE,
    )


def age(received: datetime, now: datetime) -> str:
    """How long ago a complaint came, in the unit an officer reads at a glance."""
    minutes = max(0, int((now - received).total_seconds() // 60))
    if minutes < 60:
        return _("{n} min").format(n=minutes)
    if minutes < 48 * 60:
        return _("{n} h").format(n=minutes // 60)
    return _("{n} days").format(n=minutes // (24 * 60))


def done_message(done: str) -> str | None:
    """The message after an action (its key comes back in ?done= after the redirect), in
    the page's language; None for no key or one we did not send."""
    messages = {
        "acknowledged": _("Complaint acknowledged."),
        "investigating": _("Investigation started."),
        "action_taken": _("Action taken is recorded."),
        "closed": _("Complaint closed."),
        "replied": _("Reply sent to the complainant."),
        "noted": _("Internal note added."),
        "transferred": _("Complaint transferred."),
        "assigned": _("Complaint given to the officer."),
    }
    return messages.get(done)


def officers_under(db: DbSession, path: str) -> list[User]:
    """Active staff at or under a node: who a complaint can be given to."""
    stmt = select(User).join(User.node).where(User.is_active.is_(True))
    rows = db.scalars(stmt.order_by(User.full_name)).all()
    return [u for u in rows if u.node and within(u.node.path, path) and u.role in STAFF_ROLES]


@router.get("/grievances")
def queue_page(
    request: Request,
    db: DbSession,
    scope: GrievanceOfficer,
    status: Status = "open",
    category: Annotated[str, Query(max_length=40)] = "",
    officer: Annotated[str, Query(max_length=12)] = "",
    channel: Annotated[str, Query(max_length=16)] = "",
    number: Annotated[str, Query(max_length=40)] = "",
    station: Station = "",
    due: Today = "",
    received: Today = "",
    page_no: PageNo = 1,
    done: Done = "",
) -> HTMLResponse:
    """Complaints in the caller's charge, most urgent first; 'mine' is officer=<own id>.

    Above a station (circle, zone, control room) it can narrow to one station, or to the
    complaints no station has yet (triage)."""
    f = _filter(db, status, category, officer, channel, number, station)
    f = replace(f, due=due, received=received)  # the home page's "due today", "walk-ins today"
    rows, total = queries.queue(
        db, scope_path=scope.node.path, f=f, page=page_no, per_page=PER_PAGE
    )
    return page(
        request,
        "grievances/queue.html",
        user=scope.user,
        complaints=rows,
        total=total,
        page_no=page_no,
        pages=max(1, -(-total // PER_PAGE)),
        f=f,
        status=status or "open",
        categories=service.categories(db),
        officers=officers_under(db, scope.node.path),
        labels=labels,
        statuses=STATUSES,
        channels=CHANNELS,
        station=station,
        station_groups=routing.station_choices(db, under=scope.node.path)
        if scope.node.level not in (Level.STATION, Level.POST)
        else [],
        now=utcnow(),
        age=age,
        open_statuses=OPEN_STATUSES,
        done_message=done_message(done),
    )


@router.get("/grievances/export.csv")
def export_csv(
    db: DbSession,
    scope: GrievanceOfficer,
    status: Status = "all",
    category: Annotated[str, Query(max_length=40)] = "",
    officer: Annotated[str, Query(max_length=12)] = "",
    channel: Annotated[str, Query(max_length=16)] = "",
    number: Annotated[str, Query(max_length=40)] = "",
    station: Station = "",
) -> Response:
    """The filtered queue as CSV (complainants masked)."""
    f = _filter(db, status, category, officer, channel, number, station)
    body = b"".join(queries.csv_chunks(db, scope_path=scope.node.path, f=f))
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="complaints.csv"'},
    )


@router.get("/grievances/dashboard")
def dashboard_page(request: Request, db: DbSession, scope: GrievanceOfficer) -> HTMLResponse:
    """Figures per unit under the caller's node: received, pending, overdue, time, satisfaction."""
    units, total = queries.dashboard(db, node=scope.node)
    escalated, _n = queries.queue(
        db, scope_path=scope.node.path, f=queries.QueueFilter(status="overdue"), per_page=20
    )
    return page(
        request,
        "grievances/dashboard.html",
        user=scope.user,
        units=units,
        total=total,
        escalated=escalated,
        node=scope.node,
        labels=labels,
    )


@router.get("/grievances/{complaint_id}")
def complaint_page(
    request: Request,
    db: DbSession,
    scope: GrievanceOfficer,
    complaint: ScopedComplaint,
    error: str | None = None,
    done: Done = "",
) -> HTMLResponse:
    """A complaint with its timeline, reply box, state buttons, transfer and duplicates."""
    return complaint_view(
        request, db, scope, complaint, error=error, done_message=done_message(done)
    )


def complaint_view(
    request: Request, db: DbSession, scope: Scope, complaint: Complaint, **extra: Any
) -> HTMLResponse:
    """The complaint page; `extra` adds to its context (a number shown, a message)."""
    station_officers = officers_under(db, complaint.node_path) if complaint.station_id else []
    return page(
        request,
        "grievances/complaint.html",
        user=scope.user,
        c=complaint,
        events=timeline.events(db, complaint),
        files=service.attachments(db, complaint),
        duplicates=duplicates.suggest(db, complaint),
        officers=station_officers,
        labels=labels,
        station_groups=routing.station_choices(db),
        reception_link=station_playback.visit_camera_link(
            db, scope=scope, station_id=complaint.station_id, visited_at=complaint.received_at
        )
        if complaint.channel == "walk_in"
        else None,
        **extra,
    )
