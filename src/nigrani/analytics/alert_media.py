"""An alert's clip and level trace as its page shows them, and the clip's file for the page's
player (each viewer's views kept in the clip's chain of custody)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.analytics import clips
from nigrani.analytics.level_trace import LevelTrace
from nigrani.analytics.models import AnalyticsEvent
from nigrani.analytics.trace_chart import TraceChart, chart
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.errors import NotFound
from nigrani.core.i18n import _
from nigrani.evidence import store
from nigrani.evidence.models import CustodyEvent, EvidenceItem

# A player fetches a clip in many byte ranges (and again on each seek): one custody row
# stands for one viewer's views of one clip until QUIET has passed since it.
QUIET = timedelta(minutes=10)
# What the page says of the clip: cut (ready), being cut, to be cut once the alert ends,
# nothing recorded for the time, or cut and since removed from the evidence store.
READY, PENDING, OPEN, NO_RECORDING, GONE = "ready", "pending", "open", "no_recording", "gone"


@dataclass(frozen=True, slots=True)
class AlertMedia:
    clip_state: str
    clip: EvidenceItem | None
    trace: TraceChart | None


def _clip(session: Session, event: AnalyticsEvent) -> tuple[str, EvidenceItem | None]:
    if event.clip_item_id is not None:
        item = session.get(EvidenceItem, event.clip_item_id)
        return (READY, item) if item is not None and item.deleted_at is None else (GONE, None)
    if event.clip_state == clips.NO_RECORDING:
        return NO_RECORDING, None
    if event.clip_state == clips.READY:  # the item was deleted (the event's link went null)
        return GONE, None
    return (PENDING if event.clip_state == clips.PENDING else OPEN), None


def alert_media(session: Session, *, event: AnalyticsEvent) -> AlertMedia:
    """The alert's clip (and its state) and its level trace's chart, if it has one."""
    state, item = _clip(session, event)
    trace = None
    if event.trace_json:
        kept = LevelTrace.model_validate_json(event.trace_json)
        trace = chart(kept, started_at=event.started_at, ended_at=event.ended_at)
    return AlertMedia(state, item, trace)


def _seen_lately(session: Session, *, item: EvidenceItem, actor: audit.Actor) -> bool:
    stmt = select(CustodyEvent.id).where(
        CustodyEvent.item_id == item.id,
        CustodyEvent.actor_id == actor.id,
        CustodyEvent.action == "viewed",
        CustodyEvent.at >= utcnow() - QUIET,
    )
    return actor.id is not None and session.scalar(stmt.limit(1)) is not None


def open_clip(
    session: Session, *, settings: Settings, event: AnalyticsEvent, actor: audit.Actor
) -> tuple[Path, EvidenceItem]:
    """The clip's file for the viewer, the view kept in its custody (once per quiet spell)."""
    if event.clip_item_id is None:
        raise NotFound(_("This alert has no clip yet"))
    item = store.get_item(session, item_id=event.clip_item_id)
    if not _seen_lately(session, item=item, actor=actor):
        return store.open_for_view(session, settings=settings, item=item, actor=actor), item
    path = store.blob_path(settings, item.sha256)
    if not path.is_file():
        raise NotFound("evidence file is missing from the store; run `nigrani evidence verify`")
    return path, item
