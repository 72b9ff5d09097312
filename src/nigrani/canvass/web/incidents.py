"""Officer pages of the canvass: incidents, the ranked cameras, reveal, requests, export."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from nigrani.accounts.deps import Investigator
from nigrani.accounts.pages import page, see_other
from nigrani.canvass import service, views
from nigrani.canvass.deps import CurrentIncident
from nigrani.canvass.forms import incident_from_form
from nigrani.canvass.kinds import KINDS, kind_label
from nigrani.canvass.schemas import DEFAULT_RADIUS_M, MAX_RADIUS_M
from nigrani.core.db import utcnow
from nigrani.core.deps import DbSession, SettingsDep
from nigrani.core.errors import NigraniError
from nigrani.core.i18n import to_ist
from nigrani.core.params import PageNo
from nigrani.core.templating import is_htmx

router = APIRouter(include_in_schema=False)
PER_PAGE = 50
Radius = Annotated[float, Query(ge=25, le=MAX_RADIUS_M)]
Text = Annotated[str, Form(max_length=2000)]


@router.get("/incidents")
def incidents_page(
    request: Request,
    db: DbSession,
    scope: Investigator,
    status: Annotated[str | None, Query(pattern="^(open|closed)?$")] = None,
    mine: bool = False,
    footage: Annotated[str | None, Query(pattern="^(waiting|received|declined)?$")] = None,
    days: Annotated[int | None, Query(ge=1, le=366)] = None,
    page_no: PageNo = 1,
) -> HTMLResponse:
    """Incidents in the caller's jurisdiction, newest first; `mine` the caller's own,
    `footage` those with a request in that state, `days` those recorded in the last days."""
    f = service.IncidentFilter(
        status=status or None,
        officer_id=scope.user.id if mine else None,
        footage=footage or None,
        since=utcnow() - timedelta(days=days) if days else None,
    )
    rows, total = service.list_incidents(
        db, scope_path=scope.node.path, status=f.status, page=page_no, per_page=PER_PAGE, f=f
    )
    return page(
        request,
        "canvass/incidents.html",
        user=scope.user,
        incidents=rows,
        total=total,
        page_no=page_no,
        pages=max(1, -(-total // PER_PAGE)),
        kind_label=kind_label,
        status=status or "",
        kept=urlencode({"mine": int(mine), "footage": footage or "", "days": days or ""}),
    )


def _form(
    request: Request,
    scope: Investigator,
    *,
    values: dict[str, str],
    error: NigraniError | None = None,
) -> HTMLResponse:
    return page(
        request,
        "canvass/incident_new.html",
        user=scope.user,
        kinds=[(k, kind_label(k)) for k in KINDS],
        values=values,
        error=error.message if error else None,
        error_field=error.field if error else None,
        status_code=error.status if error else 200,
    )


def _default_window(tz: str) -> dict[str, str]:
    end = to_ist(utcnow(), tz).replace(second=0, microsecond=0)
    start = end - timedelta(hours=1)
    return {
        "window_start": start.strftime("%Y-%m-%dT%H:%M"),
        "window_end": end.strftime("%Y-%m-%dT%H:%M"),
    }


@router.get("/incidents/new")
def new_incident_page(request: Request, scope: Investigator, settings: SettingsDep) -> HTMLResponse:
    """The form for a new incident: type, place on the map, time window."""
    return _form(request, scope, values={"kind": "theft", **_default_window(settings.timezone)})


@router.post("/incidents", response_model=None)
def create_incident(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    scope: Investigator,
    kind: Annotated[str, Form(max_length=40)] = "",
    description: Text = "",
    lat: Annotated[str, Form(max_length=30)] = "",
    lon: Annotated[str, Form(max_length=30)] = "",
    address: Annotated[str, Form(max_length=400)] = "",
    window_start: Annotated[str, Form(max_length=40)] = "",
    window_end: Annotated[str, Form(max_length=40)] = "",
    fir_number: Annotated[str, Form(max_length=60)] = "",
) -> Response:
    """Record the incident and open its canvass; a bad form comes back with the reason."""
    values = {
        "kind": kind,
        "description": description,
        "lat": lat,
        "lon": lon,
        "address": address,
        "window_start": window_start,
        "window_end": window_end,
        "fir_number": fir_number,
    }
    try:
        data = incident_from_form(tz=settings.timezone, **values)
        incident = service.create_incident(
            db, data=data, user=scope.user, scope_path=scope.node.path
        )
    except NigraniError as exc:
        db.rollback()
        return _form(request, scope, values=values, error=exc)
    return see_other(f"/incidents/{incident.id}")


@router.get("/incidents/{incident_id}")
def incident_page(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    scope: Investigator,
    incident: CurrentIncident,
    radius: Radius = DEFAULT_RADIUS_M,
) -> HTMLResponse:
    """The incident with its canvass; htmx asks for just the results at a new radius."""
    context = views.incident_context(db, settings=settings, incident=incident, radius_m=radius)
    template = "canvass/partials/results.html" if is_htmx(request) else "canvass/incident.html"
    return page(request, template, user=scope.user, **context)


@router.get("/incidents/{incident_id}/print")
def incident_print(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    scope: Investigator,
    incident: CurrentIncident,
    radius: Radius = DEFAULT_RADIUS_M,
) -> HTMLResponse:
    """The canvass as a printable list (owners masked)."""
    context = views.incident_context(db, settings=settings, incident=incident, radius_m=radius)
    return page(request, "canvass/print.html", user=scope.user, now=utcnow(), **context)
