"""The officer's hearing console: today's queue with each citizen's history, calling the
next (or someone else, with a reason), the call itself, no-shows, and the outcome."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from sqlalchemy import select

from nigrani.accounts.deps import require
from nigrani.accounts.models import JurisdictionNode, User
from nigrani.accounts.pages import page, see_other
from nigrani.accounts.roles import Level, Permission
from nigrani.accounts.service import actor_of
from nigrani.core.deps import DbSession, Now, SettingsDep
from nigrani.core.errors import Conflict, NigraniError
from nigrani.core.i18n import _
from nigrani.core.params import PathId
from nigrani.evidence import store
from nigrani.grievances import service as grievances
from nigrani.grievances.models import Complaint
from nigrani.hearings import labels, outcomes, recordings, service
from nigrani.hearings.calls import app_hub, ice_servers
from nigrani.hearings.models import HearingSitting, HearingTicket
from nigrani.hearings.queue import ACTIVE, State
from nigrani.hearings.recorder import app_recorder, existing_recorder
from nigrani.hearings.schemas import OutcomeCreate, RecordingOffer, parse

router = APIRouter(include_in_schema=False)
Hearer = Annotated[
    User,
    Depends(require(Permission.HOLD_HEARINGS, lambda: _("Your role does not hold hearings."))),
]


def _later(
    tasks: BackgroundTasks, request: Request, sitting_id: int, kind: str, *tickets: int
) -> None:
    """Tell the sitting's pages once this request's transaction has committed."""
    tasks.add_task(app_hub(request.app.state).publish, sitting_id, kind, tickets=tickets)


def _sitting(db: DbSession, sitting_id: int, officer: User) -> HearingSitting:
    sitting = service.get_sitting(db, sitting_id)
    if officer.id not in json.loads(sitting.officers):
        raise Conflict(_("You are not serving this hearing today."))
    return sitting


def _ticket(db: DbSession, ticket_id: int, officer: User) -> HearingTicket:
    ticket = service.get_ticket(db, ticket_id)
    _sitting(db, ticket.sitting_id, officer)
    return ticket


def _history(db: DbSession, ticket: HearingTicket) -> dict[str, Any]:
    citizen = ticket.citizen
    complaints = (
        db.scalars(
            select(Complaint)
            .where(Complaint.phone_hash == citizen.phone_hash)
            .order_by(Complaint.received_at.desc())
            .limit(5)
        ).all()
        if citizen.phone_hash
        else []
    )
    return {"hearings": service.history(db, citizen.id, before=ticket.id), "complaints": complaints}


@router.get("/hearings/console")
def console(
    request: Request,
    db: DbSession,
    officer: Hearer,
    now: Now,
    sitting: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> HTMLResponse:
    """Today's queue of one sitting this officer serves, with the call panel."""
    sittings = service.officer_sittings(db, officer, now=now)
    chosen = next((s for s in sittings if s.id == sitting), sittings[0] if sittings else None)
    context: dict[str, Any] = {"sittings": sittings, "chosen": chosen, "now": now}
    if chosen is not None:
        day = service.load_day(db, chosen, lock=False)
        line = [day.rows[t.id] for t in day.queue.waiting()]
        held = next(
            (t for t in day.rows.values() if t.officer_id == officer.id and t.state in ACTIVE),
            None,
        )
        done = [t for t in day.rows.values() if t.state in (State.DONE, State.NO_SHOW)]
        context.update(
            line=line,
            booked=[t for t in day.rows.values() if t.state == State.BOOKED],
            held=held,
            history={t.id: _history(db, t) for t in [*line[:10], *([held] if held else [])]},
            done=done,
            recorded=recordings.of_tickets(db, [t.id for t in done]),
            categories=grievances.categories(db),
            outcome_complaint=(
                grievances.get_complaint(db, held.outcome_complaint_id)
                if held and held.outcome_complaint_id
                else None
            ),
        )
    stations = db.scalars(
        select(JurisdictionNode)
        .where(JurisdictionNode.level == Level.STATION)
        .order_by(JurisdictionNode.name_en)
    ).all()
    return page(
        request,
        "hearings/console.html",
        user=officer,
        stations=stations,
        state_label=labels.state_label,
        outcome_label=labels.outcome_label,
        last_outcome=request.query_params.get("saved", "")[:40],
        asks_consent=recordings.asks(request.app.state.settings),
        side_label=labels.side_label,
        ice=ice_servers(request.app.state.settings, user=f"officer-{officer.id}", now=now),
        **context,
    )


def _keep_recordings(request: Request, db: DbSession, ticket: HearingTicket, officer: User) -> None:
    """The call has ended: its recorded sides, if any, go into the evidence store."""
    recordings.collect(
        db,
        settings=request.app.state.settings,
        recorder=existing_recorder(request.app.state),
        ticket=ticket,
        actor=actor_of(officer),
    )


def _back(sitting_id: int, **extra: str) -> Response:
    query = "&".join(f"{k}={v}" for k, v in extra.items())
    return see_other(f"/hearings/console?sitting={sitting_id}" + (f"&{query}" if query else ""))


def _answer(request: Request, sitting_id: int, body: dict[str, Any]) -> Response:
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(body)
    return _back(sitting_id)


