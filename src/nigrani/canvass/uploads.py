"""Resumable uploads of footage (the tus 1.0 core protocol), checked, then into evidence.

Bytes are staged under `<media>/uploads/` — a folder nothing serves — fsynced before each
answer, so an acknowledged offset survives a crash. Only a complete file that FFmpeg opens as
video becomes evidence; anything else is deleted, never stored."""

from __future__ import annotations

import math
import os
from datetime import datetime, timedelta
from pathlib import Path, PurePath

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from nigrani.accounts import notifications
from nigrani.cameras.models import Camera
from nigrani.canvass import footage
from nigrani.canvass.models import FootageRequest, FootageUpload
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.errors import (
    Conflict,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    ValidationFailed,
)
from nigrani.core.i18n import _
from nigrani.core.security import new_token
from nigrani.evidence import probe, store
from nigrani.evidence.device import Device
from nigrani.evidence.models import EvidenceItem

MAX_OPEN_UPLOADS = 20
UPLOAD_IDLE = timedelta(hours=1)  # an unfinished upload this quiet may make room for another
HEAD_BYTES = 4096


def staging_dir(settings: Settings) -> Path:
    """Where unfinished uploads wait."""
    return settings.media_path / "uploads"


def part_path(settings: Settings, upload: FootageUpload) -> Path:
    """The staged bytes of one upload."""
    return staging_dir(settings) / f"{upload.id}.part"


def _safe_name(name: str) -> str:
    return PurePath(name.replace("\\", "/")).name.strip()[:255] or "footage"


def _open_uploads(session: Session, request: FootageRequest) -> list[FootageUpload]:
    stmt = select(FootageUpload).where(
        FootageUpload.request_id == request.id, FootageUpload.status == "open"
    )
    return list(session.scalars(stmt.order_by(FootageUpload.updated_at)))


def _make_room(
    session: Session, *, settings: Settings, request: FootageRequest, now: datetime
) -> None:
    """Refuse a new upload while MAX_OPEN_UPLOADS are unfinished and still moving.

    The request's row is the lock (core.locks): concurrent starts on one link take turns,
    so they cannot all count the same number of open uploads. At the limit, uploads idle
    for UPLOAD_IDLE are abandoned to make room; only then is the owner told to wait."""
    session.execute(
        select(FootageRequest.id).where(FootageRequest.id == request.id).with_for_update()
    )
    waiting = _open_uploads(session, request)
    if len(waiting) < MAX_OPEN_UPLOADS:
        return
    for upload in waiting:
        if upload.updated_at <= now - UPLOAD_IDLE:
            _close(settings, upload, "abandoned", "idle while too many uploads were open", now)
    moving = [u for u in waiting if u.status == "open"]
    if len(moving) >= MAX_OPEN_UPLOADS:
        wait = max(1, math.ceil((moving[0].updated_at + UPLOAD_IDLE - now).total_seconds()))
        raise RateLimited(
            _(
                "{n} uploads are already in progress. Let them finish, or try again in "
                "{minutes} minutes."
            ).format(n=len(moving), minutes=math.ceil(wait / 60)),
            retry_after=wait,
        )


def create(
    session: Session, *, settings: Settings, request: FootageRequest, length: int, filename: str
) -> FootageUpload:
    """Start an upload of `length` bytes (tus creation); nothing is written yet."""
    if length <= 0:
        raise ValidationFailed(_("The file is empty."), field="file")
    if length > settings.footage_max_bytes:
        limit = settings.footage_max_bytes // (1024 * 1024)
        raise PayloadTooLarge(_("The file is too large; the limit is {n} MB.").format(n=limit))
    now = utcnow()
    _make_room(session, settings=settings, request=request, now=now)
    upload = FootageUpload(
        id=new_token(16)[:22],
        request=request,
        filename=_safe_name(filename),
        length=length,
        offset=0,
        status="open",
        refused_reason="",
        created_at=now,
        updated_at=now,
    )
    session.add(upload)
    staging_dir(settings).mkdir(parents=True, exist_ok=True)
    part_path(settings, upload).touch(mode=0o600)
    session.flush()
    return upload


def get(
    session: Session, *, settings: Settings, request: FootageRequest, upload_id: str
) -> FootageUpload:
    """An upload of this request whose bytes are still staged (or finished), else NotFound."""
    upload = session.get(FootageUpload, upload_id)
    if upload is None or upload.request_id != request.id:
        raise NotFound(_("No such upload. Choose the file again to start over."))
    gone = upload.status == "open" and not part_path(settings, upload).is_file()
    if gone or upload.status in ("abandoned", "refused"):
        raise NotFound(_("This upload was refused or has expired. Choose the file again."))
    return upload


