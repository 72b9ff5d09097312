"""Video hearings: publishing windows, taking a place, and every change of a day's queue.

The rules are `queue.Queue` (pure); this module stores it. A day's queue lives in the rows
of one `HearingSitting`: every change first locks that row (`SELECT … FOR UPDATE` on
PostgreSQL, the writer lock on SQLite), rebuilds the queue from its tickets, applies the
change and writes back the tickets that changed and the events it logged. So two officers
pressing "call next" together call two different citizens, and a double tap books once.

A citizen's waiting-room link carries a secret: HMAC(server key, the ticket's `link_key`),
so a reminder can send the same link again, while the database keeps only its SHA-256.
The link opens the room only for the signed-in citizen who took the place.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts import notifications
from nigrani.accounts.models import User
from nigrani.core import audit, locks
from nigrani.core.config import Settings
from nigrani.core.db import write_now
from nigrani.core.errors import Conflict, NotFound, PermissionDenied
from nigrani.core.i18n import _, format_ist_time
from nigrani.core.security import sha256_hex
from nigrani.hearings import eta, notices, windows
from nigrani.hearings.hours import BOOK_AHEAD_DAYS, local_today, upcoming
from nigrani.hearings.models import (
    HearingQueueEvent,
    HearingSitting,
    HearingTicket,
    HearingWindow,
)
from nigrani.hearings.queue import Kind, Queue, Rules, State, Ticket
from nigrani.hearings.schemas import PlaceCreate

MAX_OPEN_PLACES = 3  # places one citizen may hold at once, over every officer and day
MINUTE = timedelta(minutes=1)
OPEN_STATES = (State.BOOKED, State.WAITING, State.CALLED, State.IN_CALL, State.NO_SHOW)


# -- a day's queue ---------------------------------------------------------------------------


def _pure_sitting(row: HearingSitting) -> windows.Sitting:
    return windows.Sitting(
        day=row.day,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        slot_minutes=row.slot_minutes,
        officers=tuple(json.loads(row.officers)),
    )


def _lock(session: Session, sitting_id: int) -> HearingSitting:
    write_now(session)
    session.execute(
        select(HearingSitting.id).where(HearingSitting.id == sitting_id).with_for_update()
    )
    row = session.get(HearingSitting, sitting_id, populate_existing=True)
    if row is None:
        raise NotFound(_("No such hearing."))
    return row


def sitting_row(
    session: Session, window: HearingWindow, day: date, *, now: datetime
) -> HearingSitting:
    """The stored sitting of a window's day (stored now with that day's hours and panel),
    locked; NotFound when the window does not sit that day."""
    write_now(session)
    locks.subject(session, purpose="hearing-sitting", key=f"{window.id}:{day.isoformat()}")
    found = session.scalar(
        select(HearingSitting).where(
            HearingSitting.window_id == window.id, HearingSitting.day == day
        )
    )
    if found is not None:
        return _lock(session, found.id)
    pure = next(iter(upcoming(session, window, today=day, days=1)), None)
    if pure is None:
        raise NotFound(_("This officer does not hear citizens on that day."))
    row = HearingSitting(
        window_id=window.id,
        day=day,
        starts_at=pure.starts_at,
        ends_at=pure.ends_at,
        slot_minutes=pure.slot_minutes,
        officers=json.dumps(list(pure.officers)),
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def _tickets(session: Session, sitting_id: int) -> list[HearingTicket]:
    return list(
        session.scalars(
            select(HearingTicket)
            .where(HearingTicket.sitting_id == sitting_id)
            .order_by(HearingTicket.number)
        )
    )


_FIELDS = (
    "state",
    "priority",
    "slot",
    "standby",
    "due",
    "place",
    "passed",
    "jumped",
    "rejoins",
    "checked_in_at",
    "called_at",
    "answered_at",
    "ended_at",
    "officer_id",
)


def _pure_ticket(row: HearingTicket) -> Ticket:
    return Ticket(
        id=row.number,
        kind=Kind(row.kind),
        joined_at=row.joined_at,
        **{f: getattr(row, f) for f in _FIELDS if f != "state"},
        state=State(row.state),
    )


@dataclass
class Day:
    """A locked sitting with its queue rebuilt and its rows by ticket number."""

    row: HearingSitting
    queue: Queue
    rows: dict[int, HearingTicket]
    logged: int

    def save(self, session: Session) -> None:
        """Write back every changed ticket and the events logged since loading."""
        for number, ticket in self.queue.tickets.items():
            row = self.rows.get(number)
            if row is None:
                continue
            for name in _FIELDS:
                value = getattr(ticket, name)
                value = value.value if isinstance(value, State) else value
                if getattr(row, name) != value:
                    setattr(row, name, value)
        session.flush()
        for event in self.queue.events[self.logged :]:
            session.add(
                HearingQueueEvent(
                    sitting_id=self.row.id,
                    ticket_id=self.rows[event.ticket_id].id,
                    kind=event.kind,
                    officer_id=event.officer_id,
                    at=event.at,
                    reason=event.reason,
                    passed=json.dumps([self.rows[n].id for n in event.passed]),
                )
            )
        self.logged = len(self.queue.events)
        session.flush()


def load_day(session: Session, sitting: HearingSitting, *, lock: bool = True) -> Day:
    """The sitting's queue, rebuilt from its rows (under the sitting's lock unless reading)."""
    row = _lock(session, sitting.id) if lock else sitting
    rows = {t.number: t for t in _tickets(session, row.id)}
    queue = Queue.restore(_pure_sitting(row), [_pure_ticket(t) for t in rows.values()], Rules())
    return Day(row=row, queue=queue, rows=rows, logged=len(queue.events))


# -- a citizen's place -------------------------------------------------------------------------


def take_place(
    session: Session,
    *,
    settings: Settings,
    citizen: User,
    window: HearingWindow,
    data: PlaceCreate,
    topic_complaint_id: int | None,
    now: datetime,
    language: str,
) -> tuple[HearingTicket, str]:
    """Book a slot, or join today's live queue; one open place per citizen per sitting.
    Returns the ticket and its link secret; the citizen is texted the link."""
    day = data.day or local_today(now)
    if not local_today(now) <= day <= local_today(now) + timedelta(days=BOOK_AHEAD_DAYS):
        raise Conflict(_("Book a day from today to two weeks ahead."))
    write_now(session)
    locks.subject(session, purpose="hearing-citizen", key=str(citizen.id))  # one at a time
    sitting = sitting_row(session, window, day, now=now)
    held = load_day(session, sitting)
    mine = [r for r in held.rows.values() if r.citizen_id == citizen.id and r.state in OPEN_STATES]
    if mine:
        ticket = mine[0]
        return ticket, notices.link_secret(settings, ticket.link_key)
    if _open_places(session, citizen, now=now) >= MAX_OPEN_PLACES:
        raise Conflict(
            _("You already hold {n} hearing places. Cancel one to book another.").format(
                n=MAX_OPEN_PLACES
            )
        )
    if data.slot is None:
        pure = held.queue.join(now=now, priority=data.priority)
    else:
        pure = held.queue.book(data.slot, now=now, priority=data.priority)
    link_key = secrets.token_hex(16)
    secret = notices.link_secret(settings, link_key)
    row = HearingTicket(
        sitting_id=sitting.id,
        number=pure.id,
        kind=pure.kind.value,
        citizen_id=citizen.id,
        joined_at=now,
        topic=data.topic,
        complaint_id=topic_complaint_id,
        link_key=link_key,
        token_hash=sha256_hex(secret),
        outcome_notes="",
        **{f: getattr(pure, f) for f in _FIELDS if f != "state"},
        state=pure.state.value,
    )
    session.add(row)
    session.flush()
    held.rows[pure.id] = row
    held.save(session)
    if pure.state == State.WAITING:
        _tell_officers(session, sitting)
    notices.text_place(session, settings, row, secret, language)
    audit.record(
        session,
        actor=audit.Actor(citizen.id, citizen.phone_masked or f"citizen-{citizen.id}"),
        action=f"hearing.{pure.kind.value}",
        object_type="hearing_ticket",
        object_id=row.id,
        detail={"sitting": sitting.id, "slot": pure.slot, "priority": pure.priority},
    )
    return row, secret


def _open_places(session: Session, citizen: User, *, now: datetime) -> int:
    """The citizen's places still to be heard, today or later."""
    rows = session.scalars(
        select(HearingTicket)
        .join(HearingSitting, HearingTicket.sitting_id == HearingSitting.id)
        .where(
            HearingTicket.citizen_id == citizen.id,
            HearingTicket.state.in_([State.BOOKED, State.WAITING, State.NO_SHOW]),
            HearingSitting.ends_at > now,
        )
    )
    return len(rows.all())


