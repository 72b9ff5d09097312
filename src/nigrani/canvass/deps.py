"""Who may canvass, load-or-404 for incidents and requests, and the owner's browser."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from nigrani.accounts.deps import Investigator
from nigrani.canvass import footage, service
from nigrani.canvass.models import FootageRequest, Incident
from nigrani.core.deps import DbSession, SettingsDep
from nigrani.core.errors import NotFound
from nigrani.core.i18n import _
from nigrani.core.params import PathId

OWNER_COOKIE = "nigrani_footage"


def get_current_incident(incident_id: PathId, scope: Investigator, db: DbSession) -> Incident:
    """An incident in the caller's jurisdiction; outside it, as if it did not exist."""
    incident = service.get_incident(db, incident_id)
    if not scope.covers(incident.node_path):
        raise NotFound(_("No such incident"))
    return incident


CurrentIncident = Annotated[Incident, Depends(get_current_incident)]


def get_incident_request(
    request_id: PathId, incident: CurrentIncident, db: DbSession
) -> FootageRequest:
    """A footage request of the incident in the path."""
    found = db.get(FootageRequest, request_id)
    if found is None or found.incident_id != incident.id:
        raise NotFound(_("No such footage request"))
    return found


IncidentRequest = Annotated[FootageRequest, Depends(get_incident_request)]


def _device(request: Request) -> str:
    device = request.cookies.get(OWNER_COOKIE, "")
    if not device:
        raise NotFound(_("Open the link from your message first."))
    return device


def get_owner_request(request: Request, db: DbSession, settings: SettingsDep) -> FootageRequest:
    """The request this browser opened by its link (any state, for showing it)."""
    return footage.for_device(db, settings=settings, device=_device(request), writable=False)


def get_answerable_request(
    request: Request, db: DbSession, settings: SettingsDep
) -> FootageRequest:
    """The request this browser opened, if the owner can still answer it."""
    return footage.for_device(db, settings=settings, device=_device(request), writable=True)


OwnerRequest = Annotated[FootageRequest, Depends(get_owner_request)]
AnswerableRequest = Annotated[FootageRequest, Depends(get_answerable_request)]
