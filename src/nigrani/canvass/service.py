"""Incidents and their canvass: which cameras could have seen the place in the window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.accounts.models import JurisdictionNode, User
from nigrani.accounts.roles import Permission, Role, has_permission
from nigrani.cameras import service as camera_service
from nigrani.cameras import spatial
from nigrani.cameras.models import Site
from nigrani.canvass import cards, fov
from nigrani.canvass.cards import SiteCard
from nigrani.canvass.models import LIVE_REQUEST, FootageRequest, Incident
from nigrani.canvass.schemas import MAX_RADIUS_M, IncidentCreate
from nigrani.core import audit
from nigrani.core.db import utcnow
from nigrani.core.errors import NotFound, PermissionDenied, ValidationFailed
from nigrani.core.i18n import _, to_ist

# Windows may reach a little into the future (an officer typing "until now" on a slow clock).
FUTURE_SLACK = timedelta(hours=1)


class Footage(StrEnum):
    """Whether the owner still keeps footage of the window, by their retention."""

    KEPT = "kept"
    UNKNOWN = "unknown"
    GONE = "gone"


@dataclass(frozen=True, slots=True)
class Hit:
    """A site near the incident, with what decides its rank."""

    site: SiteCard
    distance_m: float
    bearing_deg: float
    view: fov.View
    footage: Footage
    request_status: str | None

    @property
    def rank_key(self) -> tuple[int, int, float, int]:
        """Footage that is gone last; then in view, unknown, away; then nearest."""
        gone = self.footage is Footage.GONE
        order = {fov.View.IN_VIEW: 0, fov.View.UNKNOWN: 1, fov.View.AWAY: 2}
        return (int(gone), order[self.view], self.distance_m, self.site.id)


def _officer(
    session: Session, officer_id: int | None, default: User, station: JurisdictionNode
) -> User:
    """The officer in charge: one who may canvass, attached where the station lies."""
    if officer_id is None:
        return default
    officer = session.get(User, officer_id)
    if (
        officer is None
        or not officer.is_active
        or not has_permission(Role(officer.role), Permission.CANVASS)
        or officer.node is None
        or not jurisdiction.within(station.path, officer.node.path)
    ):
        raise ValidationFailed(
            _("Choose an active officer who may investigate and whose charge covers this station."),
            field="officer_id",
        )
    return officer


def _number(incident: Incident) -> str:
    year = to_ist(incident.created_at).year
    return f"INC-{year}-{incident.id:06d}"


def create_incident(
    session: Session, *, data: IncidentCreate, user: User, scope_path: str
) -> Incident:
    """Record an incident inside the caller's charge; its station comes from the point."""
    now = utcnow()
    if data.window_start > now + FUTURE_SLACK:
        raise ValidationFailed(_("The time window cannot start in the future."), field="window")
    station = camera_service.station_at(session, lat=data.lat, lon=data.lon)
    if not jurisdiction.within(station.path, scope_path):
        raise PermissionDenied(_("This place is outside your charge."))
    officer = _officer(session, data.officer_id, user, station)
    incident = Incident(
        number="pending",
        **data.model_dump(exclude={"officer_id"}),
        officer_id=officer.id,
        station_id=station.id,
        node_path=station.path,
        status="open",
        created_by=user.id,
        created_at=now,
    )
    session.add(incident)
    session.flush()
    incident.number = _number(incident)
    audit.record(
        session,
        actor=audit.Actor(user.id, user.username or f"user-{user.id}"),
        action="incident.create",
        object_type="incident",
        object_id=incident.id,
        reference=incident.number,
        detail={"kind": incident.kind, "station": station.code},
    )
    session.flush()
    return incident