def ticket_by_secret(session: Session, secret: str, *, citizen: User) -> HearingTicket:
    """The ticket a link stands for, only for the citizen who took it (else NotFound: a
    link shown to anyone else says nothing about whose it is)."""
    found = session.scalar(
        select(HearingTicket).where(HearingTicket.token_hash == sha256_hex(secret[:80]))
    )
    if found is None or found.citizen_id != citizen.id:
        raise NotFound(
            _("This hearing link is not yours or is wrong. Open the link from your SMS.")
        )
    return found


def expired(ticket: HearingTicket, *, now: datetime) -> bool:
    """Whether a link no longer opens a waiting room: the day is over (a heard citizen sees
    the summary until then) or the place was cancelled."""
    over = now >= ticket.sitting.ends_at + timedelta(hours=2)
    return over or ticket.state == State.CANCELLED


def status(session: Session, ticket: HearingTicket, *, now: datetime) -> dict[str, Any]:
    """What the waiting room shows: state, place in the line and the wait's range."""
    day = load_day(session, ticket.sitting, lock=False)
    pure = day.queue.tickets[ticket.number]
    out: dict[str, Any] = {
        "state": pure.state.value,
        "number": ticket.number,
        "position": pure.place,
        "eta_from": None,
        "eta_to": None,
        "due": ticket.due.isoformat(),
        "officers": len(day.queue.sitting.officers),
        "outcome": ticket.outcome,
        "complaint_number": (
            ticket.outcome_complaint.number if ticket.outcome_complaint is not None else None
        ),
        "rejoins_left": day.queue.rules.max_rejoins - pure.rejoins,
    }
    if pure.state in (State.WAITING, State.BOOKED):
        shown = eta.for_ticket(day.queue, ticket.number, now=now)
        out["served_today"] = shown.served_today
        low, high = shown.at(now)
        out["eta_from"], out["eta_to"] = format_ist_time(low), format_ist_time(high)
        out["eta_minutes"] = [round(shown.low / MINUTE), round(shown.high / MINUTE)]
    return out


