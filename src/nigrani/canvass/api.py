"""JSON API of the canvass: incidents and the ranked cameras around them (owners masked)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from nigrani.accounts.deps import Investigator, require_scope
from nigrani.canvass import service
from nigrani.canvass.deps import CurrentIncident
from nigrani.canvass.models import Incident
from nigrani.canvass.schemas import (
    DEFAULT_RADIUS_M,
    MAX_RADIUS_M,
    CanvassHitRead,
    CanvassRead,
    IncidentCreate,
    IncidentRead,
)
from nigrani.canvass.service import Hit
from nigrani.core.deps import DbSession

router = APIRouter(
    prefix="/api/v1/incidents",
    tags=["canvass"],
    dependencies=[Depends(require_scope("canvass"))],
)


def _read(db: DbSession, incident: Incident) -> IncidentRead:
    station = service.station_of(db, incident)
    return IncidentRead(
        id=incident.id,
        number=incident.number,
        kind=incident.kind,
        description=incident.description,
        lat=incident.lat,
        lon=incident.lon,
        address=incident.address,
        window_start=incident.window_start,
        window_end=incident.window_end,
        fir_number=incident.fir_number,
        station_code=station.code,
        officer_id=incident.officer_id,
        status=incident.status,
        created_at=incident.created_at,
    )


@router.post("", status_code=201)
def create_incident(body: IncidentCreate, db: DbSession, scope: Investigator) -> IncidentRead:
    """Record an incident inside the caller's charge; the point decides the station."""
    incident = service.create_incident(db, data=body, user=scope.user, scope_path=scope.node.path)
    return _read(db, incident)


@router.get("/{incident_id}")
def get_incident(db: DbSession, incident: CurrentIncident) -> IncidentRead:
    """One incident in the caller's jurisdiction."""
    return _read(db, incident)


def _hit_read(hit: Hit) -> CanvassHitRead:
    site = hit.site
    return CanvassHitRead(
        site_id=site.id,
        name=site.name,
        category=site.category_code,
        is_public=site.is_public,
        distance_m=round(hit.distance_m, 1),
        bearing_deg=round(hit.bearing_deg, 1),
        view=hit.view.value,
        footage=hit.footage.value,
        retention_days=site.retention_days,
        cameras=site.camera_count,
        linked=site.linked_count,
        owner_name_masked=site.owner_name_masked,
        owner_phone_masked=site.owner_phone_masked,
        request_status=hit.request_status,
    )


@router.get("/{incident_id}/canvass")
def canvass(
    db: DbSession,
    incident: CurrentIncident,
    radius_m: Annotated[float, Query(ge=25, le=MAX_RADIUS_M)] = DEFAULT_RADIUS_M,
) -> CanvassRead:
    """Cameras that could have seen the place in the window, best first."""
    hits = service.canvass(db, incident=incident, radius_m=radius_m)
    return CanvassRead(
        incident=incident.number, radius_m=radius_m, hits=[_hit_read(h) for h in hits]
    )
