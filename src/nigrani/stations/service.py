"""Station cameras: adding, changing and listing them, inside the officer's jurisdiction."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from nigrani.accounts.jurisdiction import under, within
from nigrani.accounts.models import JurisdictionNode
from nigrani.core import audit, urls
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.errors import NotFound, ValidationFailed
from nigrani.core.i18n import _
from nigrani.core.security import FieldCipher
from nigrani.stations import playback, snapshot
from nigrani.stations.models import StationCamera
from nigrani.stations.schemas import StationCameraCreate, StationCameraUpdate


def mask_url(url: str) -> str:
    """A stream URL without its user, password and query: safe to show and log."""
    return urls.masked(url)


def _station(session: Session, *, station_id: int, scope_path: str) -> JurisdictionNode:
    node = session.get(JurisdictionNode, station_id)
    if node is None or not within(node.path, scope_path):
        raise NotFound(_("No such station in your jurisdiction"))
    if node.level != "station":
        raise ValidationFailed(
            _("Cameras belong to a police station, not a {level}").format(level=node.level)
        )
    return node


def create_camera(
    session: Session,
    *,
    settings: Settings,
    actor: audit.Actor,
    scope_path: str,
    data: StationCameraCreate,
) -> StationCamera:
    """Add a camera to a station under the officer's node; its URLs are stored encrypted."""
    station = _station(session, station_id=data.station_id, scope_path=scope_path)
    cipher = FieldCipher(settings.encryption_key)
    now = utcnow()
    camera = StationCamera(
        station_id=station.id,
        node_path=station.path,
        name=data.name,
        role=data.role,
        main_url_enc=cipher.encrypt(data.main_url),
        sub_url_enc=cipher.encrypt(data.sub_url) if data.sub_url else None,
        url_masked=mask_url(data.main_url),
        has_audio=data.has_audio,
        night_vision=data.night_vision,
        retention_days=data.retention_days,
        make=data.make,
        model=data.model,
        serial=data.serial,
        mac=data.mac,
        zones_json=json.dumps([z.model_dump() for z in data.zones]),
        created_at=now,
        updated_at=now,
    )
    session.add(camera)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="stations.camera.create",
        object_type="station_camera",
        object_id=camera.id,
        detail={"station": station.code, "role": data.role, "url": camera.url_masked},
    )
    return camera


def update_camera(
    session: Session,
    *,
    settings: Settings,
    actor: audit.Actor,
    camera: StationCamera,
    data: StationCameraUpdate,
) -> StationCamera:
    """Change a camera; a new URL replaces the stored secret, and the change is audited."""
    changes = data.model_dump(exclude_unset=True)
    cipher = FieldCipher(settings.encryption_key)
    if changes.get("main_url"):
        camera.main_url_enc = cipher.encrypt(changes["main_url"])
        camera.url_masked = mask_url(changes["main_url"])
    if "sub_url" in changes:
        camera.sub_url_enc = cipher.encrypt(changes["sub_url"]) if changes["sub_url"] else None
    if data.zones is not None:
        camera.zones_json = json.dumps([z.model_dump() for z in data.zones])
    for field in (
        *("name", "role", "has_audio", "night_vision", "enabled", "retention_days"),
        *("make", "model", "serial", "mac"),
    ):
        if changes.get(field) is not None:
            setattr(camera, field, changes[field])
    camera.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="stations.camera.update",
        object_type="station_camera",
        object_id=camera.id,
        detail={"fields": sorted(changes)},
    )
    return camera


def get_camera(session: Session, *, camera_id: int, scope_path: str) -> StationCamera:
    """A camera under the officer's node, or NotFound (also for one outside it)."""
    camera = session.get(StationCamera, camera_id)
    if camera is None or not within(camera.node_path, scope_path):
        raise NotFound(_("No such camera in your jurisdiction"))
    return camera


def not_recording(since: datetime) -> ColumnElement[bool]:
    """A camera switched on that has recorded nothing since `since` (the working window)."""
    quiet = StationCamera.last_segment_at.is_(None) | (StationCamera.last_segment_at < since)
    return StationCamera.enabled.is_(True) & quiet


def list_cameras(
    session: Session,
    *,
    scope_path: str,
    station_id: int | None = None,
    stopped_since: datetime | None = None,
) -> list[StationCamera]:
    """Cameras under a node, by station and name; with `stopped_since`, only those that
    are switched on and recorded nothing since then."""
    stmt = select(StationCamera).where(under(StationCamera.node_path, scope_path))
    if station_id is not None:
        stmt = stmt.where(StationCamera.station_id == station_id)
    if stopped_since is not None:
        stmt = stmt.where(not_recording(stopped_since))
    return list(session.scalars(stmt.order_by(StationCamera.node_path, StationCamera.name)))


def stream_urls(settings: Settings, camera: StationCamera) -> tuple[str, str | None]:
    """The camera's main and sub-stream URLs in clear, for the recorder only."""
    cipher = FieldCipher(settings.encryption_key)
    sub = cipher.decrypt(camera.sub_url_enc) if camera.sub_url_enc else None
    return cipher.decrypt(camera.main_url_enc), sub


def camera_snapshot(
    session: Session, *, settings: Settings, actor: audit.Actor, camera: StationCamera
) -> bytes:
    """A JPEG of the camera's newest recording, audited as a view of footage; NotFound if none."""
    seg = playback.newest_segment(session, camera_id=camera.id)
    if seg is None:
        raise NotFound(_("No recording yet: is `nigrani recorder` running?"))
    body = snapshot.snapshot_jpeg(playback.segment_file(settings, seg))
    audit.record(
        session,
        actor=actor,
        action="stations.snapshot.view",
        object_type="station_camera",
        object_id=camera.id,
        detail={"segment": seg.id},
    )
    return body
