"""Events posted by the analytics workers: the first post of a uuid makes the event, every
later one (a retry, a new peak, the end) only moves it forward.

Idempotent by the worker's uuid: the row is made by INSERT ... ON CONFLICT DO NOTHING on
the unique uuid, so two posts of one event at once (two API processes, a retry racing the
first attempt) make one row on SQLite and PostgreSQL; a later change locks the row
(PostgreSQL; SQLite's writer lock stands for it) before it merges."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from nigrani.accounts.jurisdiction import within
from nigrani.analytics import alert_feed, clips, notices
from nigrani.analytics.level_trace import LevelTrace
from nigrani.analytics.models import AnalyticsEvent, AnalyticsEventStep
from nigrani.analytics.schemas import EventPost, PeakValue
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.errors import Conflict, NotFound, ValidationFailed
from nigrani.core.i18n import _
from nigrani.evidence import store
from nigrani.stations.models import StationCamera

# How far ahead of the server's clock a worker's clock may run.
MAX_SKEW = timedelta(seconds=120)


@dataclass(frozen=True, slots=True)
class Ingested:
    event: AnalyticsEvent
    created: bool  # this post made the event
    changed: bool  # this post changed it (made it, or moved its end, peak or snapshot on)


def record_change(
    session: Session,
    *,
    settings: Settings,
    change: EventPost,
    scope_path: str,
    actor: audit.Actor,
) -> Ingested:
    """Make the event of a new uuid, or move a known one forward; a retry changes nothing."""
    camera = _camera(session, camera_id=change.station_camera_id, scope_path=scope_path)
    _check_times(change)
    new_id = _insert(session, camera=camera, change=change)
    if new_id is not None:
        event = session.get_one(AnalyticsEvent, new_id)
        _raised(session, settings=settings, event=event, change=change, actor=actor)
        return Ingested(event, created=True, changed=True)
    event = _locked(session, change)
    changed = _move_forward(session, settings=settings, event=event, change=change, actor=actor)
    return Ingested(event, created=False, changed=changed)


def _camera(session: Session, *, camera_id: int, scope_path: str) -> StationCamera:
    camera = session.get(StationCamera, camera_id)
    if camera is None or not within(camera.node_path, scope_path):
        raise NotFound(
            _("No station camera {id} in this key's jurisdiction").format(id=camera_id),
            field="station_camera_id",
        )
    return camera


def _check_times(change: EventPost) -> None:
    latest = utcnow() + MAX_SKEW
    for field, value in (("started_at", change.started_at), ("ended_at", change.ended_at)):
        if value is not None and value > latest:
            raise ValidationFailed(
                _("{field} lies in the future: check the worker's clock").format(field=field),
                field=field,
            )


def _dump(peak: dict[str, PeakValue]) -> str:
    return json.dumps(peak, sort_keys=True, ensure_ascii=False)


def _trace_json(trace: LevelTrace | None) -> str | None:
    return trace.model_dump_json() if trace is not None else None


def _longer_trace(old: str | None, new: LevelTrace | None) -> bool:
    """Whether a posted trace goes on further than the kept one (a trace only grows)."""
    if new is None:
        return False
    return old is None or len(new.points) > len(LevelTrace.model_validate_json(old).points)


def _insert(session: Session, *, camera: StationCamera, change: EventPost) -> int | None:
    """The new event's id, or None if the uuid is known (made before, or at this moment)."""
    now = utcnow()
    values: dict[str, Any] = {
        "uuid": str(change.uuid),
        "station_camera_id": camera.id,
        "station_id": camera.station_id,
        "node_path": camera.node_path,
        "kind": change.kind,
        "started_at": change.started_at,
        "ended_at": change.ended_at,
        "peak_json": _dump(change.peak),
        "trace_json": _trace_json(change.trace),
        "status": "open",
        "created_at": now,
        "updated_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(AnalyticsEvent).values(**values).on_conflict_do_nothing(index_elements=["uuid"])
    # RETURNING, not rowcount: a driver may report -1 for a row it skipped.
    new_id: int | None = session.scalar(stmt.returning(AnalyticsEvent.id))
    return new_id


def _raised(
    session: Session,
    *,
    settings: Settings,
    event: AnalyticsEvent,
    change: EventPost,
    actor: audit.Actor,
) -> None:
    session.add(
        AnalyticsEventStep(
            event_id=event.id,
            at=utcnow(),
            actor_id=actor.id,
            actor_label=actor.label,
            step="raised",
            status="open",
            note="",
        )
    )
    if change.snapshot_jpeg_b64 is not None:
        _attach_snapshot(
            session, settings=settings, event=event, jpeg=change.snapshot_jpeg_b64, actor=actor
        )
    audit.record(
        session,
        actor=actor,
        action="analytics.event.raised",
        object_type="analytics_event",
        object_id=event.id,
        detail={"uuid": event.uuid, "kind": event.kind, "camera": event.station_camera_id},
    )
    session.flush()
    if event.ended_at is not None:
        clips.request_clip(session, settings=settings, event=event)
    notices.alert_raised(session, event=event, poster_id=actor.id)
    alert_feed.announce(session, event_id=event.id)


def _locked(session: Session, change: EventPost) -> AnalyticsEvent:
    """The known event of this uuid, row-locked; a uuid reused for another event is 409."""
    stmt = select(AnalyticsEvent).where(AnalyticsEvent.uuid == str(change.uuid))
    event = session.scalars(stmt.with_for_update().execution_options(populate_existing=True)).one()
    same = (
        event.station_camera_id == change.station_camera_id
        and event.kind == change.kind
        and event.started_at == change.started_at
    )
    if not same:
        raise Conflict(
            _("This uuid belongs to another event (camera, rule or start differ)"), field="uuid"
        )
    return event


def merge_peak(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The peak so far: each number the larger of the two; a list as last posted (the
    worker's own peak grows it: people seen, reasons); other values as first known."""
    merged = dict(old)
    for key, value in new.items():
        before = merged.get(key)
        higher = _number(before) and _number(value) and value > before
        if key not in merged or higher or isinstance(value, list):
            merged[key] = value
    return merged


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _later_end(old: datetime | None, new: datetime | None) -> datetime | None:
    if old is None or new is None:
        return old or new
    return max(old, new)


def _move_forward(
    session: Session,
    *,
    settings: Settings,
    event: AnalyticsEvent,
    change: EventPost,
    actor: audit.Actor,
) -> bool:
    peak = merge_peak(json.loads(event.peak_json), change.peak)
    ended_at = _later_end(event.ended_at, change.ended_at)
    changed = False
    if _dump(peak) != event.peak_json:
        event.peak_json, changed = _dump(peak), True
    if ended_at != event.ended_at:
        event.ended_at, changed = ended_at, True
    if _longer_trace(event.trace_json, change.trace):
        event.trace_json, changed = _trace_json(change.trace), True
    if event.snapshot_item_id is None and change.snapshot_jpeg_b64 is not None:
        _attach_snapshot(
            session, settings=settings, event=event, jpeg=change.snapshot_jpeg_b64, actor=actor
        )
        changed = True
    if changed:
        event.updated_at = utcnow()
        session.flush()
        if event.ended_at is not None:
            clips.request_clip(session, settings=settings, event=event)  # once, at the end
        alert_feed.announce(session, event_id=event.id)
    return changed


def _attach_snapshot(
    session: Session, *, settings: Settings, event: AnalyticsEvent, jpeg: bytes, actor: audit.Actor
) -> None:
    """Keep the snapshot in the evidence store (hashed on arrival, with its custody)."""
    item = store.receive(
        session,
        settings=settings,
        stream=io.BytesIO(jpeg),
        original_name=f"analytics-{event.uuid}.jpg",
        media_type="image/jpeg",
        kind="snapshot",
        actor=actor,
        source=f"analytics event {event.uuid}, station camera {event.station_camera_id}",
        delivered_by=actor.label,
        claimed_start=event.started_at,
        node_path=event.node_path,
    )
    event.snapshot_item_id = item.id
