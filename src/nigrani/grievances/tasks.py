"""Scheduled work of grievances: escalate overdue complaints, once a minute."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker

from nigrani.core.config import Settings
from nigrani.core.db import transaction, utcnow
from nigrani.core.outbox import PeriodicTask, Throttled
from nigrani.grievances import sla

log = logging.getLogger(__name__)
INTERVAL_S = 60.0


def escalate(
    factory: sessionmaker[Session],
    settings: Settings,  # noqa: ARG001 - a periodic task's signature
) -> None:
    """One pass over overdue complaints, in one transaction."""
    with transaction(factory) as session:
        moved = sla.escalate_overdue(session, now=utcnow())
    if moved:
        log.info("grievances: %d complaints escalated", moved)


PERIODIC: list[PeriodicTask] = [Throttled(escalate, INTERVAL_S)]
