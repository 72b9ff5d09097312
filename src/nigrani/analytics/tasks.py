"""Scheduled work of station analytics: the clips of alerts still open after a while."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from nigrani.analytics import clips
from nigrani.core.config import Settings
from nigrani.core.db import transaction
from nigrani.core.outbox import PeriodicTask, Throttled

OPEN_CLIPS_INTERVAL_S = 60.0


def clip_open_alerts(factory: sessionmaker[Session], settings: Settings) -> None:
    """Queue a clip of the first minutes of each alert open longer than clips.OPEN_CAP."""
    with transaction(factory) as session:
        clips.clip_open_events(session, settings=settings)


PERIODIC: list[PeriodicTask] = [Throttled(clip_open_alerts, OPEN_CLIPS_INTERVAL_S)]
