"""The citizen's side of video hearings (Hindi first, phone-sized): the officers who hear
citizens and their next days, booking a slot or joining today's live queue, and the
waiting room that the SMS link opens.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import select

from nigrani.accounts.deps import Citizen
from nigrani.accounts.models import User
from nigrani.accounts.pages import page, see_other
from nigrani.core.config import Settings
from nigrani.core.deps import DbSession, Now, SettingsDep
from nigrani.core.errors import Gone, NigraniError, NotFound, ValidationFailed
from nigrani.core.i18n import _, current_language
from nigrani.core.params import FormId, Id
from nigrani.grievances import service as grievances
from nigrani.grievances.models import Complaint
from nigrani.hearings import figures, hours, labels, notices, recordings, service
from nigrani.hearings.calls import ice_servers
from nigrani.hearings.models import HearingSitting, HearingTicket, HearingWindow
from nigrani.hearings.queue import Rules, State
from nigrani.hearings.recorder import app_recorder
from nigrani.hearings.schemas import PlaceCreate, RecordingOffer, parse

router = APIRouter(include_in_schema=False)
Secret = Annotated[str, Query(max_length=80)]


def _window(db: DbSession, window_id: int) -> HearingWindow:
    found = db.get(HearingWindow, window_id)
    if found is None:
        raise NotFound(_("Choose a hearing from the list."))
    return found


def _my_places(db: DbSession, user: User, now: datetime) -> list[HearingTicket]:
    rows = db.scalars(
        select(HearingTicket)
        .where(HearingTicket.citizen_id == user.id)
        .order_by(HearingTicket.joined_at.desc())
        .limit(20)
    ).all()
    return [t for t in rows if not service.expired(t, now=now)]


@router.get("/hearings")
def hearings(
    request: Request, db: DbSession, settings: SettingsDep, user: Citizen, now: Now
) -> HTMLResponse:
    """Who hears citizens by video and when, and the citizen's own places."""
    today = hours.local_today(now)
    offered = [(w, hours.upcoming(db, w, today=today, days=7)) for w in hours.all_windows(db)]
    places = _my_places(db, user, now)
    return page(
        request,
        "hearings/list.html",
        user=user,
        offered=[(w, s) for w, s in offered if s],
        places=places,
        place_links={t.id: notices.link_secret(settings, t.link_key) for t in places},
        state_label=labels.state_label,
        today=today,
        now=now,
    )


def _book_page(
    request: Request,
    db: DbSession,
    user: User,
    now: datetime,
    window: HearingWindow,
    day: date,
    values: dict[str, str],
    error: NigraniError | None = None,
) -> HTMLResponse:
    sittings = hours.upcoming(db, window, today=day, days=1)
    sitting = sittings[0] if sittings else None
    taken: dict[int, int] = {}
    if sitting is not None:
        stored = db.scalar(
            select(HearingSitting).where(
                HearingSitting.window_id == window.id, HearingSitting.day == day
            )
        )
        if stored is not None:
            for t in db.scalars(select(HearingTicket).where(HearingTicket.sitting_id == stored.id)):
                if t.slot is not None and t.state != State.CANCELLED:
                    taken[t.slot] = taken.get(t.slot, 0) + 1
    complaints = (
        db.scalars(
            select(Complaint)
            .where(Complaint.phone_hash == user.phone_hash)
            .order_by(Complaint.received_at.desc())
            .limit(20)
        ).all()
        if user.phone_hash
        else []
    )
    return page(
        request,
        "hearings/book.html",
        user=user,
        window=window,
        day=day,
        sitting=sitting,
        live_open=sitting is not None
        and day == hours.local_today(now)
        and sitting.starts_at - Rules().opens_before <= now < sitting.ends_at,
        taken=taken,
        now=now,
        today=hours.local_today(now),
        complaints=complaints,
        values=values,
        error=error.message if error else None,
        error_field=error.field if error else None,
        status_code=error.status if error else 200,
    )


@router.get("/hearings/book")
def book_form(
    request: Request,
    db: DbSession,
    user: Citizen,
    now: Now,
    window: Annotated[Id, Query()],
    day: Annotated[str | None, Query(max_length=10)] = None,
) -> HTMLResponse:
    """The slots of one officer's day, and the form to book one or join the live queue."""
    chosen = figures.parse_date(day, name="day") or hours.local_today(now)
    return _book_page(request, db, user, now, _window(db, window), chosen, {})


