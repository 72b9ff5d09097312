"""JSON API of station analytics: workers post their rules' events; officers act on alerts."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Response

from nigrani.accounts import service as accounts_service
from nigrani.accounts.deps import require_scope
from nigrani.analytics import ingest, workflow
from nigrani.analytics.deps import AlertHandler, CurrentEvent, EventPoster, PosterActor
from nigrani.analytics.models import AnalyticsEvent
from nigrani.analytics.schemas import EventPost, EventRead, StepCreate, StepRead
from nigrani.core.deps import DbSession, SettingsDep
from nigrani.evidence.models import EvidenceItem

router = APIRouter(prefix="/api/v1/analytics/events", tags=["analytics"])


def _read(db: DbSession, event: AnalyticsEvent, *, created: bool = False) -> EventRead:
    snapshot = db.get(EvidenceItem, event.snapshot_item_id) if event.snapshot_item_id else None
    return EventRead(
        id=event.id,
        uuid=event.uuid,
        station_camera_id=event.station_camera_id,
        station_id=event.station_id,
        kind=event.kind,
        started_at=event.started_at,
        ended_at=event.ended_at,
        peak=json.loads(event.peak_json),
        snapshot_sha256=snapshot.sha256 if snapshot else None,
        status=event.status,
        updated_at=event.updated_at,
        created=created,
    )


@router.post("", dependencies=[Depends(require_scope("worker"))])
def post_event(
    body: EventPost,
    db: DbSession,
    settings: SettingsDep,
    scope: EventPoster,
    actor: PosterActor,
    response: Response,
) -> EventRead:
    """Record a rule event's start, new peak or end (201 when new; a retry answers 200)."""
    done = ingest.record_change(
        db, settings=settings, change=body, scope_path=scope.node.path, actor=actor
    )
    response.status_code = 201 if done.created else 200
    return _read(db, done.event, created=done.created)


@router.get("/{event_id}")
def get_event(db: DbSession, event: CurrentEvent) -> EventRead:
    """One alert in the caller's jurisdiction."""
    return _read(db, event)


@router.get("/{event_id}/steps")
def list_steps(db: DbSession, event: CurrentEvent) -> list[StepRead]:
    """An alert's timeline, oldest first."""
    return [
        StepRead(at=s.at, actor=s.actor_label, step=s.step, status=s.status, note=s.note)
        for s in workflow.timeline(db, event=event)
    ]


@router.post("/{event_id}/steps")
def take_step(
    body: StepCreate, db: DbSession, event: CurrentEvent, scope: AlertHandler
) -> EventRead:
    """Acknowledge an alert, record the instruction given, resolve it or mark it false."""
    moved = workflow.take_step(
        db,
        event=event,
        step=body.step,
        note=body.note,
        actor=accounts_service.actor_of(scope.user),
    )
    return _read(db, moved)
