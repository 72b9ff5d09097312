"""Evidence clips from recorded station footage: an exact time range of one camera, copied
(not re-encoded) into one MP4, hashed into the evidence store with its custody opened, and
its source segments put on an evidence hold so cleanup never deletes them."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigrani.accounts.models import JurisdictionNode
from nigrani.canvass import service as canvass_service
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.errors import Conflict, ValidationFailed
from nigrani.core.i18n import _, to_ist
from nigrani.evidence import store
from nigrani.evidence.device import Device
from nigrani.evidence.models import EvidenceItem
from nigrani.stations import holds
from nigrani.stations.labels import role_label
from nigrani.stations.models import RecordingHold, RecordingSegment, StationCamera
from nigrani.stations.remux import Remuxed, Source, remux

MAX_CLIP = timedelta(hours=2)
# Segments closer than this count as continuous (timestamps are rounded by the recorder).
GAP_TOLERANCE_S = 1.0
ACTION = "stations.clip.export"


@dataclass(frozen=True, slots=True)
class Gap:
    """A time inside the clip's range with no recorded footage."""

    start_at: datetime
    end_at: datetime

    @property
    def seconds(self) -> float:
        """Length of the gap."""
        return (self.end_at - self.start_at).total_seconds()

    def as_json(self) -> dict[str, Any]:
        """The gap as the audit row and the clip's details keep it."""
        return {
            "start": self.start_at.isoformat(),
            "end": self.end_at.isoformat(),
            "seconds": round(self.seconds, 3),
        }


class ShortFootage(Conflict):
    """The recordings cover less of the asked range than asked: the officer must confirm."""

    def __init__(self, gaps: list[Gap], *, asked_s: float) -> None:
        self.gaps = gaps
        self.asked_s = asked_s
        self.covered_s = max(0.0, asked_s - sum(g.seconds for g in gaps))
        super().__init__(
            _("The recordings cover {covered} s of the {asked} s asked.").format(
                covered=f"{self.covered_s:.0f}", asked=f"{asked_s:.0f}"
            )
        )


def newest_recorded(session: Session, *, camera: StationCamera) -> datetime | None:
    """The latest moment the camera's recordings reach (the end of its newest file)."""
    stmt = select(func.max(RecordingSegment.end_at)).where(RecordingSegment.camera_id == camera.id)
    return session.scalar(stmt)


def _check_recorded(session: Session, camera: StationCamera, end: datetime) -> None:
    """Refuse a range that reaches past what is recorded: the future is no evidence yet."""
    if end > utcnow():
        raise ValidationFailed(_("The clip cannot end in the future."), field="end")
    newest = newest_recorded(session, camera=camera)
    if newest is None:
        raise ValidationFailed(_("There is no recorded footage in this time range."))
    if (end - newest).total_seconds() > GAP_TOLERANCE_S:
        raise ValidationFailed(
            _("The recording of this camera reaches only {time} IST; end the clip by then.").format(
                time=f"{to_ist(newest):%d-%m-%Y %H:%M:%S}"
            ),
            field="end",
        )


