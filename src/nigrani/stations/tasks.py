"""Scheduled work of station CCTV: footage cleanup (retention and the disk-space guard)."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker

from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.outbox import PeriodicTask, Throttled
from nigrani.stations import retention

log = logging.getLogger(__name__)
CLEANUP_INTERVAL_S = 600.0


def cleanup_recordings(factory: sessionmaker[Session], settings: Settings) -> None:
    """One cleanup pass over every camera's footage, each batch its own transaction."""
    result = retention.cleanup(factory, settings=settings, now=utcnow())
    if result.deleted or result.disk_full_held:
        log.info(
            "recordings: %d expired, %d cut for disk space, %d bytes freed, %s%% free",
            result.expired,
            result.cut,
            result.bytes_freed,
            result.free_percent,
        )


PERIODIC: list[PeriodicTask] = [Throttled(cleanup_recordings, CLEANUP_INTERVAL_S)]