def get_incident(session: Session, incident_id: int) -> Incident:
    """An incident by id, or NotFound."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(_("No such incident"))
    return incident


def incident_by_number(session: Session, *, number: str, scope_path: str) -> Incident | None:
    """The incident with this number inside the jurisdiction, if there is one."""
    found = session.scalar(select(Incident).where(Incident.number == number.strip()))
    return found if found is not None and jurisdiction.within(found.node_path, scope_path) else None


# What an officer waits on, by the footage requests' states: asked and not answered, the
# owner sent footage, the owner said no (the home pages count incidents in each).
FOOTAGE_STATES: dict[str, tuple[str, ...]] = {
    "waiting": ("sent", "opened"),
    "received": ("uploaded",),
    "declined": ("declined",),
}


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    """The incidents list's filters: status, the officer's own, a footage state, since when."""

    status: str | None = None
    officer_id: int | None = None
    footage: str | None = None  # a key of FOOTAGE_STATES
    since: datetime | None = None


def incident_where(scope_path: str, f: IncidentFilter) -> list[ColumnElement[bool]]:
    """The conditions of a filter, inside a jurisdiction."""
    where = [jurisdiction.under(Incident.node_path, scope_path)]
    if f.status:
        where.append(Incident.status == f.status)
    if f.officer_id is not None:
        where.append(Incident.officer_id == f.officer_id)
    if f.footage:
        asked = select(FootageRequest.incident_id).where(
            FootageRequest.status.in_(FOOTAGE_STATES[f.footage])
        )
        where.append(Incident.id.in_(asked))
    if f.since is not None:
        where.append(Incident.created_at >= f.since)
    return where


def list_incidents(
    session: Session,
    *,
    scope_path: str,
    status: str | None,
    page: int,
    per_page: int,
    f: IncidentFilter | None = None,
) -> tuple[list[Incident], int]:
    """Incidents under a jurisdiction, newest first, one page of them and the total."""
    where = incident_where(scope_path, f or IncidentFilter(status=status))
    total = session.scalar(select(func.count(Incident.id)).where(*where)) or 0
    rows = session.scalars(
        select(Incident)
        .where(*where)
        .order_by(Incident.created_at.desc(), Incident.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(rows), total


def station_of(session: Session, incident: Incident) -> JurisdictionNode:
    """The station the incident belongs to."""
    node = session.get(JurisdictionNode, incident.station_id)
    assert node is not None  # a foreign key
    return node


def footage_state(retention_days: int | None, window_start: datetime, now: datetime) -> Footage:
    """Kept if the window's start is younger than the owner's retention."""
    if retention_days is None:
        return Footage.UNKNOWN
    return Footage.KEPT if now - window_start <= timedelta(days=retention_days) else Footage.GONE


def _request_statuses(session: Session, incident: Incident) -> dict[int, str]:
    """The latest footage request's state per site, for this incident."""
    rows = session.connection().execute(
        select(FootageRequest.site_id, FootageRequest.status)
        .where(FootageRequest.incident_id == incident.id)
        .order_by(FootageRequest.id)
    )
    return dict(rows.all())


def _hit(
    site: SiteCard, distance_m: float, incident: Incident, now: datetime, status: str | None
) -> Hit:
    bearing = fov.bearing_deg(site.lat, site.lon, incident.lat, incident.lon)
    return Hit(
        site=site,
        distance_m=distance_m,
        bearing_deg=bearing,
        view=fov.site_view(site.cameras, bearing=bearing, distance_m=distance_m),
        footage=footage_state(site.retention_days, incident.window_start, now),
        request_status=status,
    )


def canvass(
    session: Session, *, incident: Incident, radius_m: float, now: datetime | None = None
) -> list[Hit]:
    """Active sites within the radius, ranked: footage still kept, in view, nearest.

    Sites across a station's boundary count too: a camera sees across the line."""
    now = now or utcnow()
    found = spatial.sites_within(session, lat=incident.lat, lon=incident.lon, radius_m=radius_m)
    if not found:
        return []
    sites = cards.load(session, [h.site_id for h in found])
    statuses = _request_statuses(session, incident)
    hits = [
        _hit(sites[h.site_id], h.distance_m, incident, now, statuses.get(h.site_id)) for h in found
    ]
    return sorted(hits, key=lambda h: h.rank_key)


def live_request(session: Session, *, incident: Incident, site: Site) -> FootageRequest | None:
    """The request to this site for this incident that the owner can still answer."""
    return session.scalar(
        select(FootageRequest).where(
            FootageRequest.incident_id == incident.id,
            FootageRequest.site_id == site.id,
            FootageRequest.status.in_(LIVE_REQUEST),
        )
    )


def site_for_incident(session: Session, *, incident: Incident, site_id: int) -> Site:
    """A site near enough to the incident to be canvassed for it (no reveals city-wide)."""
    site = camera_service.get_site(session, site_id)
    distance = camera_service.metres_between(incident.lat, incident.lon, site.lat, site.lon)
    if distance > MAX_RADIUS_M:
        raise PermissionDenied(
            _("This camera is {km:.1f} km from the incident, beyond the canvass area.").format(
                km=distance / 1000
            )
        )
    return site
