"""The `nigrani recorder` process: leases cameras, runs their readers, heartbeats.

One Recorder per process (like frigate's recording maintainer): the main thread takes and
renews leases every lease/3 seconds, each camera has a reader thread for its main stream
(CameraRecorder) and one for its sub-stream if it has one (SubStreamRelay), and one
journal thread writes every row. stop_event ends it all cleanly: readers close their
segments, the journal writes the last rows, leases are released.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from nigrani.core.config import Settings
from nigrani.core.db import transaction
from nigrani.stations.models import StationCamera
from nigrani.stations.recorder import leases
from nigrani.stations.recorder.camera import (
    CameraRecorder,
    StreamJob,
    StreamReader,
    SubStreamRelay,
    TransportChoice,
)
from nigrani.stations.recorder.journal import CameraTaken, Journal
from nigrani.stations.service import stream_urls

log = logging.getLogger(__name__)


@dataclass
class CameraHandle:
    """A leased camera and its running readers."""

    camera_id: int
    name: str
    stop_event: threading.Event = field(default_factory=threading.Event)
    readers: list[StreamReader] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CameraStatus:
    """One line of the status table."""

    camera_id: int
    name: str
    state: str
    packets: int
    segments: int
    sessions: int
    error: str


class Recorder(leases.LeaseHolder):
    """Records up to `max_cameras` enabled cameras (under `station` if given)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        settings: Settings,
        *,
        max_cameras: int = 100,
        station: str | None = None,
        name: str | None = None,
        timeout_s: float = 5.0,
        transport: TransportChoice = "auto",
    ) -> None:
        self.factory, self.settings = factory, settings
        self.max_cameras, self.station = max_cameras, station
        self.timeout_s, self.transport = timeout_s, transport
        self.id = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease_s = float(settings.recorder_lease_seconds)
        self.stop_event = threading.Event()
        self.journal = Journal(factory, recordings=settings.recordings_path)
        self.cameras: dict[int, CameraHandle] = {}
        self.packets_done = 0  # packets of the cameras this recorder no longer runs
        self._scope: str | None = None

    def start(self) -> None:
        """Start the journal and take the first cameras."""
        with transaction(self.factory) as session:
            self._scope = leases.scope_path(session, code=self.station)
        self.journal.thread.start()
        self.heartbeat()

    def heartbeat(self) -> None:
        """Renew held leases (stopping cameras whose lease was lost), then take free ones."""
        try:
            with transaction(self.factory) as session:
                held = leases.renew(
                    session, me=self.id, camera_ids=list(self.cameras), lease_s=self.lease_s
                )
            for camera_id in set(self.cameras) - held:
                log.warning("camera %d: lease lost or camera disabled; stopping", camera_id)
                self._stop_camera(camera_id, quiet=True)
            with transaction(self.factory) as session:
                taken = leases.take(
                    session,
                    me=self.id,
                    limit=self.max_cameras - len(self.cameras),
                    scope=self._scope or "/",
                    lease_s=self.lease_s,
                    exclude=list(self.cameras),
                )
        except SQLAlchemyError as exc:
            log.warning("recorder %s: heartbeat failed: %s", self.id, exc)
            return
        for camera_id in taken:
            self._start_camera(camera_id)

    def shutdown(self) -> None:
        """Stop every reader, write the last rows, release the leases."""
        self.stop_event.set()
        for handle in self.cameras.values():
            handle.stop_event.set()
        for handle in self.cameras.values():
            for reader in handle.readers:
                reader.thread.join(self.timeout_s + 5)
        self.journal.stop()
        try:
            with transaction(self.factory) as session:
                leases.release(session, me=self.id, camera_ids=list(self.cameras))
        except SQLAlchemyError as exc:
            log.warning("recorder %s: could not release leases: %s", self.id, exc)
        self.packets_done += sum(r.stats.packets for h in self.cameras.values() for r in h.readers)
        self.cameras.clear()

    def status(self) -> list[CameraStatus]:
        """The state of every held camera's main reader."""
        rows = []
        for handle in sorted(self.cameras.values(), key=lambda h: h.camera_id):
            stats = handle.readers[0].stats
            rows.append(
                CameraStatus(
                    handle.camera_id,
                    handle.name,
                    stats.state,
                    stats.packets,
                    stats.segments,
                    stats.sessions,
                    stats.error,
                )
            )
        return rows

    def _jobs(self, camera: StationCamera) -> tuple[StreamJob, StreamJob | None]:
        main_url, sub_url = stream_urls(self.settings, camera)

        def job(url: str) -> StreamJob:
            return StreamJob(
                camera_id=camera.id,
                url=url,
                has_audio=camera.has_audio,
                live_path=self.settings.live_path,
                live_segment_s=self.settings.live_segment_seconds,
                timeout_s=self.timeout_s,
                transport=self.transport,
            )

        return job(main_url), (job(sub_url) if sub_url else None)

    def _start_camera(self, camera_id: int) -> None:
        with transaction(self.factory) as session:
            camera = session.get(StationCamera, camera_id)
            if camera is None:
                return
            main, sub = self._jobs(camera)
            handle = CameraHandle(camera_id, camera.name)
        self.journal.put(CameraTaken(camera_id))
        handle.readers.append(
            CameraRecorder(
                main,
                stop_event=handle.stop_event,
                journal=self.journal,
                recordings=self.settings.recordings_path,
                segment_s=self.settings.recording_segment_seconds,
            )
        )
        if sub is not None:
            handle.readers.append(SubStreamRelay(sub, stop_event=handle.stop_event))
        self.cameras[camera_id] = handle
        for reader in handle.readers:
            reader.thread.start()
        log.info("recorder %s: recording camera %d (%s)", self.id, camera_id, handle.name)

    def _stop_camera(self, camera_id: int, *, quiet: bool) -> None:
        handle = self.cameras.pop(camera_id)
        for reader in handle.readers:
            reader.quiet = quiet
        handle.stop_event.set()
        for reader in handle.readers:
            reader.thread.join(self.timeout_s + 5)
            self.packets_done += reader.stats.packets
