"""Who watched which recorded footage: playlist and segment fetches in the audit chain,
without a row for every few seconds of video.

A playlist fetch is one row (a player asks once per day it shows). Segment fetches are many
(a file every few seconds of video): one row stands for one user watching one camera's
`WINDOW` of footage, and the same window is recorded again only once `QUIET` has passed
since its last row. An hour of footage scrubbed through is at most six rows; a window
watched on a loop, one row each ten minutes. Two fetches in flight together may both add a
row (a row is visible once its request commits): a duplicate, never a gap.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.core import audit
from nigrani.core.audit import AuditEntry
from nigrani.core.db import utcnow
from nigrani.stations.models import RecordingSegment, StationCamera

WINDOW = timedelta(minutes=10)  # of footage, per row
QUIET = timedelta(minutes=10)  # of wall time, before the same window is recorded again
PLAYLIST = "stations.playback.playlist"
WATCH = "stations.playback.watch"
VIEW = "stations.playback.view"


def record_view(
    session: Session, *, actor: audit.Actor, cameras: list[StationCamera], at: datetime
) -> None:
    """Audit the playback page opened on cameras at a moment (one row for all of them)."""
    audit.record(
        session,
        actor=actor,
        action=VIEW,
        object_type="station_camera",
        object_id=",".join(str(c.id) for c in cameras),
        detail={"cameras": [c.id for c in cameras], "at": at.isoformat()},
    )


def record_playlist(session: Session, *, actor: audit.Actor, camera_id: int, day: date) -> None:
    """Audit the fetch of one camera's playlist for a day."""
    audit.record(
        session,
        actor=actor,
        action=PLAYLIST,
        object_type="station_camera",
        object_id=camera_id,
        detail={"day": day.isoformat()},
    )


def window_of(at: datetime) -> datetime:
    """The start of the footage window (UTC) a moment falls in."""
    step = int(WINDOW.total_seconds())
    return datetime.fromtimestamp(int(at.timestamp()) // step * step, tz=UTC)


def record_watch(session: Session, *, actor: audit.Actor, segment: RecordingSegment) -> bool:
    """Audit a segment fetch, once per user, camera and window per quiet spell (True if so)."""
    start = window_of(segment.start_at)
    reference = f"{segment.camera_id}@{start:%Y-%m-%dT%H:%MZ}"
    recent = select(AuditEntry.id).where(
        AuditEntry.actor_id == actor.id,
        AuditEntry.action == WATCH,
        AuditEntry.at >= utcnow() - QUIET,
        AuditEntry.reference == reference,
    )
    if session.scalar(recent.limit(1)) is not None:
        return False
    audit.record(
        session,
        actor=actor,
        action=WATCH,
        object_type="station_camera",
        object_id=segment.camera_id,
        reference=reference,
        detail={
            "from": start.isoformat(),
            "to": (start + WINDOW).isoformat(),
            "first_segment": segment.id,
        },
    )
    return True