def change(
    session: Session,
    ticket: HearingTicket,
    act: Callable[[Queue], Ticket],
) -> HearingTicket:
    """Apply one change of the queue that concerns this ticket, under the sitting's lock."""
    day = load_day(session, ticket.sitting)
    act(day.queue)
    day.save(session)
    return day.rows[ticket.number]


def check_in(session: Session, ticket: HearingTicket, *, now: datetime) -> HearingTicket:
    """A booked citizen opens the waiting room: into the line (idempotent)."""
    if ticket.state != State.BOOKED:
        return ticket
    waiting = change(session, ticket, lambda q: q.check_in(ticket.number, now=now))
    _tell_officers(session, ticket.sitting)
    return waiting


def _tell_officers(session: Session, sitting: HearingSitting) -> None:
    """The panel hears (once a sitting, in-app) that citizens have begun to wait."""
    event = notifications.Event(
        kind=notifications.HEARING_WAITING,
        object_type="hearing_sitting",
        object_id=sitting.id,
        event="waiting",
        link=f"/hearings/console?sitting={sitting.id}",
        params={"day": sitting.day.isoformat()},
    )
    notifications.notify(session, users=json.loads(sitting.officers), event=event)


def arrive(session: Session, ticket: HearingTicket, *, now: datetime) -> HearingTicket:
    """A citizen opens the waiting room: a booking enters the line once the queue opens."""
    opens = ticket.sitting.starts_at - Rules().opens_before
    if ticket.state == State.BOOKED and opens <= now < ticket.sitting.ends_at:
        return check_in(session, ticket, now=now)
    return ticket


def cancel(session: Session, ticket: HearingTicket, *, now: datetime) -> HearingTicket:
    """The citizen gives up the place."""
    if ticket.state == State.CANCELLED:
        return ticket
    return change(session, ticket, lambda q: q.cancel(ticket.number, now=now))


