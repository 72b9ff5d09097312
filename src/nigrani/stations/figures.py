"""Station CCTV in figures for the home pages: cameras not recording per station, and open
alerts — counted with the same conditions as the lists behind them (the cameras list's
`stopped` filter, the compliance board's open alerts)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigrani.accounts.jurisdiction import under
from nigrani.core.config import Settings
from nigrani.stations import alerts
from nigrani.stations.models import StationAlert, StationCamera
from nigrani.stations.service import not_recording


def working_since(settings: Settings, now: datetime) -> datetime:
    """The start of the working window: a camera with no footage since then is not recording."""
    return now - timedelta(minutes=settings.compliance_working_minutes)


def not_recording_by_station(
    session: Session, *, scope_path: str, since: datetime
) -> dict[int, int]:
    """Cameras switched on that recorded nothing since `since`, by station id (one query)."""
    stmt = (
        select(StationCamera.station_id, func.count(StationCamera.id))
        .where(under(StationCamera.node_path, scope_path), not_recording(since))
        .group_by(StationCamera.station_id)
    )
    return {int(station): int(n) for station, n in session.execute(stmt)}


def open_alerts(session: Session, *, scope_path: str) -> list[StationAlert]:
    """The open alerts the compliance board of this node lists (with the system's own)."""
    return alerts.open_alerts(session, scope_path=scope_path)
