"""The evidence store: receive files by content, keep custody, verify, hold and purge.

Files live at `<media>/evidence/<sha[:2]>/<sha>`: the name is the SHA-256 of the bytes, so
one file serves every item with the same content and a changed byte is always detectable.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path, PurePath
from typing import Any, Protocol

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.errors import NotFound, PayloadTooLarge, ValidationFailed
from nigrani.core.files import fsync_dir
from nigrani.evidence import device as devices
from nigrani.evidence.device import Device
from nigrani.evidence.models import KINDS, CustodyEvent, EvidenceItem

# How long each kind is kept unless on legal hold (days).
RETENTION_DAYS: dict[str, int] = {
    "footage": 548,  # about 18 months
    "clip": 548,
    "snapshot": 365,
    "attachment": 1095,  # 3 years
    "hearing": 1095,  # a recorded video hearing, as long as a complaint's papers
}
CHUNK = 1024 * 1024
DEFAULT_MAX_BYTES = 4 * 1024 * 1024 * 1024
STAGING = ".incoming"

Progress = Callable[[int, int], None]


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Problem:
    """A stored file that is missing or no longer has the hash its item records."""

    item_id: int
    sha256: str
    problem: str
    detail: str = ""


def evidence_root(settings: Settings) -> Path:
    """The folder that holds every evidence file."""
    return settings.media_path / "evidence"


def blob_path(settings: Settings, sha256: str) -> Path:
    """Where the file with this SHA-256 lives."""
    return evidence_root(settings) / sha256[:2] / sha256


def _stage(stream: Readable, staging: Path, max_bytes: int) -> tuple[Path, str, int]:
    """Copy the stream to a temporary file while hashing it; fsync before returning."""
    staging.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=staging, prefix="recv-")
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise PayloadTooLarge(f"file is larger than {max_bytes} bytes")
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name), digest.hexdigest(), size


def _place(settings: Settings, temp: Path, sha256: str) -> None:
    """Move a staged file to its content address; keep the existing copy if there is one."""
    target = blob_path(settings, sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        temp.unlink()
        return
    # Read-only: evidence is never edited in place, and never executable.
    temp.chmod(0o440)
    os.replace(temp, target)
    fsync_dir(target.parent)


def write_blob(
    *, settings: Settings, stream: Readable, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[str, int]:
    """Store a stream by content; returns its SHA-256 and size. Empty streams are refused."""
    # Staging sits under the evidence root, on the same file system, so the rename is atomic.
    temp, sha256, size = _stage(stream, evidence_root(settings) / STAGING, max_bytes)
    if size == 0:
        temp.unlink()
        raise ValidationFailed("the file is empty", field="file")
    _place(settings, temp, sha256)
    return sha256, size


def record_custody(
    session: Session,
    *,
    item: EvidenceItem,
    actor: audit.Actor,
    action: str,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> CustodyEvent:
    """Add one custody event for an item and the matching audit row."""
    body = {"sha256": item.sha256, **(detail or {})}
    event = CustodyEvent(
        item_id=item.id,
        at=utcnow(),
        actor_id=actor.id,
        actor_label=actor.label,
        action=action,
        detail=json.dumps(body, sort_keys=True, ensure_ascii=False),
    )
    session.add(event)
    audit.record(
        session,
        actor=actor,
        action=f"evidence.{action}",
        object_type="evidence",
        object_id=item.id,
        reason=reason,
        detail=body,
    )
    return event


def _check_metadata(kind: str, start: datetime | None, end: datetime | None) -> None:
    if kind not in KINDS:
        raise ValidationFailed(f"unknown evidence kind {kind!r}", field="kind")
    if start is not None and end is not None and end < start:
        raise ValidationFailed("claimed end is before claimed start", field="claimed_end")


def retention_for(kind: str, received_at: datetime) -> datetime:
    """The date until which an item of this kind is kept."""
    return received_at + timedelta(days=RETENTION_DAYS[kind])


def receive(
    session: Session,
    *,
    settings: Settings,
    stream: Readable,
    original_name: str,
    media_type: str,
    kind: str,
    actor: audit.Actor,
    source: str = "",
    source_camera_id: int | None = None,
    device: Device | None = None,
    claimed_start: datetime | None = None,
    claimed_end: datetime | None = None,
    delivered_by: str = "",
    incident_id: int | None = None,
    node_path: str = "/",
    duration_s: float | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> EvidenceItem:
    """Store a file by content and open its chain of custody with "received".

    `device` is the source device as its caller knows it now; the item keeps that copy."""
    _check_metadata(kind, claimed_start, claimed_end)
    sha256, size = write_blob(settings=settings, stream=stream, max_bytes=max_bytes)
    now = utcnow()
    item = EvidenceItem(
        sha256=sha256,
        size_bytes=size,
        media_type=media_type[:120],
        # Only the last component: a sender's path is never trusted nor reused.
        original_name=PurePath(original_name.replace("\\", "/")).name[:255] or "unnamed",
        kind=kind,
        source=source[:400],
        source_camera_id=source_camera_id,
        claimed_start=claimed_start,
        claimed_end=claimed_end,
        delivered_by=delivered_by[:200],
        device_json=None if device is None else devices.dump(device),
        device_recorded_at=None if device is None else now,
        incident_id=incident_id,
        node_path=node_path,
        duration_s=duration_s,
        created_by=actor.id,
        created_at=now,
        legal_hold=False,
        retention_until=retention_for(kind, now),
    )
    session.add(item)
    session.flush()
    record_custody(session, item=item, actor=actor, action="received", detail={"size_bytes": size})
    session.flush()
    return item


def get_item(session: Session, *, item_id: int) -> EvidenceItem:
    """A live (not deleted) item, or NotFound."""
    item = session.get(EvidenceItem, item_id)
    if item is None or item.deleted_at is not None:
        raise NotFound("evidence item not found")
    return item


def _open(
    session: Session,
    *,
    settings: Settings,
    item: EvidenceItem,
    actor: audit.Actor,
    action: str,
    reason: str | None,
) -> Path:
    if item.deleted_at is not None:
        raise NotFound("evidence item was deleted")
    path = blob_path(settings, item.sha256)
    if not path.is_file():
        raise NotFound("evidence file is missing from the store; run `nigrani evidence verify`")
    record_custody(session, item=item, actor=actor, action=action, reason=reason)
    session.flush()
    return path


def open_for_view(
    session: Session,
    *,
    settings: Settings,
    item: EvidenceItem,
    actor: audit.Actor,
    reason: str | None = None,
) -> Path:
    """The file of a live item, for viewing; the view is recorded in custody and audit."""
    return _open(session, settings=settings, item=item, actor=actor, action="viewed", reason=reason)


def open_for_copy(
    session: Session, *, settings: Settings, item: EvidenceItem, actor: audit.Actor
) -> Path:
    """The file of a live item, to be copied out (a download); recorded as a copy."""
    return _open(session, settings=settings, item=item, actor=actor, action="copied", reason=None)


def set_hold(
    session: Session, *, item: EvidenceItem, hold: bool, actor: audit.Actor, reason: str
) -> EvidenceItem:
    """Put an item on legal hold (never purged) or release it; a reason is required."""
    if not reason.strip():
        raise ValidationFailed("a reason is required", field="reason")
    if item.deleted_at is not None:
        raise NotFound("evidence item was deleted")
    if item.legal_hold == hold:
        return item
    item.legal_hold = hold
    action = "hold" if hold else "release"
    record_custody(session, item=item, actor=actor, action=action, reason=reason)
    session.flush()
    return item


def hash_file(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _check_file(settings: Settings, sha256: str) -> tuple[str, str] | None:
    path = blob_path(settings, sha256)
    if not path.is_file():
        return "missing", str(path)
    try:
        actual = hash_file(path)
    except OSError as exc:
        return "unreadable", str(exc)
    if actual != sha256:
        return "mismatch", f"file now hashes to {actual}"
    return None


def verify_all(
    session: Session, *, settings: Settings, progress: Progress | None = None
) -> list[Problem]:
    """Re-hash every live item's file; report each item whose file is missing or changed."""
    rows = session.execute(
        select(EvidenceItem.id, EvidenceItem.sha256)
        .where(EvidenceItem.deleted_at.is_(None))
        .order_by(EvidenceItem.id)
    ).all()
    checked: dict[str, tuple[str, str] | None] = {}
    problems: list[Problem] = []
    for done, (item_id, sha256) in enumerate(rows, start=1):
        if sha256 not in checked:  # items sharing a file need one hash
            checked[sha256] = _check_file(settings, sha256)
        found = checked[sha256]
        if found is not None:
            problems.append(Problem(item_id, sha256, found[0], found[1]))
        if progress is not None:
            progress(done, len(rows))
    return problems