def rejoin(session: Session, ticket: HearingTicket, *, now: datetime) -> HearingTicket:
    """A skipped citizen comes back."""
    if ticket.state == State.WAITING:
        return ticket
    return change(session, ticket, lambda q: q.rejoin(ticket.number, now=now))


def answer(session: Session, ticket: HearingTicket, *, now: datetime) -> HearingTicket:
    """The called citizen joins the call."""
    if ticket.state == State.IN_CALL:
        return ticket
    return change(session, ticket, lambda q: q.answer(ticket.number, now=now))


# -- the officer's side -------------------------------------------------------------------------


def officer_sittings(session: Session, officer: User, *, now: datetime) -> list[HearingSitting]:
    """Today's sittings this officer serves (stored once someone took a place)."""
    rows = session.scalars(
        select(HearingSitting).where(HearingSitting.day == local_today(now))
    ).all()
    return [r for r in rows if officer.id in json.loads(r.officers)]


def _serving(day: Day, officer: User) -> None:
    if officer.id not in day.queue.sitting.officers:
        raise PermissionDenied(_("You are not serving this hearing today."))


def call_next(
    session: Session, sitting: HearingSitting, *, officer: User, now: datetime
) -> HearingTicket | None:
    """The officer calls the head of the line (None when nobody waits)."""
    day = load_day(session, sitting)
    _serving(day, officer)
    called = day.queue.call_next(officer.id, now=now)
    day.save(session)
    return day.rows[called.id] if called else None


def call_out_of_order(
    session: Session, ticket: HearingTicket, *, officer: User, reason: str, now: datetime
) -> HearingTicket:
    """The officer calls someone else than the head, with the reason (logged and audited)."""
    day = load_day(session, ticket.sitting)
    _serving(day, officer)
    day.queue.call_out_of_order(officer.id, ticket.number, reason=reason, now=now)
    day.save(session)
    audit.record(
        session,
        actor=audit.Actor(officer.id, officer.username or str(officer.id)),
        action="hearing.call_out_of_order",
        object_type="hearing_ticket",
        object_id=ticket.id,
        detail={"reason": reason.strip()[:500]},
    )
    return day.rows[ticket.number]


def _held(ticket: HearingTicket, officer: User) -> None:
    if ticket.officer_id != officer.id:
        raise PermissionDenied(_("This call is another officer's."))


def finish(
    session: Session, ticket: HearingTicket, *, officer: User, now: datetime, by_phone: bool = False
) -> HearingTicket:
    """The call ends (or was held by a phone call-back): the officer is free for the next."""
    _held(ticket, officer)
    if ticket.state == State.DONE:
        return ticket
    done = change(session, ticket, lambda q: q.finish(ticket.number, now=now))
    if by_phone:
        session.add(
            HearingQueueEvent(
                sitting_id=ticket.sitting_id,
                ticket_id=ticket.id,
                kind="phone_callback",
                officer_id=officer.id,
                at=now,
                reason="",
                passed="[]",
            )
        )
    return done


def skip_no_show(
    session: Session, ticket: HearingTicket, *, officer: User, now: datetime
) -> HearingTicket:
    """The called citizen did not come within the grace period: skipped (may rejoin)."""
    _held(ticket, officer)
    return change(session, ticket, lambda q: q.skip_no_show(ticket.number, now=now))


def get_ticket(session: Session, ticket_id: int) -> HearingTicket:
    """A ticket by id, or NotFound."""
    found = session.get(HearingTicket, ticket_id)
    if found is None:
        raise NotFound(_("No such place in today's queue."))
    return found


def get_sitting(session: Session, sitting_id: int) -> HearingSitting:
    """A sitting by id, or NotFound."""
    found = session.get(HearingSitting, sitting_id)
    if found is None:
        raise NotFound(_("No such hearing."))
    return found


def history(session: Session, citizen_id: int, *, before: int) -> list[HearingTicket]:
    """A citizen's earlier hearings, newest first (for the officer's console)."""
    return list(
        session.scalars(
            select(HearingTicket)
            .where(HearingTicket.citizen_id == citizen_id, HearingTicket.id != before)
            .order_by(HearingTicket.joined_at.desc())
            .limit(10)
        )
    )
