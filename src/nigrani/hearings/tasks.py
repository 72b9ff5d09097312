"""Scheduled work of video hearings: remind each booked citizen once, before their slot, and
keep the recordings a stopped server left unfinished."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from nigrani.core.config import Settings
from nigrani.core.db import transaction, utcnow
from nigrani.core.outbox import PeriodicTask, Throttled
from nigrani.hearings import notices, recordings
from nigrani.hearings.models import HearingTicket
from nigrani.hearings.queue import State

log = logging.getLogger(__name__)
INTERVAL_S = 60.0
REMIND_BEFORE = timedelta(minutes=30)


def remind_due(session: Session, settings: Settings, *, now: datetime) -> int:
    """Text the waiting-room link to booked citizens whose slot begins within REMIND_BEFORE;
    each once (the claim is a conditional update, so two schedulers never both send)."""
    due = session.scalars(
        select(HearingTicket.id).where(
            HearingTicket.state == State.BOOKED,
            HearingTicket.reminded_at.is_(None),
            HearingTicket.due > now,
            HearingTicket.due <= now + REMIND_BEFORE,
        )
    ).all()
    sent = 0
    for ticket_id in due:
        claimed = session.execute(
            update(HearingTicket)
            .where(HearingTicket.id == ticket_id, HearingTicket.reminded_at.is_(None))
            .values(reminded_at=now)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        ticket = session.get(HearingTicket, ticket_id)
        if ticket is not None and notices.text_reminder(session, settings, ticket):
            sent += 1
    return sent


def remind(factory: sessionmaker[Session], settings: Settings) -> None:
    """One pass of reminders, in one transaction."""
    with transaction(factory) as session:
        sent = remind_due(session, settings, now=utcnow())
    if sent:
        log.info("hearings: %d reminders texted", sent)


def keep_left(factory: sessionmaker[Session], settings: Settings) -> None:
    """Recordings a stopped or killed server left in staging go into the evidence store."""
    kept = recordings.keep_left(factory, settings, now=utcnow())
    if kept:
        log.info("hearings: %d recordings left by a stopped server kept", kept)


PERIODIC: list[PeriodicTask] = [Throttled(remind, INTERVAL_S), Throttled(keep_left, INTERVAL_S)]
