"""Cleanup of recorded footage: retention per camera, oldest first, and a disk-space guard.

Footage that overlaps an unreleased hold (legal hold or exported evidence) is never
deleted, not even when the disk runs full: then an alert says so and recording is left
to fail loudly rather than evidence to vanish quietly. Files are removed only after the
deletion of their rows is committed, so a rollback never leaves rows without footage.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from nigrani.core.config import Settings
from nigrani.core.db import transaction
from nigrani.core.i18n import _
from nigrani.evidence.store import after_commit
from nigrani.stations import alerts
from nigrani.stations.holds import segment_is_held
from nigrani.stations.models import RecordingSegment, StationCamera

BATCH = 500
SYSTEM_NODE = "/"  # the recordings disk serves every station on this machine


class DiskUsage(NamedTuple):
    total: int
    used: int
    free: int


DiskUsageFn = Callable[[Path], DiskUsage | tuple[int, int, int]]
Progress = Callable[[str, int], None]
Source = Session | sessionmaker[Session]


@dataclass(slots=True)
class CleanupResult:
    """What one cleanup did: segments and bytes deleted for retention and for disk space."""

    expired: int = 0
    cut: int = 0
    bytes_freed: int = 0
    held_kept: int = 0
    free_percent: float | None = None
    cut_stations: dict[str, int] = field(default_factory=dict)  # node path → days left
    disk_full_held: bool = False

    @property
    def deleted(self) -> int:
        """Segments deleted in all."""
        return self.expired + self.cut


@dataclass(slots=True)
class _Run:
    source: Source
    settings: Settings
    now: datetime
    disk_usage: DiskUsageFn
    batch: int
    progress: Progress | None
    result: CleanupResult = field(default_factory=CleanupResult)
    pending: int = 0  # bytes deleted in rows whose files wait for the commit

    def step(self, phase: str) -> None:
        if self.progress is not None:
            self.progress(phase, self.result.deleted)


def cleanup(
    source: Source,
    *,
    settings: Settings,
    now: datetime,
    disk_usage: DiskUsageFn = shutil.disk_usage,
    batch: int = BATCH,
    progress: Progress | None = None,
) -> CleanupResult:
    """Delete footage past each camera's retention, then more while the disk is low.

    Given a session factory, each batch is its own transaction (files go after each
    commit); given a session, everything stays in the caller's transaction.
    """
    run = _Run(source, settings, now, disk_usage, batch, progress)
    for camera_id, days in _cameras(run):
        cutoff = now - timedelta(days=days)
        _expire_camera(run, camera_id, cutoff)
        _count_held(run, camera_id, cutoff)
    _guard_disk(run)
    return run.result


def _in_unit(run: _Run, work: Callable[[Session], int]) -> int:
    """Run one batch: in the caller's session, or in a transaction of its own."""
    if isinstance(run.source, Session):
        return work(run.source)
    with transaction(run.source) as session:
        found = work(session)
    run.pending = 0  # committed: the files are gone now
    return found


def _cameras(run: _Run) -> list[tuple[int, int]]:
    def read(session: Session) -> list[tuple[int, int]]:
        rows = session.execute(select(StationCamera.id, StationCamera.retention_days))
        return [(int(i), int(d)) for i, d in rows.all()]

    if isinstance(run.source, Session):
        return read(run.source)
    with run.source() as session:
        return read(session)


def _delete(session: Session, run: _Run, ids: Sequence[int]) -> int:
    """Delete these segments unless held (checked again in the DELETE); files after commit."""
    stmt = (
        delete(RecordingSegment)
        .where(RecordingSegment.id.in_(ids), ~segment_is_held())
        .returning(RecordingSegment.path, RecordingSegment.bytes)
    )
    gone = [(str(p), int(b)) for p, b in session.execute(stmt).all()]
    if gone:
        root = run.settings.recordings_path
        after_commit(session, lambda: _unlink(root, [p for p, _b in gone]))
    freed = sum(b for _p, b in gone)
    run.result.bytes_freed += freed
    run.pending += freed
    return len(gone)


def _unlink(root: Path, paths: Sequence[str]) -> None:
    for relative in paths:
        path = root / relative
        path.unlink(missing_ok=True)
        _prune_empty(root, path.parent)


def _prune_empty(root: Path, folder: Path) -> None:
    """Remove day, month and year folders left empty (never the camera's or the root)."""
    for _level in range(3):
        if folder == root or root not in folder.parents:
            return
        try:
            folder.rmdir()
        except OSError:
            return  # not empty, or already gone
        folder = folder.parent