@router.post("/hearings/console/{sitting_id}/next", response_model=None)
def call_next(
    request: Request,
    tasks: BackgroundTasks,
    db: DbSession,
    officer: Hearer,
    now: Now,
    sitting_id: PathId,
) -> Response:
    """Call the head of the line; the citizen's room joins the call at once."""
    sitting = _sitting(db, sitting_id, officer)
    called = service.call_next(db, sitting, officer=officer, now=now)
    if called is None:
        return _answer(request, sitting_id, {"ticket": None})
    _later(tasks, request, sitting_id, "called", called.id)
    return _answer(request, sitting_id, {"ticket": called.id, "number": called.number})


@router.post("/hearings/tickets/{ticket_id}/call", response_model=None)
def call_out_of_order(
    request: Request,
    tasks: BackgroundTasks,
    db: DbSession,
    officer: Hearer,
    now: Now,
    ticket_id: PathId,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Call a citizen who is not at the head of the line: only with the reason, logged."""
    ticket = _ticket(db, ticket_id, officer)
    service.call_out_of_order(db, ticket, officer=officer, reason=reason, now=now)
    _later(tasks, request, ticket.sitting_id, "called", ticket.id)
    return _answer(request, ticket.sitting_id, {"ticket": ticket.id, "number": ticket.number})


def _ended(
    request: Request,
    tasks: BackgroundTasks,
    db: DbSession,
    ticket: HearingTicket,
    officer: User,
    what: str,
) -> Response:
    """A call is over (held or a no-show): its recordings kept, the queue told, the answer."""
    _keep_recordings(request, db, ticket, officer)
    _later(tasks, request, ticket.sitting_id, what, ticket.id)
    return _answer(request, ticket.sitting_id, {"ticket": ticket.id, "state": ticket.state})


@router.post("/hearings/tickets/{ticket_id}/finish", response_model=None)
def finish(
    request: Request,
    tasks: BackgroundTasks,
    db: DbSession,
    officer: Hearer,
    now: Now,
    ticket_id: PathId,
    by_phone: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    """End the call (or record that it was held by a phone call-back)."""
    ticket = _ticket(db, ticket_id, officer)
    service.finish(db, ticket, officer=officer, now=now, by_phone=by_phone == "1")
    return _ended(request, tasks, db, ticket, officer, "finished")


@router.post("/hearings/tickets/{ticket_id}/skip", response_model=None)
def skip(
    request: Request,
    tasks: BackgroundTasks,
    db: DbSession,
    officer: Hearer,
    now: Now,
    ticket_id: PathId,
) -> Response:
    """The called citizen did not come within the grace period: skipped; they may rejoin."""
    ticket = _ticket(db, ticket_id, officer)
    service.skip_no_show(db, ticket, officer=officer, now=now)
    return _ended(request, tasks, db, ticket, officer, "no_show")


@router.post("/hearings/tickets/{ticket_id}/outcome", response_model=None)
def record_outcome(
    request: Request,
    tasks: BackgroundTasks,
    db: DbSession,
    settings: SettingsDep,
    officer: Hearer,
    now: Now,
    ticket_id: PathId,
    outcome: Annotated[str, Form(max_length=16)] = "",
    notes: Annotated[str, Form(max_length=5000)] = "",
    category: Annotated[str, Form(max_length=40)] = "",
    station_code: Annotated[str, Form(max_length=60)] = "",
    complaint_number: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """How the hearing ended; it ends in a complaint with a number, and the citizen is told."""
    ticket = _ticket(db, ticket_id, officer)
    values = {
        "outcome": outcome,
        "notes": notes,
        "category": category or None,
        "station_code": station_code or None,
        "complaint_number": complaint_number or None,
    }
    try:
        data = parse(OutcomeCreate, values)
        complaint = outcomes.record(
            db, settings=settings, ticket=ticket, data=data, officer=officer, now=now
        )
    except NigraniError as exc:
        db.rollback()
        if "application/json" in request.headers.get("accept", ""):
            return JSONResponse(
                {"error": {"code": exc.code, "message": exc.message, "field": exc.field}},
                status_code=exc.status,
            )
        return _back(ticket.sitting_id, error=exc.code)
    if ticket.state not in ACTIVE:
        _keep_recordings(request, db, ticket, officer)
    _later(tasks, request, ticket.sitting_id, "outcome", ticket.id)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"ticket": ticket.id, "complaint": complaint.number})
    return _back(ticket.sitting_id, saved=complaint.number)


@router.post("/hearings/tickets/{ticket_id}/recording")
def officer_recording(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    officer: Hearer,
    now: Now,
    ticket_id: PathId,
    offer: RecordingOffer,
) -> JSONResponse:
    """The officer's page sends its camera and microphone to the server's recorder too."""
    ticket = _ticket(db, ticket_id, officer)
    if ticket.officer_id != officer.id:
        raise Conflict(_("This call is another officer's."))
    recordings.check_recordable(settings, ticket)
    ice = ice_servers(settings, user="recorder", now=now)
    answer = app_recorder(request.app.state).answer(
        ticket.id, "officer", offer.model_dump(), ice, now=now
    )
    return JSONResponse(answer)


@router.get("/hearings/recordings/{recording_id}")
def play_recording(
    db: DbSession, settings: SettingsDep, officer: Hearer, recording_id: PathId
) -> FileResponse:
    """One recorded side of a hearing, to play in the page (the view enters its custody)."""
    recording = recordings.get(db, recording_id)
    _ticket(db, recording.ticket_id, officer)
    path = store.open_for_view(
        db, settings=settings, item=recording.item, actor=actor_of(officer),
        reason=f"hearing recording {recording.id}",
    )  # fmt: skip
    return FileResponse(
        str(path), media_type="video/mp4", headers={"X-Content-Type-Options": "nosniff"}
    )
