"""Scheduled work of the canvass: expire unanswered footage requests, remind owners."""

from __future__ import annotations

import logging
import time

from sqlalchemy.orm import Session, sessionmaker

from nigrani.canvass import footage, uploads
from nigrani.core.config import Settings
from nigrani.core.db import transaction, utcnow
from nigrani.core.outbox import PeriodicTask

log = logging.getLogger(__name__)
INTERVAL_S = 60.0


class Throttled:
    """A periodic task run at most once per interval, however often the scheduler ticks."""

    def __init__(self, task: PeriodicTask, interval_s: float) -> None:
        self.task, self.interval_s = task, interval_s
        self.__name__ = getattr(task, "__name__", "task")
        self._last = float("-inf")

    def __call__(self, factory: sessionmaker[Session], settings: Settings) -> None:
        now = time.monotonic()
        if now - self._last < self.interval_s:
            return
        self._last = now
        self.task(factory, settings)


def expire_and_remind(factory: sessionmaker[Session], settings: Settings) -> None:
    """One pass over waiting footage requests, then unfinished uploads, in a transaction."""
    now = utcnow()
    with transaction(factory) as session:
        expired, reminded = footage.expire_and_remind(session, settings=settings, now=now)
        swept = uploads.sweep(session, settings=settings, now=now)
    if expired or reminded or swept:
        log.info("footage: %d expired, %d reminded, %d uploads swept", expired, reminded, swept)


PERIODIC: list[PeriodicTask] = [Throttled(expire_and_remind, INTERVAL_S)]
