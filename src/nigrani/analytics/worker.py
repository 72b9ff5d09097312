"""The `nigrani worker` process: station analytics on the cameras it can lease.

One Worker per process (like the recorder): the main thread takes and renews its leases
(apart from the recorder's) every lease/3 seconds and re-reads each held camera's setup
(zones, the station's effective rules, the camera-health picture verdict) every
SETUP_EVERY_S; each camera has a feed thread (analytics/feed.py) decoding a few frames a
second; one analysis thread takes the pictures of every camera, runs the one detector on
those due in a single batch, and turns each camera's frames into observations (zones.Scene:
tracker, zones, dwell, phones), the rules' event changes, and spooled files; a sender thread
posts the spool to the app. stop_event ends it all: feeds stop, the open events end, the
spool is drained while the app answers, leases are released.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import socket
import threading
import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from nigrani.analytics import headcount, orphans, rule_settings
from nigrani.analytics.analyse import Analyser, CameraSetup
from nigrani.analytics.detector import Detector, build_detector
from nigrani.analytics.feed import CameraFeed, FeedJob, Picture
from nigrani.analytics.rules import CameraRules, RuleConfigError, RuleEngine, RuleSet
from nigrani.analytics.spool import Sender, Spool
from nigrani.core.config import Settings
from nigrani.core.db import transaction, utcnow
from nigrani.health.models import HealthTarget
from nigrani.stations.models import StationCamera
from nigrani.stations.recorder import leases
from nigrani.stations.recorder.camera import StreamJob
from nigrani.stations.schemas import Zone
from nigrani.stations.service import stream_urls

log = logging.getLogger(__name__)

SETUP_EVERY_S: Final = 60.0
# What the camera-health picture checks say about the picture itself (not the network,
# nor the sound): the camera_tamper rule's input.
PICTURE_REASONS: Final = frozenset({"black", "dark", "covered", "defocused", "frozen", "moved"})
QUEUE_PER_CAMERA: Final = 4


@dataclass
class CameraHandle:
    camera_id: int
    name: str
    feed: CameraFeed
    stop_event: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True, slots=True)
class CameraStatus:
    """One line of the status table."""

    camera_id: int
    name: str
    state: str
    kept: int
    detected: int
    dropped: int
    connects: int
    failures: int
    error: str


def picture_reason(session: Session, camera_id: int) -> str:
    """The camera-health verdict on this station camera's picture, or "" if it is fine."""
    row = session.execute(
        select(HealthTarget.state, HealthTarget.reason).where(
            HealthTarget.station_camera_id == camera_id, HealthTarget.enabled.is_(True)
        )
    ).first()
    if row is None or row.state != "degraded" or row.reason not in PICTURE_REASONS:
        return ""
    return str(row.reason)


def camera_setup(session: Session, camera: StationCamera) -> CameraSetup:
    """What the analysis needs to know about one camera now."""
    zones = [Zone.model_validate(z) for z in json.loads(camera.zones_json or "[]")]
    try:
        rules = rule_settings.rule_set(session, station_id=camera.station_id)
    except RuleConfigError as exc:  # an override a newer default made invalid
        log.warning("camera %d: station rules refused (%s); the defaults apply", camera.id, exc)
        rules = RuleSet()
    kinds = {zone.name: zone.kind for zone in zones}
    return CameraSetup(
        zones=tuple(zones),
        rules=CameraRules(rules=rules, zone_kinds=kinds),
        picture_reason=picture_reason(session, camera.id),
    )


