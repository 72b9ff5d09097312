"""What each role's home page shows: the figures that need attention now, each with the
link to the list behind it (the list's own filter, so the two agree), and the stations in
the order a senior officer should call them.

Reads only, through the features' figure and service modules, inside the caller's node.
A senior page costs a fixed number of queries whatever the number of stations: one grouped
count per feature, never one query per station.

Which station needs a call first: the one with the most things a call would ask about —
points = overdue complaints + cameras not recording + open alerts (each counts one);
ties go to more overdue complaints, then more cameras down, then more alerts, then the name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.accounts.deps import Scope
from nigrani.accounts.models import JurisdictionNode, User
from nigrani.accounts.roles import Level, Permission, Role, has_permission
from nigrani.analytics import headcount
from nigrani.analytics import wall as analytics_wall
from nigrani.canvass import figures as incident_figures
from nigrani.canvass.service import IncidentFilter
from nigrani.core.audit import AuditEntry
from nigrani.core.config import Settings
from nigrani.core.i18n import _, to_ist
from nigrani.grievances import figures as complaint_figures
from nigrani.grievances.figures import Day
from nigrani.grievances.queries import today
from nigrani.health import figures as health_figures
from nigrani.hearings import figures as hearing_figures
from nigrani.stations import compliance
from nigrani.stations import figures as camera_figures

STATION_ROLES = frozenset({Role.SHO, Role.STATION_STAFF})
SENIOR_ROLES = frozenset({Role.ACP, Role.DCP, Role.COMMISSIONER, Role.CONTROL_ROOM})
WEEK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Figure:
    """One number on a home page: what it counts, and the list that shows those items (None
    where the role may not open that list)."""

    key: str
    label: str
    value: int | float | None
    href: str | None
    urgent: bool = False  # drawn in red when it is above zero


@dataclass(frozen=True, slots=True)
class StationLine:
    """One station on a senior officer's page."""

    station: JurisdictionNode
    open: int
    overdue: int
    stopped: int
    alerts: int

    @property
    def points(self) -> int:
        """Things a call would ask about (see the module's docstring)."""
        return self.overdue + self.stopped + self.alerts

    def rank_key(self) -> tuple[int, int, int, int, str]:
        """Sorting by this puts the station to call first at the top."""
        return (-self.points, -self.overdue, -self.stopped, -self.alerts, self.station.name_en)


@dataclass(slots=True)
class Home:
    """A home page's content; `kind` picks the template's layout."""

    kind: str  # "station", "investigator", "senior" or "admin"
    node: JurisdictionNode
    figures: list[Figure] = field(default_factory=list)
    stations: list[StationLine] = field(default_factory=list)
    trend: list[Day] = field(default_factory=list)
    areas: list[tuple[JurisdictionNode, float | None]] = field(default_factory=list)
    # Today's video hearings in one's charge, for those who hold hearings (a row of its own).
    hearings: list[Figure] = field(default_factory=list)

    @property
    def call_first(self) -> StationLine | None:
        """The station at the top of the ranking, when it has anything to ask about."""
        return self.stations[0] if self.stations and self.stations[0].points else None


def link(path: str, **query: str | int) -> str:
    """A list's address with its filter."""
    return f"{path}?{urlencode(query)}" if query else path


def _may(user: User, permission: Permission) -> bool:
    return has_permission(Role(user.role), permission)


def _complaint_figures(user: User, counts: complaint_figures.PlaceCounts) -> list[Figure]:
    if not _may(user, Permission.GRIEVANCES):
        return []
    q = "/grievances"
    return [
        Figure("new", _("New complaints"), counts.new, link(q, status="assigned")),
        Figure("due_today", _("Due today"), counts.due_today, link(q, status="open", due="today")),
        Figure("overdue", _("Overdue"), counts.overdue, link(q, status="overdue"), urgent=True),
        Figure(
            "walk_ins_today",
            _("Walk-ins today"),
            counts.walk_ins_today,
            link(q, status="all", channel="walk_in", received="today"),
        ),
    ]


def _camera_figures(
    user: User, node: JurisdictionNode, stopped: int, score: float | None
) -> list[Figure]:
    video = _may(user, Permission.STATION_VIDEO)
    return [
        Figure(
            "compliance",
            _("CCTV compliance (of 100)"),
            score,
            link("/stations/compliance", node=node.code),
        ),
        Figure(
            "stopped",
            _("Cameras not recording"),
            stopped,
            link("/stations/cameras", stopped=1) if video else None,
            urgent=True,
        ),
    ]


def _health_state(node: JurisdictionNode, state: str, label: str, value: int) -> Figure:
    """The cameras in one health state in one's charge, linking to that state's list."""
    href = link("/health/cameras", node=node.code, state=state)
    return Figure(f"health_{state}", label, value, href, urgent=True)


