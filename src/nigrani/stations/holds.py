"""Holds on recorded footage: a time range of one camera that cleanup must keep.

A legal hold is placed by an officer (a case, a complaint, a court's order); an evidence
hold is placed when a clip is exported, so the segments the clip came from stay on disk.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.orm import Session

from nigrani.core import audit
from nigrani.core.db import utcnow
from nigrani.core.errors import Conflict, ValidationFailed
from nigrani.core.i18n import _
from nigrani.stations.models import HOLD_KINDS, RecordingHold, RecordingSegment, StationCamera

MIN_REASON = 10


def given_reason(reason: str) -> str:
    """The officer's reason for keeping or taking footage, stripped; refused when short."""
    text = reason.strip()
    if len(text) < MIN_REASON:
        raise ValidationFailed(
            _("Give a reason of at least {n} characters.").format(n=MIN_REASON), field="reason"
        )
    return text


def _check(start: datetime, end: datetime, reason: str, kind: str) -> str:
    if kind not in HOLD_KINDS:
        raise ValidationFailed(f"unknown hold kind {kind!r}", field="kind")
    if start >= end:
        raise ValidationFailed(_("The hold must end after it starts."), field="end")
    return given_reason(reason)


def place_hold(
    session: Session,
    *,
    actor: audit.Actor,
    camera: StationCamera,
    start: datetime,
    end: datetime,
    reason: str,
    incident_id: int | None = None,
    kind: str = "legal_hold",
    evidence_item_id: int | None = None,
) -> RecordingHold:
    """Keep one camera's footage of [start, end) from cleanup until the hold is released."""
    text = _check(start, end, reason, kind)
    hold = RecordingHold(
        camera_id=camera.id,
        start_at=start,
        end_at=end,
        kind=kind,
        reason=text[:400],
        incident_id=incident_id,
        evidence_item_id=evidence_item_id,
        created_by=actor.id,
        created_at=utcnow(),
    )
    session.add(hold)
    session.flush()
    _audit(session, actor=actor, action="stations.hold.place", hold=hold, reason=text)
    return hold


def release_hold(
    session: Session, *, actor: audit.Actor, hold: RecordingHold, reason: str
) -> RecordingHold:
    """End a hold; its footage is then cleaned up with the rest once past retention."""
    if hold.released_at is not None:
        raise Conflict(_("This hold was already released."))
    text = _check(hold.start_at, hold.end_at, reason, hold.kind)
    hold.released_at = utcnow()
    session.flush()
    _audit(session, actor=actor, action="stations.hold.release", hold=hold, reason=text)
    return hold


def _audit(
    session: Session, *, actor: audit.Actor, action: str, hold: RecordingHold, reason: str
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type="recording_hold",
        object_id=hold.id,
        reason=reason,
        detail=_detail(hold),
    )


def _detail(hold: RecordingHold) -> dict[str, object]:
    return {
        "camera_id": hold.camera_id,
        "kind": hold.kind,
        "start": hold.start_at.isoformat(),
        "end": hold.end_at.isoformat(),
        "incident_id": hold.incident_id,
        "evidence_item_id": hold.evidence_item_id,
    }


def open_holds(session: Session, *, camera_id: int) -> list[RecordingHold]:
    """A camera's unreleased holds, oldest range first."""
    stmt = select(RecordingHold).where(
        RecordingHold.camera_id == camera_id, RecordingHold.released_at.is_(None)
    )
    return list(session.scalars(stmt.order_by(RecordingHold.start_at)))


def segment_is_held() -> ColumnElement[bool]:
    """A filter true for segments that overlap an unreleased hold of their camera."""
    overlap = and_(
        RecordingHold.camera_id == RecordingSegment.camera_id,
        RecordingHold.released_at.is_(None),
        RecordingHold.start_at < RecordingSegment.end_at,
        RecordingHold.end_at > RecordingSegment.start_at,
    )
    return exists().where(overlap)