class Worker(leases.LeaseHolder):
    """Watches up to `max_cameras` enabled station cameras (under `station`, and of
    `camera_ids`, if given)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        settings: Settings,
        *,
        max_cameras: int = 16,
        station: str | None = None,
        name: str | None = None,
        detector: Detector | None = None,
        spool: Spool | None = None,
        timeout_s: float = 5.0,
        camera_ids: Collection[int] = (),
    ) -> None:
        self.factory, self.settings = factory, settings
        self.camera_ids = tuple(camera_ids)
        self.max_cameras, self.station, self.timeout_s = max_cameras, station, timeout_s
        self.id = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease_s = float(settings.analytics_lease_s)
        self.stop_event = threading.Event()
        self.pictures: queue.Queue[Picture] = queue.Queue(QUEUE_PER_CAMERA * max_cameras)
        self.spool = spool or Spool(settings.analytics_spool_path)
        self.analyser = Analyser(
            detector or build_detector(settings),
            spool=self.spool,
            engine=RuleEngine({}, max_gap_s=settings.analytics_max_gap_s),
            snapshot_bytes=settings.analytics_snapshot_kb * 1024,
        )
        self.sender = Sender(
            self.spool,
            server_url=settings.analytics_server_url,
            token=settings.analytics_token.get_secret_value(),
        )
        self.cameras: dict[int, CameraHandle] = {}
        self._threads: list[threading.Thread] = []
        self._scope = "/"
        self._setup_at = 0.0

    def start(self) -> None:
        """Start the analysis and sender threads and take the first cameras."""
        with transaction(self.factory) as session:
            self._scope = leases.scope_path(session, code=self.station)
        orphans.end_spooled(self.spool)  # a killed worker's events, before the sender goes
        for name, target in (("analysis", self._analyse), ("sender", self._send)):
            thread = threading.Thread(target=target, name=f"worker-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        self.heartbeat()

    def _analyse(self) -> None:
        self.analyser.run(self.pictures, self.stop_event)

    def _send(self) -> None:
        self.sender.run(self.stop_event)

    def heartbeat(self) -> None:
        """Renew held leases (stopping cameras whose lease was lost) with each held camera's
        people now (the wall's tiles), take free ones, and re-read the setups when due."""
        try:
            with transaction(self.factory) as session:
                held = leases.renew(
                    session,
                    me=self.id,
                    camera_ids=list(self.cameras),
                    lease_s=self.lease_s,
                    cols=leases.ANALYTICS,
                )
                counts = self.analyser.counts()
                held_counts = {c: counts[c] for c in held & counts.keys()}
                headcount.write(session, me=self.id, counts=held_counts)
            for camera_id in set(self.cameras) - held:
                log.warning("camera %d: analytics lease lost or camera disabled", camera_id)
                self._stop_camera(camera_id)
            with transaction(self.factory) as session:
                limit = self.max_cameras - len(self.cameras)
                unreturned = (
                    orphans.unreturned(
                        session, me=self.id, scope=self._scope, held=self.cameras, now=utcnow()
                    )
                    if limit > 0
                    else {}
                )
                taken = leases.take(
                    session,
                    me=self.id,
                    limit=limit,
                    scope=self._scope,
                    lease_s=self.lease_s,
                    exclude=list(self.cameras),
                    cols=leases.ANALYTICS,
                    only=self.camera_ids,
                )
                orphans.end_left_open(
                    session,
                    self.spool,
                    lease_ends={c: unreturned[c] for c in taken if c in unreturned},
                    lease_s=self.lease_s,
                    now=utcnow(),
                )
            for camera_id in taken:
                self._start_camera(camera_id)
            if time.monotonic() - self._setup_at >= SETUP_EVERY_S:
                self.refresh_setups()
        except SQLAlchemyError as exc:
            log.warning("worker %s: heartbeat failed: %s", self.id, exc)

    def refresh_setups(self) -> None:
        """Re-read every held camera's zones, rules and picture verdict."""
        with transaction(self.factory) as session:
            for camera_id in list(self.cameras):
                camera = session.get(StationCamera, camera_id)
                if camera is not None:
                    self.analyser.set_up(camera_id, camera_setup(session, camera))
        self._setup_at = time.monotonic()

    def shutdown(self) -> None:
        """Stop the feeds, end their open events, deliver what the app takes, release."""
        self.stop_event.set()
        held = list(self.cameras)
        for camera_id in held:
            self._stop_camera(camera_id)
        for thread in self._threads:
            thread.join(self.timeout_s + 5)
        self.analyser.close()
        try:
            self.sender.drain()
        except OSError as exc:
            log.warning("worker %s: the spool could not be sent: %s", self.id, exc)
        self.sender.close()
        try:
            with transaction(self.factory) as session:
                leases.release(session, me=self.id, camera_ids=held, cols=leases.ANALYTICS)
        except SQLAlchemyError as exc:
            log.warning("worker %s: could not release leases: %s", self.id, exc)

    def status(self) -> list[CameraStatus]:
        """The state of every held camera's feed."""
        return [_status(h) for h in sorted(self.cameras.values(), key=lambda h: h.camera_id)]

    def _start_camera(self, camera_id: int) -> None:
        with transaction(self.factory) as session:
            camera = session.get(StationCamera, camera_id)
            if camera is None:
                return
            main_url, sub_url = stream_urls(self.settings, camera)
            job = self._job(camera, sub_url or main_url)
            self.analyser.set_up(camera_id, camera_setup(session, camera))
            name = camera.name
        stop = threading.Event()
        live = StreamJob(
            camera_id=camera_id,
            url=job.url,
            has_audio=job.has_audio,
            live_path=self.settings.live_path,
            live_segment_s=self.settings.live_segment_seconds,
            timeout_s=self.timeout_s,
        )
        feed = CameraFeed(job, pictures=self.pictures, stop_event=stop, live=live)
        self.cameras[camera_id] = CameraHandle(camera_id, name, feed, stop)
        feed.thread.start()
        log.info("worker %s: watching camera %d (%s)", self.id, camera_id, name)

    def _job(self, camera: StationCamera, url: str) -> FeedJob:
        return FeedJob(
            camera_id=camera.id,
            url=url,
            has_audio=camera.has_audio,
            fps=self.settings.analytics_fps,
            keepalive_s=self.settings.analytics_keepalive_s,
            motion_share=self.settings.analytics_motion_percent / 100,
            timeout_s=self.timeout_s,
        )

    def _stop_camera(self, camera_id: int) -> None:
        handle = self.cameras.pop(camera_id)
        handle.feed.quiet = True
        handle.stop_event.set()
        handle.feed.thread.join(self.timeout_s + 5)
        self.analyser.forget(camera_id)


def _status(handle: CameraHandle) -> CameraStatus:
    feed = handle.feed
    return CameraStatus(
        handle.camera_id,
        handle.name,
        feed.stats.state,
        feed.kept,
        feed.detected,
        feed.dropped,
        feed.stats.sessions,
        feed.failures,
        feed.stats.error,
    )