def _write_at(path: Path, offset: int, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.pwrite(fd, data, offset)
        os.ftruncate(fd, offset + len(data))
        os.fsync(fd)
    finally:
        os.close(fd)


def _discard(settings: Settings, upload: FootageUpload) -> None:
    part_path(settings, upload).unlink(missing_ok=True)


def _close(
    settings: Settings, upload: FootageUpload, status: str, reason: str, now: datetime
) -> None:
    """End an unfinished upload for good: its bytes go, and it no longer counts as open."""
    upload.status, upload.refused_reason, upload.updated_at = status, reason, now
    _discard(settings, upload)


def _refuse(
    session: Session, settings: Settings, upload: FootageUpload, exc: probe.NotVideo
) -> None:
    # The caller commits this before answering with the error (see web_owner._append).
    _close(settings, upload, "refused", exc.message, utcnow())
    session.flush()


def append(
    session: Session, *, settings: Settings, upload: FootageUpload, offset: int, data: bytes
) -> FootageUpload:
    """Write one chunk at the offset the server last acknowledged (tus PATCH)."""
    if upload.status != "open":
        raise Conflict(_("This upload is already finished."))
    if offset != upload.offset:
        raise Conflict(_("The upload is at byte {n}; resume from there.").format(n=upload.offset))
    if offset + len(data) > upload.length:
        raise ValidationFailed(
            _("More bytes were sent than the file's declared size."), field="file"
        )
    if offset == 0:
        try:
            probe.refuse_early(data[:HEAD_BYTES])
        except probe.NotVideo as exc:
            _refuse(session, settings, upload, exc)
            raise
    _write_at(part_path(settings, upload), offset, data)
    upload.offset, upload.updated_at = offset + len(data), utcnow()
    session.flush()
    return upload


def finish(
    session: Session, *, settings: Settings, upload: FootageUpload, now: datetime | None = None
) -> EvidenceItem:
    """Check the complete file with FFmpeg and move it into the evidence store."""
    path = part_path(settings, upload)
    try:
        info = probe.probe_video(path)
    except probe.NotVideo as exc:
        _refuse(session, settings, upload, exc)
        raise
    item = _store(session, settings=settings, upload=upload, info=info, path=path)
    upload.status, upload.evidence_item_id = "stored", item.id
    request = upload.request
    if request.status in ("sent", "opened"):
        request.status, request.responded_at = "uploaded", now or utcnow()
    session.flush()
    _tell_officer(session, upload)
    # The staged copy goes only once the evidence row is committed.
    store.after_commit(session, lambda: path.unlink(missing_ok=True))
    return item


def _tell_officer(session: Session, upload: FootageUpload) -> int:
    """Tell the incident's officer that footage came (once per upload)."""
    request = upload.request
    incident = request.incident
    event = notifications.Event(
        kind=notifications.FOOTAGE,
        object_type="footage_request",
        object_id=request.id,
        event=f"upload:{upload.id}",
        link=f"/incidents/{incident.id}",
        params={"number": incident.number, "site": request.site_id},
    )
    return notifications.notify(session, users=[incident.officer_id], event=event)


def _store(
    session: Session,
    *,
    settings: Settings,
    upload: FootageUpload,
    info: probe.VideoInfo,
    path: Path,
) -> EvidenceItem:
    request = upload.request
    site = request.site
    camera = site.cameras[0] if len(site.cameras) == 1 else None
    with path.open("rb") as stream:
        item = store.receive(
            session,
            settings=settings,
            stream=stream,
            original_name=upload.filename,
            media_type=f"video/{info.container}",
            kind="footage",
            actor=footage.OWNER,
            source=f"Camera site #{site.id}: {site.name}",
            # A site with one camera names the device; with several, which one is not known.
            source_camera_id=camera.id if camera else None,
            device=device_of(camera) if camera else None,
            claimed_start=request.window_start,
            claimed_end=request.window_end,
            delivered_by=f"Owner of site #{site.id}, by link of request #{request.id}",
            incident_id=request.incident_id,
            node_path=request.incident.node_path,
            duration_s=info.duration_s,
            max_bytes=settings.footage_max_bytes,
        )
    item.probed_start, item.probed_end = info.created_at, info.ends_at
    return item


def device_of(camera: Camera) -> Device:
    """A registered camera and its site as the Section 63 certificate names a device."""
    site = camera.site
    return Device(
        label=camera.label,
        make=camera.make,
        model=camera.model,
        serial=camera.serial,
        mac=camera.mac,
        site_name=site.name,
        site_address=site.address,
        category_code=site.category_code,
        category_en=site.category.name_en,
        category_hi=site.category.name_hi,
        controller_en=f"Owner of camera site #{site.id}",
        controller_hi=f"कैमरा स्थल #{site.id} के स्वामी",
        registry_ref=f"camera {camera.id}",
    )


def sweep(session: Session, *, settings: Settings, now: datetime) -> int:
    """Delete the staged bytes of uploads whose request can no longer be answered."""
    stale = session.scalars(
        select(FootageUpload)
        .join(FootageRequest)
        .where(FootageUpload.status == "open")
        .where(
            or_(
                FootageRequest.status.not_in(("sent", "opened", "uploaded")),
                FootageRequest.expires_at <= now,
            )
        )
    ).all()
    for upload in stale:
        _close(settings, upload, "abandoned", "request closed before it finished", now)
    session.flush()
    return len(stale)