def _check_range(start: datetime, end: datetime, reason: str) -> None:
    if start >= end:
        raise ValidationFailed(_("The clip must end after it starts."), field="end")
    if end - start > MAX_CLIP:
        raise ValidationFailed(
            _("A clip can be at most {hours} hours long; export it in parts.").format(
                hours=int(MAX_CLIP.total_seconds() // 3600)
            ),
            field="end",
        )
    holds.given_reason(reason)


def covering_segments(
    session: Session, *, camera: StationCamera, start: datetime, end: datetime
) -> list[RecordingSegment]:
    """The camera's segments that overlap [start, end), in time order, locked for the export.

    On PostgreSQL the rows stay locked until the export's hold is committed, and cleanup
    skips locked rows, so no file goes while it is being copied (SQLite has one writer).
    """
    stmt = select(RecordingSegment).where(
        RecordingSegment.camera_id == camera.id,
        RecordingSegment.start_at < end,
        RecordingSegment.end_at > start,
    )
    stmt = stmt.order_by(RecordingSegment.start_at).with_for_update()
    return list(session.scalars(stmt))


def gaps_in(segments: list[RecordingSegment], start: datetime, end: datetime) -> list[Gap]:
    """The parts of [start, end) that no segment covers."""
    found: list[Gap] = []
    cursor = start
    for segment in segments:
        if (segment.start_at - cursor).total_seconds() > GAP_TOLERANCE_S:
            found.append(Gap(cursor, min(segment.start_at, end)))
        cursor = max(cursor, segment.end_at)
    if (end - cursor).total_seconds() > GAP_TOLERANCE_S:
        found.append(Gap(cursor, end))
    return found


def _check_coverage(gaps: list[Gap], asked_s: float, accepted_s: float | None) -> None:
    """Warn (ShortFootage) unless the officer accepted no more than what is covered now."""
    if not gaps:
        return
    short = ShortFootage(gaps, asked_s=asked_s)
    if accepted_s is None or short.covered_s + GAP_TOLERANCE_S < accepted_s:
        raise short


def _file_name(station: JurisdictionNode, camera: StationCamera, start: datetime) -> str:
    return f"{station.code}-{camera.role}-cam{camera.id}-{to_ist(start):%Y%m%d-%H%M%S}-IST.mp4"


def _source_text(station: JurisdictionNode, camera: StationCamera, gaps: list[Gap]) -> str:
    role = role_label(camera.role, "en")
    parts = [f"Station CCTV: {station.name_en} ({station.code})", f"{camera.name} — {role}"]
    device = " ".join(v for v in (camera.make, camera.model) if v)
    if device:
        parts.append(device)
    if gaps:
        lost = sum(g.seconds for g in gaps)
        parts.append(f"{len(gaps)} gap(s) in recording, {lost:.0f} s in all")
    return " · ".join(parts)


def incident_for_clip(session: Session, *, number: str, scope_path: str) -> int | None:
    """The incident a clip is for, by its number, inside the caller's charge (none if blank)."""
    if not number.strip():
        return None
    found = canvass_service.incident_by_number(session, number=number, scope_path=scope_path)
    if found is None:
        raise ValidationFailed(_("No such incident in your jurisdiction."), field="incident")
    return found.id


def export_clip(
    session: Session,
    *,
    settings: Settings,
    actor: audit.Actor,
    camera: StationCamera,
    start: datetime,
    end: datetime,
    reason: str,
    incident_id: int | None = None,
    accept_covered_s: float | None = None,
) -> EvidenceItem:
    """Copy one camera's footage of [start, end) into the evidence store, and hold its source.

    A range the recordings cover only in part raises ShortFootage (nothing stored) unless
    the officer accepted at least what is covered now (`accept_covered_s`, from the warning).
    """
    _check_range(start, end, reason)
    _check_recorded(session, camera, end)
    if incident_id is not None:
        canvass_service.get_incident(session, incident_id)
    segments = covering_segments(session, camera=camera, start=start, end=end)
    if not segments:
        raise ValidationFailed(_("There is no recorded footage in this time range."))
    gaps = gaps_in(segments, start, end)
    _check_coverage(gaps, (end - start).total_seconds(), accept_covered_s)
    station = session.get_one(JurisdictionNode, camera.station_id)
    settings.media_path.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.media_path, prefix=".clip-") as folder:
        target = Path(folder) / "clip.mp4"
        sources = [Source(settings.recordings_path / s.path, s.start_at) for s in segments]
        made = remux(sources, start=start, end=end, target=target)
        with target.open("rb") as stream:
            item = store.receive(
                session,
                settings=settings,
                stream=stream,
                original_name=_file_name(station, camera, start),
                media_type="video/mp4",
                kind="clip",
                actor=actor,
                source=_source_text(station, camera, gaps),
                claimed_start=start,
                claimed_end=end,
                delivered_by=f"Nigrani recorder, camera {camera.id}",
                device=device_of(station, camera),
                incident_id=incident_id,
                node_path=camera.node_path,
                duration_s=made.duration_s,
            )
    item.probed_start, item.probed_end = made.start_at, made.end_at
    hold = holds.place_hold(
        session, actor=actor, camera=camera, start=min(start, made.start_at), end=end,
        reason=reason, incident_id=incident_id, kind="evidence", evidence_item_id=item.id,
    )  # fmt: skip
    _audit(session, actor, item, camera, segments, gaps, made, hold, reason)
    return item


def _audit(
    session: Session,
    actor: audit.Actor,
    item: EvidenceItem,
    camera: StationCamera,
    segments: list[RecordingSegment],
    gaps: list[Gap],
    made: Remuxed,
    hold: RecordingHold,
    reason: str,
) -> None:
    audit.record(
        session,
        actor=actor,
        action=ACTION,
        object_type="evidence",
        object_id=item.id,
        reason=reason.strip(),
        detail={
            "camera_id": camera.id,
            "sha256": item.sha256,
            "asked": {"start": item.claimed_start.isoformat() if item.claimed_start else None,
                      "end": item.claimed_end.isoformat() if item.claimed_end else None},
            "clip": {"start": made.start_at.isoformat(), "end": made.end_at.isoformat()},
            "has_audio": made.has_audio,
            "segments": [s.id for s in segments],
            "gaps": [g.as_json() for g in gaps],
            "hold_id": hold.id,
        },
    )  # fmt: skip


def clip_details(session: Session, *, item: EvidenceItem) -> dict[str, Any] | None:
    """What the export recorded about a clip (camera, range, segments, gaps), if it is one."""
    for row in audit.entries_for(session, object_type="evidence", object_id=str(item.id)):
        if row.action == ACTION:
            details: dict[str, Any] = json.loads(row.detail)
            return details
    return None


def source_camera(session: Session, *, item: EvidenceItem) -> StationCamera | None:
    """The station camera an exported clip came from (through its evidence hold)."""
    stmt = select(RecordingHold.camera_id).where(
        RecordingHold.evidence_item_id == item.id, RecordingHold.kind == "evidence"
    )
    camera_id = session.scalars(stmt.limit(1)).first()
    return session.get(StationCamera, camera_id) if camera_id is not None else None


def device_of(station: JurisdictionNode, camera: StationCamera) -> Device:
    """A station camera as the Section 63 certificate names a device (kept with each clip)."""
    role_en, role_hi = role_label(camera.role, "en"), role_label(camera.role, "hi")
    return Device(
        label=camera.name,
        make=camera.make,
        model=camera.model,
        serial=camera.serial,
        mac=camera.mac,
        site_name=f"{station.name_en} ({station.code})",
        site_address=station.name_hi,
        category_code=f"station_{camera.role}",
        category_en=f"Police station CCTV, {role_en}",
        category_hi=f"थाना सीसीटीवी, {role_hi}",
        controller_en=f"Police station {station.name_en} ({station.code})",
        controller_hi=f"थाना {station.name_hi} ({station.code})",
        registry_ref=f"station camera {camera.id}",
    )