def check_item(settings: Settings, item: EvidenceItem) -> Problem | None:
    """Re-hash one item's file (no database): None while it still has its recorded hash."""
    found = _check_file(settings, item.sha256)
    return None if found is None else Problem(item.id, item.sha256, found[0], found[1])


def record_check(
    session: Session, *, item: EvidenceItem, actor: audit.Actor, problem: Problem | None
) -> None:
    """Record a re-hash of the item's file in its custody ("verified", ok or the problem)."""
    result = {"ok": problem is None} | ({"problem": problem.problem} if problem else {})
    record_custody(session, item=item, actor=actor, action="verified", detail=result)
    session.flush()


def verify_item(
    session: Session, *, settings: Settings, item: EvidenceItem, actor: audit.Actor
) -> Problem | None:
    """Re-hash one item's file (before an export, say) and record the result in custody."""
    problem = check_item(settings, item)
    record_check(session, item=item, actor=actor, problem=problem)
    return problem


def _still_used(session: Session, sha256: str) -> bool:
    live = select(EvidenceItem.id).where(
        EvidenceItem.sha256 == sha256, EvidenceItem.deleted_at.is_(None)
    )
    return session.execute(live.limit(1)).first() is not None


def purge_expired(
    session: Session, *, settings: Settings, now: datetime, actor: audit.Actor = audit.SYSTEM
) -> list[int]:
    """Delete items past retention and not on legal hold; returns their ids.

    A file is removed only when no live item shares its hash.
    """
    expired = session.scalars(
        select(EvidenceItem)
        .where(
            EvidenceItem.deleted_at.is_(None),
            EvidenceItem.legal_hold.is_(False),
            EvidenceItem.retention_until <= now,
        )
        .order_by(EvidenceItem.id)
    ).all()
    for item in expired:
        item.deleted_at = now
        detail = {
            "retention_until": item.retention_until.isoformat() if item.retention_until else None
        }
        record_custody(session, item=item, actor=actor, action="deleted", detail=detail)
    session.flush()
    unused = [h for h in sorted({item.sha256 for item in expired}) if not _still_used(session, h)]
    if unused:
        # Files go only once the deletion is committed: a rollback must not leave live
        # items whose bytes are gone.
        after_commit(session, lambda: _unlink(settings, unused))
    return [item.id for item in expired]


def after_commit(session: Session, fn: Callable[[], None]) -> None:
    """Run fn once the session's transaction commits (file removals wait for the rows)."""
    event.listen(session, "after_commit", lambda _s: fn(), once=True)


def _unlink(settings: Settings, hashes: list[str]) -> None:
    for sha256 in hashes:
        blob_path(settings, sha256).unlink(missing_ok=True)
