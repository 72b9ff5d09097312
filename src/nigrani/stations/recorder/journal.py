"""The recorder's one database writer: what the camera threads report, applied in order.

Camera threads never wait on the database: they put events on a queue, and this thread
syncs each closed file to disk, then writes its row, each event in its own short
transaction. A database that is away holds the queue (retried with a pause); whatever is
lost when the process dies is a file without a row, indexed by the next recorder.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from sqlalchemy import func, select, update
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from nigrani.core.db import transaction, utcnow
from nigrani.stations import alerts
from nigrani.stations.models import RecordingGap, RecordingSegment, StationCamera
from nigrani.stations.recorder.segments import SUFFIX, ClosedSegment, probe, start_of, sync_file

log = logging.getLogger(__name__)

RETRY_S: Final = 1.0
STOPPED_REASON: Final = "recorder stopped"
LOST_REASON: Final = "recorder stopped or lost"


@dataclass(frozen=True, slots=True)
class GapOpened:
    """The camera stopped being recorded at `start_at` (idempotent while a gap is open)."""

    camera_id: int
    start_at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class GapClosed:
    """Recording resumed at `end_at`: the open gap ends there and the error is cleared."""

    camera_id: int
    end_at: datetime


@dataclass(frozen=True, slots=True)
class CameraTaken:
    """This recorder took the camera: index left-over files, note the time nobody recorded."""

    camera_id: int


Event = ClosedSegment | GapOpened | GapClosed | CameraTaken


class Journal:
    """Applies events from the camera threads to the database, one transaction each."""

    def __init__(self, factory: sessionmaker[Session], *, recordings: Path) -> None:
        self.factory, self.recordings = factory, recordings
        self.events: queue.Queue[Event] = queue.Queue()
        self.stop_event = threading.Event()
        self.applied = 0
        self.thread = threading.Thread(target=self.run, name="recorder-journal", daemon=True)

    def put(self, event: Event) -> None:
        self.events.put(event)

    def run(self) -> None:
        """Apply events until stopped and the queue is empty."""
        while not (self.stop_event.is_set() and self.events.empty()):
            try:
                event = self.events.get(timeout=0.2)
            except queue.Empty:
                continue
            self._apply_with_retry(event)

    def stop(self, timeout_s: float = 30.0) -> None:
        """Finish the queued events, then end the thread."""
        self.stop_event.set()
        if self.thread.is_alive():
            self.thread.join(timeout_s)

    def _apply_with_retry(self, event: Event) -> None:
        attempts = 0
        while True:
            try:
                self.apply(event)
                self.applied += 1
                return
            except (OperationalError, InterfaceError) as exc:
                # The database is away or busy: keep the event and try again.
                attempts += 1
                log.warning("journal: %s waits for the database (%s)", type(event).__name__, exc)
                if self.stop_event.is_set() and attempts >= 3:
                    return  # a file without a row is indexed by the next recorder
                time.sleep(RETRY_S)
            except (SQLAlchemyError, OSError) as exc:
                # Not transient (the camera was deleted, the file removed): retrying cannot help.
                log.error("journal: %s dropped: %s", type(event).__name__, exc)
                return

    def apply(self, event: Event) -> None:
        """Apply one event in its own transaction."""
        if isinstance(event, ClosedSegment):
            size = sync_file(event.path)
            with transaction(self.factory) as session:
                index_segment(session, event, size=size)
        elif isinstance(event, GapOpened):
            with transaction(self.factory) as session:
                open_gap(session, event)
        elif isinstance(event, GapClosed):
            with transaction(self.factory) as session:
                close_gaps(session, event)
        else:
            take_over(self.factory, camera_id=event.camera_id, recordings=self.recordings)


def index_segment(session: Session, segment: ClosedSegment, *, size: int) -> RecordingSegment:
    """The segment's row (replaced if its path is already indexed), and the camera's
    last_segment_at."""
    row = session.scalar(select(RecordingSegment).where(RecordingSegment.path == segment.relative))
    if row is None:
        row = RecordingSegment(camera_id=segment.camera_id, path=segment.relative)
        session.add(row)
    row.start_at, row.end_at = segment.start_at, segment.end_at
    row.duration_s = round((segment.end_at - segment.start_at).total_seconds(), 3)
    row.bytes = size
    row.video_codec, row.audio_codec = segment.video_codec, segment.audio_codec
    row.width, row.height = segment.width, segment.height
    camera = session.get(StationCamera, segment.camera_id)
    if camera is not None and (
        camera.last_segment_at is None or camera.last_segment_at < segment.end_at
    ):
        camera.last_segment_at = segment.end_at
    session.flush()
    return row


def _open_gap(session: Session, camera_id: int) -> RecordingGap | None:
    stmt = select(RecordingGap).where(
        RecordingGap.camera_id == camera_id, RecordingGap.end_at.is_(None)
    )
    return session.scalars(stmt.order_by(RecordingGap.start_at)).first()


def open_gap(session: Session, event: GapOpened) -> None:
    """Open a gap unless one is open already; the camera's last_error says why.

    A new gap that is no planned stop of the recorder tells the station's SHO."""
    gap = None
    if _open_gap(session, event.camera_id) is None:
        gap = RecordingGap(
            camera_id=event.camera_id, start_at=event.start_at, reason=event.reason[:400]
        )
        session.add(gap)
    camera = session.get(StationCamera, event.camera_id)
    if camera is not None:
        camera.last_error = event.reason[:400]
    session.flush()
    if gap is not None and camera is not None and event.reason != STOPPED_REASON:
        alerts.camera_stopped(session, camera=camera, gap=gap)


