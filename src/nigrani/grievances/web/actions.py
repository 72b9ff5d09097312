"""What an officer does to complaints: steps, close, transfer, reply, note, assign (bulk)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from nigrani.accounts.pages import htmx_refusal, page, see_other
from nigrani.core import validation
from nigrani.core.deps import DbSession, SettingsDep
from nigrani.core.errors import NigraniError
from nigrani.core.params import FormId, Id
from nigrani.core.templating import is_htmx
from nigrani.grievances import contact, service, workflow
from nigrani.grievances.deps import (
    GrievanceOfficer,
    ScopedComplaint,
    actor_of,
    get_scoped_complaint,
)
from nigrani.grievances.schemas import CloseCreate, TransferCreate
from nigrani.grievances.web.queue import complaint_view

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=5000)]


def _back(complaint_id: int, done: str) -> RedirectResponse:
    # `done` names what was done (a key of queue.DONE), for the page's message.
    return see_other(f"/grievances/{complaint_id}?done={done}#timeline")


@router.post("/grievances/{complaint_id}/step")
def step(
    db: DbSession,
    settings: SettingsDep,
    scope: GrievanceOfficer,
    complaint: ScopedComplaint,
    to: Annotated[str, Form(max_length=20)],
    note: Text = "",
) -> RedirectResponse:
    """Acknowledge, start the investigation, or record the action taken."""
    workflow.advance(
        db, settings=settings, complaint=complaint, to=to, actor=actor_of(scope), note=note
    )
    return _back(complaint.id, to)


@router.post("/grievances/{complaint_id}/reveal")
def reveal(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    scope: GrievanceOfficer,
    complaint: ScopedComplaint,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> HTMLResponse:
    """Show the complainant's number, after a reason, to call them back; audited, rationed."""
    try:
        shown = contact.reveal_complainant(
            db, settings=settings, complaint=complaint, user=scope.user, reason=reason
        )
    except NigraniError as exc:
        return htmx_refusal(
            request,
            db,
            exc,
            "grievances/partials/complainant.html",
            user=scope.user,
            key="reveal_error",
            c=complaint,
            reason=reason,
        )
    if not is_htmx(request):
        return complaint_view(request, db, scope, complaint, shown=shown)
    return page(
        request,
        "grievances/partials/complainant.html",
        user=scope.user,
        c=complaint,
        shown=shown,
    )


@router.post("/grievances/{complaint_id}/close")
def close(
    db: DbSession,
    settings: SettingsDep,
    scope: GrievanceOfficer,
    complaint: ScopedComplaint,
    resolution: Annotated[str, Form(max_length=20)],
    message: Text = "",
    duplicate_of: Annotated[str, Form(max_length=40)] = "",
) -> RedirectResponse:
    """Close with a resolution and a message the complainant receives."""
    try:
        data = CloseCreate(
            resolution=resolution,
            message=message,
            duplicate_of=duplicate_of or None,
        )
    except ValidationError as exc:
        raise validation.failure(exc) from exc
    workflow.close(db, settings=settings, complaint=complaint, data=data, actor=actor_of(scope))
    return _back(complaint.id, "closed")


@router.post("/grievances/{complaint_id}/transfer")
def transfer(
    db: DbSession,
    settings: SettingsDep,
    scope: GrievanceOfficer,
    complaint: ScopedComplaint,
    station_code: Annotated[str, Form(max_length=60)],
    reason: Text = "",
) -> Response:
    """Send the complaint to another station; it may leave the caller's charge."""
    try:
        data = TransferCreate(station_code=station_code, reason=reason)
    except ValidationError as exc:
        raise validation.failure(exc) from exc
    workflow.transfer(db, settings=settings, complaint=complaint, data=data, actor=actor_of(scope))
    if scope.covers(complaint.node_path):
        return _back(complaint.id, "transferred")
    return see_other("/grievances?done=transferred")


@router.post("/grievances/{complaint_id}/reply")
def reply(
    db: DbSession,
    settings: SettingsDep,
    scope: GrievanceOfficer,
    complaint: ScopedComplaint,
    body: Text = "",
    internal: Annotated[bool, Form()] = False,
) -> RedirectResponse:
    """A message to the complainant (SMS and tracking page), or an internal note."""
    if internal:
        service.add_note(db, complaint=complaint, actor=actor_of(scope), body=body)
    else:
        workflow.reply(db, settings=settings, complaint=complaint, actor=actor_of(scope), text=body)
    return _back(complaint.id, "noted" if internal else "replied")


@router.post("/grievances/{complaint_id}/assign")
def assign(
    db: DbSession,
    scope: GrievanceOfficer,
    complaint: ScopedComplaint,
    officer_id: FormId,
) -> RedirectResponse:
    """Give the complaint to one officer of its station."""
    workflow.assign_officer(db, complaint=complaint, officer_id=officer_id, actor=actor_of(scope))
    return _back(complaint.id, "assigned")


@router.post("/grievances/bulk-assign")
def bulk_assign(
    db: DbSession,
    scope: GrievanceOfficer,
    officer_id: FormId,
    complaint_ids: Annotated[list[Id], Form(max_length=200)],
) -> RedirectResponse:
    """Give many complaints to one officer; all or none (any refusal rolls back the lot)."""
    for complaint_id in complaint_ids:
        complaint = get_scoped_complaint(complaint_id, scope, db)
        workflow.assign_officer(
            db, complaint=complaint, officer_id=officer_id, actor=actor_of(scope)
        )
    return see_other(f"/grievances?officer={officer_id}&done=assigned")
