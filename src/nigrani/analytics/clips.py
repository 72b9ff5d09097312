"""An alert's clip: its camera's recorded footage from a little before the event to a little
after, cut into the evidence store (stations.clips: copied, not re-encoded, hashed, held) by
an outbox job, off the request that ended the event.

The job waits for the recorder: footage is in the database once its segment file closes,
so a job that finds the recordings short of the clip's end fails and the outbox retries it
later. It gives up waiting when the camera has no recorder holding it, when the recordings
stayed short for WAIT_LIMIT, or on the outbox's last try: it then cuts what is recorded,
or marks the event "no recording". An event gets one clip whatever runs how often: the job
is queued by a conditional update of the event's clip_state, and the clip is attached by a
conditional update of its clip_item_id, under the event's row lock."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from nigrani.analytics.models import AnalyticsEvent
from nigrani.core import audit, outbox
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.errors import Conflict, ValidationFailed
from nigrani.stations import clips as station_clips
from nigrani.stations.models import StationCamera

JOB_KIND = "analytics.clip"
ACTOR = audit.Actor(None, "analytics")
PAD = timedelta(seconds=10)  # of footage either side of the event
MAX_CLIP = timedelta(minutes=3)
OPEN_CAP = timedelta(minutes=10)  # an event still open this long gets a clip of its start
WAIT_LIMIT = timedelta(minutes=10)  # after the clip's end, the longest wait for its footage
SETTLE = timedelta(seconds=5)  # the recorder's row follows its closed file by this much
PENDING, READY, NO_RECORDING = "pending", "ready", "no_recording"


class FootagePending(Exception):
    """The recordings do not reach the clip's end yet: the outbox tries again later."""


def clip_range(event: AnalyticsEvent) -> tuple[datetime, datetime]:
    """The footage an event's clip holds: PAD either side, at most MAX_CLIP from its start."""
    start = event.started_at - PAD
    end = event.ended_at + PAD if event.ended_at is not None else start + MAX_CLIP
    return start, min(end, start + MAX_CLIP)


def request_clip(session: Session, *, settings: Settings, event: AnalyticsEvent) -> bool:
    """Queue the event's clip unless it was queued before (True if this call queued it).

    The first try waits until the recorder should have closed the file holding the end."""
    won = session.execute(
        update(AnalyticsEvent)
        .where(AnalyticsEvent.id == event.id, AnalyticsEvent.clip_state.is_(None))
        .values(clip_state=PENDING)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        return False
    end = clip_range(event)[1]
    segment = timedelta(seconds=settings.recording_segment_seconds)
    delay = max(end - utcnow(), timedelta(0)) + segment + SETTLE
    outbox.enqueue(
        session,
        kind=JOB_KIND,
        payload={"event": event.id},
        dedupe_key=f"{JOB_KIND}:{event.id}",
        delay=delay,
    )
    return True


def clip_open_events(session: Session, *, settings: Settings, limit: int = 100) -> int:
    """Queue the clips of events still open after OPEN_CAP (their first minutes); how many."""
    stmt = (
        select(AnalyticsEvent)
        .where(AnalyticsEvent.ended_at.is_(None), AnalyticsEvent.clip_state.is_(None))
        .where(AnalyticsEvent.started_at <= utcnow() - OPEN_CAP)
        .order_by(AnalyticsEvent.id)
        .limit(limit)
    )
    events = list(session.scalars(stmt))
    return sum(request_clip(session, settings=settings, event=e) for e in events)


def _recorder_holds(camera: StationCamera) -> bool:
    return camera.lease_until is not None and camera.lease_until > utcnow()


def _reach(
    session: Session, *, camera: StationCamera, start: datetime, end: datetime, final: bool
) -> datetime | None:
    """Where the clip can end: `end`, the recordings' reach once waiting is over, or None
    (nothing recorded after `start`). Raises FootagePending while worth waiting."""
    newest = station_clips.newest_recorded(session, camera=camera)
    if newest is not None and newest >= end:
        return end
    waiting = _recorder_holds(camera) and utcnow() < end + WAIT_LIMIT and not final
    if waiting:
        raise FootagePending(f"camera {camera.id} is recorded until {newest}, the clip ends {end}")
    gap = timedelta(seconds=station_clips.GAP_TOLERANCE_S)
    return newest if newest is not None and newest > start + gap else None


def _locked(session: Session, event_id: int) -> AnalyticsEvent | None:
    stmt = select(AnalyticsEvent).where(AnalyticsEvent.id == event_id).with_for_update()
    return session.scalars(stmt.execution_options(populate_existing=True)).first()


def cut_clip(
    session: Session, *, settings: Settings, event_id: int, final: bool = False
) -> str | None:
    """Cut the event's clip if its footage is recorded; the event's clip_state after (None
    if the event is gone). Raises FootagePending to be tried again."""
    event = _locked(session, event_id)
    if event is None or event.clip_item_id is not None:
        return event.clip_state if event is not None else None
    camera = session.get_one(StationCamera, event.station_camera_id)
    start, end = clip_range(event)
    reach = _reach(session, camera=camera, start=start, end=end, final=final)
    item_id = None
    if reach is not None:
        try:
            item_id = _export(session, settings=settings, event=event, camera=camera, end=reach)
        except ValidationFailed:  # the recordings have a hole over the whole range
            item_id = None
    _attach(session, event=event, item_id=item_id)
    return event.clip_state


def _export(
    session: Session,
    *,
    settings: Settings,
    event: AnalyticsEvent,
    camera: StationCamera,
    end: datetime,
) -> int:
    item = station_clips.export_clip(
        session,
        settings=settings,
        actor=ACTOR,
        camera=camera,
        start=clip_range(event)[0],
        end=end,
        reason=f"Clip of analytics alert {event.id} ({event.kind})",
        accept_covered_s=0.0,  # the alert's clip is what was recorded, gaps and all
    )
    return item.id


def _attach(session: Session, *, event: AnalyticsEvent, item_id: int | None) -> None:
    """Give the event its clip (or "no recording"), unless another run gave it one first."""
    state = READY if item_id is not None else NO_RECORDING
    won = session.execute(
        update(AnalyticsEvent)
        .where(AnalyticsEvent.id == event.id, AnalyticsEvent.clip_item_id.is_(None))
        .values(clip_item_id=item_id, clip_state=state)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"analytics event {event.id} got its clip from another run")
    audit.record(
        session,
        actor=ACTOR,
        action="analytics.event.clip",
        object_type="analytics_event",
        object_id=event.id,
        detail={"state": state, "evidence_item_id": item_id},
    )


def _final_try(ctx: outbox.JobContext) -> bool:
    job = ctx.session.get(outbox.OutboxJob, ctx.job_id)
    return job is not None and job.attempts >= job.max_attempts


@outbox.handler(JOB_KIND)
def _cut(ctx: outbox.JobContext, payload: dict[str, Any]) -> None:
    """Cut an alert's clip, or fail to be tried again while its footage is being written."""
    cut_clip(
        ctx.session, settings=ctx.settings, event_id=int(payload["event"]), final=_final_try(ctx)
    )
