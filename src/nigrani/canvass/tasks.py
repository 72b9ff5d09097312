"""Scheduled work of the canvass: expire unanswered footage requests, remind owners."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker

from nigrani.canvass import footage, uploads
from nigrani.core.config import Settings
from nigrani.core.db import transaction, utcnow
from nigrani.core.outbox import PeriodicTask, Throttled

log = logging.getLogger(__name__)
INTERVAL_S = 60.0


def expire_and_remind(factory: sessionmaker[Session], settings: Settings) -> None:
    """One pass over waiting footage requests, then unfinished uploads, in a transaction."""
    now = utcnow()
    with transaction(factory) as session:
        expired, reminded = footage.expire_and_remind(session, settings=settings, now=now)
        swept = uploads.sweep(session, settings=settings, now=now)
    if expired or reminded or swept:
        log.info("footage: %d expired, %d reminded, %d uploads swept", expired, reminded, swept)


PERIODIC: list[PeriodicTask] = [Throttled(expire_and_remind, INTERVAL_S)]
