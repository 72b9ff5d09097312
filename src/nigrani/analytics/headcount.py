"""How many people each station's watched cameras see now, for the alert wall's tiles.

The worker that holds a camera's analytics lease writes the camera's latest count (people,
and those of them in its waiting zones, with the frame's time) at each heartbeat, and only
while it holds the lease, so a worker that lost a camera never writes over its successor.
The wall sums a station's counts that are fresh: a count older than FRESH_S (its feed
stalled, its worker gone) is not "now", and a station without one is shown as not watched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.stations.models import StationCamera

FRESH_S: Final = 60.0  # a count older than this is not shown as now


@dataclass(frozen=True, slots=True)
class Count:
    """One camera's people in its latest analysed frame."""

    people: int
    waiting: int  # of them, in the camera's waiting zones
    at: datetime  # UTC: the frame's time


@dataclass(frozen=True, slots=True)
class StationCount:
    """A station's people now, over its cameras counted now."""

    people: int
    waiting: int
    cameras: int


def write(session: Session, *, me: str, counts: Mapping[int, Count]) -> int:
    """Store the counts of the cameras this worker still holds; how many were stored."""
    stored = 0
    for camera_id, count in counts.items():
        result = session.execute(
            update(StationCamera)
            .where(StationCamera.id == camera_id, StationCamera.analytics_leased_by == me)
            .values(
                analytics_people=count.people,
                analytics_waiting=count.waiting,
                analytics_counted_at=count.at,
            )
        )
        if isinstance(result, CursorResult):
            stored += result.rowcount
    return stored


def by_station(session: Session, *, path: str, now: datetime) -> dict[int, StationCount]:
    """The stations under `path` with a camera counted now, and their people (one query)."""
    since = now - timedelta(seconds=FRESH_S)
    rows = session.execute(
        select(
            StationCamera.station_id,
            func.sum(StationCamera.analytics_people),
            func.sum(StationCamera.analytics_waiting),
            func.count(StationCamera.id),
        )
        .where(
            StationCamera.enabled.is_(True),
            StationCamera.analytics_leased_by.is_not(None),
            StationCamera.analytics_lease_until >= now,
            StationCamera.analytics_counted_at >= since,
            jurisdiction.under(StationCamera.node_path, path),
        )
        .group_by(StationCamera.station_id)
    ).all()
    return {
        int(station): StationCount(int(people or 0), int(waiting or 0), int(cameras))
        for station, people, waiting, cameras in rows
    }