def _expire_camera(run: _Run, camera_id: int, cutoff: datetime) -> None:
    def batch(session: Session) -> int:
        ids = session.scalars(
            select(RecordingSegment.id)
            .where(
                RecordingSegment.camera_id == camera_id,
                RecordingSegment.start_at < cutoff,  # bounds the (camera_id, start_at) range
                RecordingSegment.end_at <= cutoff,
                ~segment_is_held(),
            )
            .order_by(RecordingSegment.start_at)
            .limit(run.batch)
            .with_for_update(skip_locked=True)  # PostgreSQL: rows a clip export is reading
        ).all()
        return _delete(session, run, ids) if ids else 0

    while found := _in_unit(run, batch):
        run.result.expired += found
        run.step("retention")


def _count_held(run: _Run, camera_id: int, cutoff: datetime) -> None:
    """Count the segments past retention that are kept because a hold covers them."""

    def count(session: Session) -> int:
        stmt = select(func.count(RecordingSegment.id)).where(
            RecordingSegment.camera_id == camera_id,
            RecordingSegment.start_at < cutoff,
            RecordingSegment.end_at <= cutoff,
            segment_is_held(),
        )
        return int(session.scalar(stmt) or 0)

    run.result.held_kept += _in_unit(run, count)


def _free_percent(run: _Run) -> float:
    """Free space on the recordings disk in per cent, counting rows deleted but not unlinked."""
    folder = run.settings.recordings_path
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    total, _used, free = run.disk_usage(folder)
    return 100.0 * (free + run.pending) / total if total else 100.0


def _guard_disk(run: _Run) -> None:
    """While free space is under the minimum, delete the oldest footage not on hold."""
    minimum = run.settings.recording_min_free_percent
    run.result.free_percent = free = _free_percent(run)
    cut_nodes: set[str] = set()
    while free < minimum:
        found = _in_unit(run, lambda s: _cut_oldest(s, run, cut_nodes))
        if not found:
            break
        run.result.cut += found
        run.step("disk space")
        run.result.free_percent = free = _free_percent(run)
    _in_unit(run, lambda s: _report_disk(s, run, cut_nodes, still_low=free < minimum))


def _cut_oldest(session: Session, run: _Run, cut_nodes: set[str]) -> int:
    rows = session.execute(
        select(RecordingSegment.id, StationCamera.node_path)
        .join(StationCamera, StationCamera.id == RecordingSegment.camera_id)
        .where(~segment_is_held())
        .order_by(RecordingSegment.start_at)
        .limit(run.batch)
        .with_for_update(skip_locked=True, of=RecordingSegment)
    ).all()
    if not rows:
        return 0
    cut_nodes.update(str(path) for _i, path in rows)
    return _delete(session, run, [int(i) for i, _p in rows])


def _report_disk(session: Session, run: _Run, cut_nodes: set[str], *, still_low: bool) -> int:
    for node_path in sorted(cut_nodes):
        days = _days_kept(session, node_path, run.now)
        run.result.cut_stations[node_path] = days
        alerts.raise_alert(
            session,
            kind="retention_cut",
            node_path=node_path,
            now=run.now,
            message=_(
                "The recordings disk was low on space: footage of this station was deleted "
                "early and now goes back {days} days."
            ).format(days=days),
            data={"days": days, "free_percent": round(run.result.free_percent or 0.0, 2)},
        )
    _disk_full_alert(session, run, still_low=still_low)
    return 0


def _disk_full_alert(session: Session, run: _Run, *, still_low: bool) -> None:
    free = round(run.result.free_percent or 0.0, 2)
    if not still_low:
        alerts.resolve_alert(session, kind="disk_full_held", node_path=SYSTEM_NODE, now=run.now)
        return
    run.result.disk_full_held = True
    alerts.raise_alert(
        session,
        kind="disk_full_held",
        node_path=SYSTEM_NODE,
        now=run.now,
        severity="critical",
        message=_(
            "The recordings disk has only {free} free and only footage on hold is left to delete. "
            "Held footage is never deleted: add storage or release holds that are no longer "
            "needed, or recording will stop."
        ).format(free=f"{free}%"),
        data={"free_percent": free, "minimum_percent": run.settings.recording_min_free_percent},
    )


def _days_kept(session: Session, node_path: str, now: datetime) -> int:
    """How many days back a station's remaining footage reaches."""
    oldest = session.scalar(
        select(func.min(RecordingSegment.start_at))
        .join(StationCamera, StationCamera.id == RecordingSegment.camera_id)
        .where(StationCamera.node_path == node_path)
    )
    if oldest is None:
        return 0
    return max(0, (now - oldest).days)
