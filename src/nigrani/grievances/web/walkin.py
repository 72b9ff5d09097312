"""Walk-in complaints: station staff enter a visitor's complaint at the desk."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from nigrani.accounts.deps import Scope
from nigrani.accounts.pages import form_error, page, see_other
from nigrani.accounts.roles import Level
from nigrani.core.db import utcnow
from nigrani.core.deps import DbSession, SettingsDep
from nigrani.core.errors import NigraniError
from nigrani.core.i18n import to_ist
from nigrani.core.moments import parse_local
from nigrani.grievances import routing, service
from nigrani.grievances.deps import GrievanceOfficer, actor_of
from nigrani.grievances.forms import complaint_from_form

router = APIRouter(include_in_schema=False)
Short = Annotated[str, Form(max_length=400)]


def _desk(scope: Scope) -> str:
    node = scope.node
    if node.level == Level.POST and node.parent is not None:
        node = node.parent
    return node.code if node.level == Level.STATION else ""


def _form(
    request: Request,
    db: DbSession,
    scope: Scope,
    values: dict[str, str],
    error: NigraniError | None = None,
) -> HTMLResponse:
    return page(
        request,
        "grievances/walk_in.html",
        user=scope.user,
        values=values,
        categories=service.categories(db),
        station_groups=routing.station_choices(db),
        **form_error(error),
    )


@router.get("/grievances/walk-in")
def walk_in_form(
    request: Request, db: DbSession, settings: SettingsDep, scope: GrievanceOfficer
) -> HTMLResponse:
    """The desk form, with the visit time set to now and the desk's own station."""
    now = to_ist(utcnow(), settings.timezone).strftime("%Y-%m-%dT%H:%M")
    return _form(
        request, db, scope, {"visited_at": now, "station_code": _desk(scope), "language": "hi"}
    )


@router.post("/grievances/walk-in", response_model=None)
def walk_in(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    scope: GrievanceOfficer,
    category: Annotated[str, Form(max_length=40)] = "",
    text: Annotated[str, Form(max_length=5000)] = "",
    mobile: Annotated[str, Form(max_length=32)] = "",
    name: Annotated[str, Form(max_length=120)] = "",
    address: Short = "",
    station_code: Annotated[str, Form(max_length=60)] = "",
    visited_at: Annotated[str, Form(max_length=40)] = "",
    language: Annotated[str, Form(max_length=4)] = "hi",
) -> Response:
    """Register the visitor's complaint; they get the number by SMS."""
    values = {
        "category": category,
        "text": text,
        "mobile": mobile,
        "name": name,
        "address": address,
        "station_code": station_code,
        "visited_at": visited_at,
        "language": language,
    }
    try:
        data = complaint_from_form(values, mobile=mobile or None, verified=False, language=language)
        complaint = service.create_complaint(
            db,
            settings=settings,
            data=data,
            channel="walk_in",
            actor=actor_of(scope),
            received_at=parse_local(visited_at, settings.timezone) if visited_at else None,
        )
    except NigraniError as exc:
        db.rollback()
        return _form(request, db, scope, values, exc)
    if scope.covers(complaint.node_path):
        return see_other(f"/grievances/{complaint.id}")
    return see_other("/grievances")