def _health_figures(session: Session, node: JurisdictionNode) -> list[Figure]:
    """Cameras the health checks find offline or degraded in one's charge, and open health
    alerts (one statement), each linking to its list."""
    found = health_figures.home_figures(session, scope_path=node.path)
    return [
        _health_state(node, "offline", _("Cameras offline"), found.offline),
        _health_state(
            node, "degraded", _("Cameras degraded (dark, covered, blurred, moved)"), found.degraded
        ),
        Figure(
            "health_alerts",
            _("Open camera health alerts"),
            found.alerts,
            link("/health/alerts", node=node.code),
            urgent=True,
        ),
    ]


def _analytics_figures(
    session: Session, user: User, node: JurisdictionNode, now: datetime
) -> list[Figure]:
    """Station analytics alerts not yet resolved or called false, and the people the
    analysed cameras see waiting now, for those who act on them."""
    if not _may(user, Permission.HANDLE_ANALYTICS_ALERTS):
        return []
    found = analytics_wall.active_count(session, scope_path=node.path)
    counted = headcount.by_station(session, path=node.path, now=now).values()
    href = "/analytics" if node.level == Level.STATION.value else link("/analytics", node=node.code)
    return [
        Figure("analytics_alerts", _("Open analytics alerts"), found, href, urgent=True),
        Figure("analytics_waiting", _("People waiting now"), sum(c.waiting for c in counted), href),
    ]


def _hearing_figures(session: Session, scope: Scope, now: datetime) -> list[Figure]:
    """Today's hearings in one's charge: citizens waiting, heard and who did not come, each
    linking to today's hearings dashboard."""
    if not _may(scope.user, Permission.HOLD_HEARINGS):
        return []
    found = hearing_figures.today(
        session, scope_path=scope.node.path, user_id=scope.user.id, now=now
    )
    day = to_ist(now).date().isoformat()
    href = link("/hearings/dashboard", **{"from": day, "to": day})
    return [
        Figure("hearings_waiting", _("Waiting"), found.waiting, href),
        Figure("hearings_heard", _("Heard"), found.heard, href),
        Figure("hearings_no_shows", _("Did not come"), found.no_shows, href, True),
    ]


def station_home(session: Session, *, scope: Scope, settings: Settings, now: datetime) -> Home:
    """An SHO's or station staff's home: today's complaints, footage, the station's CCTV."""
    node, user = scope.node, scope.user
    counts = complaint_figures.total(
        complaint_figures.by_path(session, scope_path=node.path, now=now)
    )
    since = camera_figures.working_since(settings, now)
    stopped = camera_figures.not_recording_by_station(session, scope_path=node.path, since=since)
    board = compliance.board(session, node=node, settings=settings, now=now)
    found = _complaint_figures(user, counts)
    if _may(user, Permission.CANVASS):
        f = IncidentFilter(footage="received")
        received = incident_figures.count(session, scope_path=node.path, f=f)
        found.append(
            Figure(
                "footage_received",
                _("Incidents with footage received"),
                received,
                link("/incidents", footage="received"),
            )
        )
    found += _camera_figures(user, node, sum(stopped.values()), board.total.score)
    found += _health_figures(session, node)
    found += _analytics_figures(session, user, node, now)
    trend = complaint_figures.trend(session, scope_path=node.path, now=now)
    hearings = _hearing_figures(session, scope, now)
    return Home("station", node, found, trend=trend, hearings=hearings)


def investigator_home(session: Session, *, scope: Scope, now: datetime) -> Home:
    """An investigating officer's home: their incidents and the footage asked for in them."""
    mine = incident_figures.counts(
        session, scope_path=scope.node.path, since=now - WEEK, officer_id=scope.user.id
    )
    q = "/incidents"
    return Home(
        "investigator",
        scope.node,
        [
            Figure(
                "my_incidents", _("My open incidents"), mine.open, link(q, status="open", mine=1)
            ),
            Figure(
                "footage_waiting",
                _("Footage asked, no answer yet"),
                mine.footage["waiting"],
                link(q, mine=1, footage="waiting"),
            ),
            Figure(
                "footage_received",
                _("Footage received"),
                mine.footage["received"],
                link(q, mine=1, footage="received"),
            ),
            Figure(
                "footage_declined",
                _("Footage declined"),
                mine.footage["declined"],
                link(q, mine=1, footage="declined"),
                urgent=True,
            ),
        ],
    )