@router.post("/hearings/places", response_model=None)
def take_place(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    user: Citizen,
    now: Now,
    window_id: FormId,
    day: Annotated[str, Form(max_length=10)] = "",
    slot: Annotated[str, Form(max_length=6)] = "",
    topic: Annotated[str, Form(max_length=1000)] = "",
    complaint_number: Annotated[str, Form(max_length=40)] = "",
    priority: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Book the chosen slot, or join today's queue (slot "now"); the link comes by SMS."""
    values = {"topic": topic, "complaint_number": complaint_number, "priority": priority}
    values |= {"slot": slot}  # the form shown again keeps the chosen slot
    live = slot in ("", "now")
    raw = {
        "window_id": window_id,
        "day": None if live else day,
        "slot": None if live else slot,
        "topic": topic,
        "complaint_number": complaint_number or None,
        "priority": priority or None,
    }
    window = _window(db, window_id)  # the form's own hearing: a wrong field re-shows it
    try:
        data = parse(PlaceCreate, raw)
        about = None
        if data.complaint_number:
            own = grievances.get_by_number(db, data.complaint_number)
            if user.phone_hash is None or own.phone_hash != user.phone_hash:
                raise NotFound(_("No complaint with this number"))
            about = own.id
        _ticket, secret = service.take_place(
            db,
            settings=settings,
            citizen=user,
            window=window,
            data=data,
            topic_complaint_id=about,
            now=now,
            language=current_language.get(),
        )
    except NigraniError as exc:
        db.rollback()
        chosen = hours.local_today(now)
        if not live:
            with suppress(ValidationFailed):  # a wrong day: today's slots, with its message
                chosen = figures.parse_date(day, name="day") or chosen
        return _book_page(request, db, user, now, window, chosen, values, exc)
    return see_other(f"/hearings/t/{secret}")


def _view(
    db: DbSession, settings: Settings, ticket: HearingTicket, now: datetime
) -> dict[str, Any]:
    """The room's numbers, with the words the page shows."""
    out = service.status(db, ticket, now=now)
    out["record"] = recordings.may_record(settings, ticket)
    out["state_label"] = labels.state_label(out["state"])
    if out["eta_from"] and out.get("served_today") is False:
        out["eta_text"] = _(
            "Today's hearing may end before your turn. Stay in the queue, or book a slot "
            "on another day."
        )
    elif out["eta_from"]:
        out["eta_text"] = _("between {start} and {end} IST").format(
            start=out["eta_from"], end=out["eta_to"]
        )
    elif out["state"] == State.CALLED:
        out["eta_text"] = _("The officer is calling you now.")
    elif out["state"] == State.IN_CALL:
        out["eta_text"] = _("You are in the call.")
    elif out["state"] == State.NO_SHOW:
        out["eta_text"] = _("You missed your call. Rejoin the queue below.")
    else:
        out["eta_text"] = "—"
    return out


def _room_ticket(db: DbSession, user: User, secret: str, now: datetime) -> HearingTicket:
    ticket = service.ticket_by_secret(db, secret, citizen=user)
    if service.expired(ticket, now=now):
        raise Gone(_("This hearing is over or was cancelled. Book another from the hearings page."))
    return ticket


@router.get("/hearings/t/{secret}")
def waiting_room(
    request: Request, db: DbSession, user: Citizen, now: Now, secret: str
) -> HTMLResponse:
    """The waiting room: camera and microphone check, place and wait, then the call."""
    ticket = _room_ticket(db, user, secret[:80], now)
    ticket = service.arrive(db, ticket, now=now)
    return page(
        request,
        "hearings/room.html",
        user=user,
        ticket=ticket,
        secret=secret,
        state_label=labels.state_label,
        status=_view(db, request.app.state.settings, ticket, now),
        asks_consent=recordings.asks(request.app.state.settings),
        ice=ice_servers(request.app.state.settings, user=f"citizen-{user.id}", now=now),
    )


@router.get("/hearings/t/{secret}/status")
def room_status(
    db: DbSession, settings: SettingsDep, user: Citizen, now: Now, secret: str
) -> JSONResponse:
    """The waiting room's live numbers (polled, and fetched when the server says so)."""
    ticket = _room_ticket(db, user, secret[:80], now)
    ticket = service.arrive(db, ticket, now=now)
    return JSONResponse(_view(db, settings, ticket, now))


@router.post("/hearings/t/{secret}/cancel")
def cancel_place(db: DbSession, user: Citizen, now: Now, secret: str) -> Response:
    """The citizen gives up the place; the slot frees for someone else."""
    ticket = _room_ticket(db, user, secret[:80], now)
    service.cancel(db, ticket, now=now)
    return see_other("/hearings?cancelled=1")


@router.post("/hearings/t/{secret}/rejoin")
def rejoin_queue(db: DbSession, user: Citizen, now: Now, secret: str) -> Response:
    """A citizen who missed the call comes back, a few places behind the head."""
    ticket = _room_ticket(db, user, secret[:80], now)
    service.rejoin(db, ticket, now=now)
    return see_other(f"/hearings/t/{secret[:80]}")


@router.post("/hearings/t/{secret}/consent")
def record_consent(
    db: DbSession,
    settings: SettingsDep,
    user: Citizen,
    now: Now,
    secret: str,
    consent: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """The citizen's answer to "may this hearing be recorded?" (yes or no, until the call)."""
    ticket = _room_ticket(db, user, secret[:80], now)
    if consent not in ("yes", "no"):
        raise ValidationFailed(_("Choose yes or no."), field="consent")
    recordings.set_consent(db, settings, ticket, consent=consent == "yes", now=now)
    return see_other(f"/hearings/t/{secret[:80]}#recording")


@router.post("/hearings/t/{secret}/recording")
def citizen_recording(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    user: Citizen,
    now: Now,
    secret: str,
    offer: RecordingOffer,
) -> JSONResponse:
    """The citizen's page sends its camera and microphone to the server's recorder too."""
    ticket = _room_ticket(db, user, secret[:80], now)
    recordings.check_recordable(settings, ticket)
    ice = ice_servers(settings, user="recorder", now=now)
    answer = app_recorder(request.app.state).answer(
        ticket.id, "citizen", offer.model_dump(), ice, now=now
    )
    return JSONResponse(answer)
