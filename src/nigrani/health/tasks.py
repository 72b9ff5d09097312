"""Scheduled work of camera health: the alert sweep (the prober is its own process)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from nigrani.core.config import Settings
from nigrani.core.db import transaction, utcnow
from nigrani.core.outbox import PeriodicTask, Throttled
from nigrani.health import alerts

ALERT_SWEEP_INTERVAL_S = 60.0


def sweep_alerts(factory: sessionmaker[Session], settings: Settings) -> None:
    """Raise and resolve the camera-health alerts, in one transaction."""
    with transaction(factory) as session:
        alerts.sweep(session, utcnow(), settings)


PERIODIC: list[PeriodicTask] = [Throttled(sweep_alerts, ALERT_SWEEP_INTERVAL_S)]