def station_lines(
    session: Session,
    *,
    node: JurisdictionNode,
    complaints: dict[str, complaint_figures.PlaceCounts],
    settings: Settings,
    now: datetime,
) -> tuple[list[StationLine], int]:
    """Every station under a node with its figures, the one to call first at the top, and
    the number of open alerts the compliance board lists (the tree, cameras and alerts: three
    queries, whatever the number of stations)."""
    stations = [n for n in jurisdiction.subtree(session, node) if n.level == Level.STATION.value]
    since = camera_figures.working_since(settings, now)
    stopped = camera_figures.not_recording_by_station(session, scope_path=node.path, since=since)
    alerts = camera_figures.open_alerts(session, scope_path=node.path)
    lines = []
    for station in stations:
        counts = complaint_figures.under(complaints, station.path)
        mine = sum(
            jurisdiction.within(a.node_path, station.path) for a in alerts if a.node_path != "/"
        )
        lines.append(
            StationLine(station, counts.open, counts.overdue, stopped.get(station.id, 0), mine)
        )
    lines.sort(key=StationLine.rank_key)
    return lines, len(alerts)


def senior_home(session: Session, *, scope: Scope, settings: Settings, now: datetime) -> Home:
    """An ACP's, DCP's, the Commissioner's or the control room's home: the stations ranked,
    complaints and breaches over 30 days, compliance by area, cameras down, alerts, incidents."""
    node = scope.node
    complaints = complaint_figures.by_path(session, scope_path=node.path, now=now)
    lines, alerts = station_lines(
        session, node=node, complaints=complaints, settings=settings, now=now
    )
    counts = complaint_figures.total(complaints)
    board = compliance.board(session, node=node, settings=settings, now=now)
    week = incident_figures.count(
        session,
        scope_path=node.path,
        f=IncidentFilter(since=now - WEEK),
    )
    found = [f for f in _complaint_figures(scope.user, counts) if f.key in ("overdue", "due_today")]
    found += _camera_figures(scope.user, node, sum(s.stopped for s in lines), board.total.score)
    found += [
        Figure(
            "alerts",
            _("Open station alerts"),
            alerts,
            "/stations/compliance#board-alerts",
            urgent=True,
        ),
        Figure("incidents_week", _("Incidents this week"), week, link("/incidents", days=7)),
        *_health_figures(session, node),
        *_analytics_figures(session, scope.user, node, now),
    ]
    return Home(
        "senior",
        node,
        found,
        stations=lines,
        trend=complaint_figures.trend(session, scope_path=node.path, now=now),
        areas=[(a.node, a.score) for a in board.areas if a.node is not None],
        hearings=_hearing_figures(session, scope, now),
    )


def admin_home(session: Session, *, scope: Scope, now: datetime) -> Home:
    """An administrator's or auditor's home: staff accounts, today's audit rows, the tree."""
    node, user = scope.node, scope.user
    admin = _may(user, Permission.MANAGE_USERS)
    staff = session.scalar(
        select(func.count(User.id))
        .join(JurisdictionNode, User.node_id == JurisdictionNode.id)
        .where(jurisdiction.under(JurisdictionNode.path, node.path), User.is_active.is_(True))
    )
    audited = session.scalar(
        select(func.count(AuditEntry.id)).where(AuditEntry.at >= today(now)[0])
    )
    levels = dict(
        session.execute(
            select(JurisdictionNode.level, func.count(JurisdictionNode.id))
            .where(jurisdiction.under(JurisdictionNode.path, node.path))
            .group_by(JurisdictionNode.level)
        ).all()
    )
    audit_today = link("/audit", since=to_ist(now).date().isoformat())  # the IST day
    tree = (
        "/admin/tree"
        if _may(user, Permission.MANAGE_JURISDICTION)
        else f"/jurisdiction/{node.code}"
    )
    found = [
        Figure("staff", _("Active staff accounts"), staff or 0, "/admin/users" if admin else None),
        Figure(
            "audit_today",
            _("Audit entries today"),
            audited or 0,
            audit_today if _may(user, Permission.VIEW_AUDIT) else None,
        ),
        Figure("stations", _("Police stations"), levels.get(Level.STATION.value, 0), tree),
        Figure("posts", _("Police posts"), levels.get(Level.POST.value, 0), tree),
    ]
    return Home("admin", node, found)


def home_for(session: Session, *, scope: Scope, settings: Settings, now: datetime) -> Home:
    """The home page of the caller's role."""
    role = Role(scope.user.role)
    if role in STATION_ROLES:
        return station_home(session, scope=scope, settings=settings, now=now)
    if role is Role.INVESTIGATING_OFFICER:
        return investigator_home(session, scope=scope, now=now)
    if role in SENIOR_ROLES:
        return senior_home(session, scope=scope, settings=settings, now=now)
    return admin_home(session, scope=scope, now=now)
