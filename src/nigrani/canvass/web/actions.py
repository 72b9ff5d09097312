"""What an officer does from the incident page: see an owner's contact, ask for footage."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from nigrani.accounts.deps import Investigator
from nigrani.accounts.pages import htmx_refusal, page, see_other
from nigrani.canvass import footage, reveals, service
from nigrani.canvass.deps import CurrentIncident, IncidentRequest
from nigrani.canvass.schemas import FootageRequestCreate
from nigrani.core.deps import DbSession, SettingsDep
from nigrani.core.errors import NigraniError
from nigrani.core.params import FormId, PathId

router = APIRouter(include_in_schema=False)
Reason = Annotated[str, Form(max_length=500)]


@router.post("/incidents/{incident_id}/sites/{site_id}/reveal")
def reveal_owner(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    scope: Investigator,
    incident: CurrentIncident,
    site_id: PathId,
    reason: Reason = "",
) -> HTMLResponse:
    """Show one owner's contact for this incident, after a reason; audited and rationed."""
    site = service.site_for_incident(db, incident=incident, site_id=site_id)
    try:
        contact = reveals.reveal_owner(
            db, settings=settings, incident=incident, site=site, user=scope.user, reason=reason
        )
    except NigraniError as exc:
        return htmx_refusal(
            request,
            db,
            exc,
            "canvass/partials/reveal.html",
            user=scope.user,
            incident=incident,
            site=site,
            reason=reason,
        )
    return page(
        request,
        "canvass/partials/contact.html",
        user=scope.user,
        incident=incident,
        site=site,
        contact=contact,
    )


@router.post("/incidents/{incident_id}/requests")
def send_request(
    db: DbSession,
    settings: SettingsDep,
    scope: Investigator,
    incident: CurrentIncident,
    site_id: FormId,
    note: Reason = "",
) -> RedirectResponse:
    """Send the owner a one-time link by SMS (through the outbox)."""
    site = service.site_for_incident(db, incident=incident, site_id=site_id)
    data = FootageRequestCreate(site_id=site.id, note=note)
    footage.send_request(
        db, settings=settings, incident=incident, site=site, data=data, user=scope.user
    )
    return see_other(f"/incidents/{incident.id}#requests")


@router.post("/incidents/{incident_id}/requests/{request_id}/resend")
def resend_request(
    db: DbSession,
    settings: SettingsDep,
    scope: Investigator,
    incident: CurrentIncident,
    footage_request: IncidentRequest,
) -> RedirectResponse:
    """A new link to the owner; the old link stops working."""
    footage.resend(db, settings=settings, request=footage_request, user=scope.user)
    return see_other(f"/incidents/{incident.id}#requests")


@router.post("/incidents/{incident_id}/requests/{request_id}/cancel")
def cancel_request(
    db: DbSession, scope: Investigator, incident: CurrentIncident, footage_request: IncidentRequest
) -> RedirectResponse:
    """Withdraw a request the owner has not answered."""
    footage.cancel(db, request=footage_request, user=scope.user)
    return see_other(f"/incidents/{incident.id}#requests")
