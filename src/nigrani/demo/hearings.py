"""The demo's video hearings: the DCP Central hears citizens with the ACP Kotwali, Monday to
Saturday 12:00-14:00 IST (Prayagraj's hours in the seed report), in 10-minute slots, and
the last few sittings already held, so the dashboard, the day list and each citizen's
history have something to show. The past sittings go through the real queue and outcome
services at their own moments (bookings the day before, walk-ins as the queue opens, calls
of 4-9 minutes, a no-show who did not come back), each ending as a complaint."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from nigrani.accounts import otp
from nigrani.accounts.models import User
from nigrani.accounts.notifications import Notification
from nigrani.core.config import Settings
from nigrani.hearings import hours, outcomes, service, windows
from nigrani.hearings.models import HearingTicket, HearingWindow
from nigrani.hearings.queue import Rules, State
from nigrani.hearings.schemas import OutcomeCreate, PlaceCreate, WindowCreate

OWNER, PANEL = "dcp.central", "acp.kotwali"
HISTORY_SITTINGS = 5  # the last sittings before today, already held
CITIZENS = 12  # demo mobiles +9190000300NN
TOPICS = (  # what each citizen came about, and the category of the complaint it may become
    ("डेमो: थाने में एफ़आईआर दर्ज नहीं की गई", "police_conduct"),
    ("डेमो: पड़ोसी से ज़मीन का विवाद, थाने में सुनवाई नहीं", "land_dispute"),
    ("Demo: my stolen phone's complaint has had no progress", "theft"),
    ("डेमो: चोरी हुई मोटरसाइकिल का पता नहीं चला", "theft"),
    ("Demo: threatening calls from an unknown number", "threat"),
    ("डेमो: दहेज के लिए परेशान किया जा रहा है", "domestic_violence"),
)
STATION = "KNP-S-KOTWALI"  # where the new complaints are forwarded
NOTES = {  # a new complaint or not
    False: "Demo: the SHO was told on the call to register the report today.",
    True: "Demo: a new complaint, forwarded to the station for inquiry.",
}


@dataclass(frozen=True, slots=True)
class _Place:
    citizen: User
    booked_slot: int | None  # None: walked in at the start
    minutes: int  # the call's length
    comes: bool  # False: does not answer the call (a no-show)
    topic: int  # in TOPICS


def seed_hearings(
    session: Session, settings: Settings, *, now: datetime, history: int = HISTORY_SITTINGS
) -> int:
    """Publish the demo window unless the DCP has one, and hold its last `history` sittings;
    returns how many hearings were held."""
    owner = session.scalar(select(User).where(User.username == OWNER))
    panel = session.scalar(select(User).where(User.username == PANEL))
    if owner is None or panel is None:
        return 0  # the demo users come first
    if session.scalar(select(HearingWindow.id).where(HearingWindow.owner_id == owner.id)):
        return 0
    today = hours.local_today(now)
    data = WindowCreate(
        weekdays=[0, 1, 2, 3, 4, 5], starts=time(12), ends=time(14), slot_minutes=10,
        panel=[panel.id], valid_from=today - timedelta(days=14),
    )  # fmt: skip
    window = hours.publish_window(session, data=data, owner=owner, actor=owner, now=now)
    citizens = [
        otp.citizen_for(session, settings=settings, e164=f"+9190000300{n:02d}")
        for n in range(CITIZENS)
    ]
    past = hours.upcoming(session, window, today=today - timedelta(days=14), days=14)
    sittings = [s for s in past if s.ends_at <= now][-history:] if history else []
    held = 0
    for number, sitting in enumerate(sittings):
        draw = random.Random(number)  # noqa: S311 - the same demo on every machine
        chosen = draw.sample(citizens, draw.randint(4, 7))
        places = [
            _Place(
                citizen=c,
                booked_slot=None if i % 3 == 2 else i,
                minutes=draw.randint(4, 9),
                comes=draw.random() > 0.12,
                topic=draw.randrange(len(TOPICS)),
            )
            for i, c in enumerate(chosen)
        ]
        held += _hold(session, settings, window, sitting, places, (owner, panel))
    return held


def _hold(
    session: Session,
    settings: Settings,
    window: HearingWindow,
    sitting: windows.Sitting,
    places: list[_Place],
    officers: tuple[User, User],
) -> int:
    """One past sitting: the bookings the day before, the walk-ins as the queue opens, the
    booked citizens checking in, then the calls in the queue's order; the hearings held."""
    starts = sitting.starts_at
    booked = [p for p in places if p.booked_slot is not None]
    walk_ins = [p for p in places if p.booked_slot is None]
    tickets: dict[int, tuple[HearingTicket, _Place]] = {}
    for n, place in enumerate([*booked, *walk_ins]):
        is_booked = place.booked_slot is not None
        at = starts - (timedelta(days=1) if is_booked else timedelta(minutes=20 - n))
        data = PlaceCreate(
            window_id=window.id,
            day=sitting.day if is_booked else None,
            slot=place.booked_slot,
            topic=TOPICS[place.topic][0],
        )
        ticket, _secret = service.take_place(
            session, settings=settings, citizen=place.citizen, window=window, data=data,
            topic_complaint_id=None, now=at, language="hi" if n % 2 == 0 else "en",
        )  # fmt: skip
        tickets[ticket.id] = (ticket, place)
    for ticket, _place in tickets.values():  # each opens the waiting room before noon
        if ticket.state == State.BOOKED:
            service.arrive(session, ticket, now=starts - timedelta(minutes=5))
    row = next(iter(tickets.values()))[0].sitting
    session.execute(  # the panel was told the citizens were waiting, and saw it that day
        update(Notification)
        .where(Notification.object_type == "hearing_sitting", Notification.object_id == row.id)
        .values(read_at=starts)
    )
    free = dict.fromkeys(officers, starts)  # when each officer is free for the next call
    heard = 0
    while True:
        officer = min(officers, key=lambda o: free[o])
        called = service.call_next(session, row, officer=officer, now=free[officer])
        if called is None:
            return heard
        place = tickets[called.id][1]
        if not place.comes:
            free[officer] += Rules().grace
            service.skip_no_show(session, called, officer=officer, now=free[officer])
            continue
        service.answer(session, called, now=free[officer] + timedelta(seconds=40))
        ends = free[officer] + timedelta(minutes=place.minutes)
        service.finish(session, called, officer=officer, now=ends)
        new = heard % 3 == 1  # a new complaint for the station; the rest resolved on the call
        record = OutcomeCreate(
            outcome="complaint" if new else "resolved", notes=NOTES[new],
            category=TOPICS[place.topic][1] if new else None, station_code=STATION if new else None,
        )  # fmt: skip
        outcomes.record(
            session, settings=settings, ticket=called, data=record, officer=officer, now=ends
        )
        free[officer] = ends + timedelta(minutes=1)
        heard += 1