def close_gaps(session: Session, event: GapClosed) -> None:
    """End the camera's open gaps where recording resumed, and clear its error."""
    for gap in session.scalars(
        select(RecordingGap).where(
            RecordingGap.camera_id == event.camera_id, RecordingGap.end_at.is_(None)
        )
    ):
        gap.end_at = max(event.end_at, gap.start_at)
    session.execute(
        update(StationCamera).where(StationCamera.id == event.camera_id).values(last_error="")
    )
    session.flush()


def _last_segment(session: Session, camera_id: int) -> RecordingSegment | None:
    stmt = select(RecordingSegment).where(RecordingSegment.camera_id == camera_id)
    return session.scalars(stmt.order_by(RecordingSegment.start_at.desc()).limit(1)).first()


def _candidates(folder: Path, after: datetime | None) -> list[Path]:
    """Segment files of a camera newer than `after`, looking only at the days since."""
    if not folder.is_dir():
        return []
    if after is None:
        days = [folder]
    else:
        day, days = after.date(), []
        while day <= utcnow().astimezone(after.tzinfo).date():
            days.append(folder / f"{day:%Y/%m/%d}")
            day += timedelta(days=1)
    found = [p for d in days if d.is_dir() for p in d.rglob(f"*{SUFFIX}")]
    return sorted(
        p for p in found if (at := start_of(p)) is not None and (after is None or at > after)
    )


def take_over(factory: sessionmaker[Session], *, camera_id: int, recordings: Path) -> int:
    """Index (or delete, if unreadable) the camera's files that have no row, then open a
    gap from its last recorded moment unless one is open. Returns the files repaired."""
    with transaction(factory) as session:
        last = _last_segment(session, camera_id)
        after = last.start_at if last is not None else None
    repaired = 0
    for path in _candidates(recordings / str(camera_id), after):
        repaired += _repair(factory, path, recordings=recordings, camera_id=camera_id)
    with transaction(factory) as session:
        end = session.scalar(
            select(func.max(RecordingSegment.end_at)).where(RecordingSegment.camera_id == camera_id)
        )
        if end is not None and _open_gap(session, camera_id) is None:
            session.add(RecordingGap(camera_id=camera_id, start_at=end, reason=LOST_REASON))
    return repaired


def _repair(factory: sessionmaker[Session], path: Path, *, recordings: Path, camera_id: int) -> int:
    relative = path.relative_to(recordings).as_posix()
    with transaction(factory) as session:
        if session.scalar(select(RecordingSegment.id).where(RecordingSegment.path == relative)):
            return 0
    segment = probe(path, recordings, camera_id)
    if segment is None:
        log.warning("camera %d: deleting unreadable left-over %s", camera_id, relative)
        path.unlink(missing_ok=True)
        return 1
    size = sync_file(path)
    with transaction(factory) as session:
        index_segment(session, segment, size=size)
    seconds = (segment.end_at - segment.start_at).total_seconds()
    log.info("camera %d: indexed left-over %s (%.1f s)", camera_id, relative, seconds)
    return 1
