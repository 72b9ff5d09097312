"""The analytics worker's analysis thread: every camera's pictures in, spooled event
changes out.

The pictures of all cameras arrive in one queue; what has arrived is taken as one batch,
and the frames due for detection (moved, or keepalive) go to the detector in one call.
Each camera's frames then pass, in their order, through its Scene (tracker, zones, dwell,
phones) into an Observation and through the RuleEngine; each change is spooled, a start
with a JPEG of the frame with its people boxed. A frame not due for detection keeps the
camera's last detections (the picture did not move). Cameras not seen for the engine's
max_gap_s (a stream that failed) have their open events ended, as the rules' gap handling
says. Nothing raised here stops the thread: it is logged and counted.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final

import cv2
import numpy as np

from nigrani.analytics.detector import Detection, Detector, Frame
from nigrani.analytics.feed import Picture
from nigrani.analytics.headcount import Count
from nigrani.analytics.observe import Observation
from nigrani.analytics.rules import CameraRules, EventChange, RuleEngine
from nigrani.analytics.spool import Spool
from nigrani.analytics.zones import Scene
from nigrani.core.db import utcnow
from nigrani.stations.schemas import Zone

log = logging.getLogger(__name__)

BATCH: Final = 16  # the most frames in one detector call
WAIT_S: Final = 0.25
BOX_COLOUR: Final = (0, 200, 0)  # BGR
PHONE_COLOUR: Final = (0, 0, 230)


@dataclass(frozen=True, slots=True)
class CameraSetup:
    """A camera's zones, its station's effective rules and its picture verdict."""

    zones: tuple[Zone, ...] = ()
    rules: CameraRules = field(default_factory=CameraRules)
    picture_reason: str = ""


@dataclass(slots=True)
class _Camera:
    zones: tuple[Zone, ...]
    scene: Scene
    session: int
    last: list[Detection] = field(default_factory=list)


def take_batch(pictures: queue.Queue[Picture], *, wait_s: float, most: int) -> list[Picture]:
    """What has arrived (waiting up to wait_s for the first), at most `most`."""
    try:
        batch = [pictures.get(timeout=wait_s)]
    except queue.Empty:
        return []
    while len(batch) < most:
        try:
            batch.append(pictures.get_nowait())
        except queue.Empty:
            break
    return batch


def snapshot(image: Frame, obs: Observation, *, max_bytes: int) -> bytes:
    """The frame as a JPEG with each person boxed (red: holding a phone; a thin box: a
    newcomer not yet tracked), at most max_bytes."""
    drawn: Any = image.copy()
    for person in obs.people:
        x1, y1, x2, y2 = (int(v) for v in person.box)
        colour = PHONE_COLOUR if person.phone else BOX_COLOUR
        cv2.rectangle(drawn, (x1, y1), (x2, y2), colour, 2)
        cv2.putText(drawn, str(person.track_id), (x1, max(y1 - 4, 10)), 0, 0.5, colour, 1)
    for newcomer in obs.newcomers:  # counted, not yet tracked: a thin box without an id
        x1, y1, x2, y2 = (int(v) for v in newcomer.box)
        cv2.rectangle(drawn, (x1, y1), (x2, y2), BOX_COLOUR, 1)
    quality = 85
    while True:
        ok, data = cv2.imencode(".jpg", drawn, [cv2.IMWRITE_JPEG_QUALITY, quality])
        jpeg = bytes(np.asarray(data).tobytes()) if ok else b""
        if len(jpeg) <= max_bytes or min(drawn.shape[:2]) < 32:
            return jpeg
        if quality > 45:
            quality -= 20
        else:
            drawn = cv2.resize(drawn, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)


class Analyser:
    """Runs the shared detector and each camera's scene and rules (one thread)."""

    def __init__(
        self, detector: Detector, *, spool: Spool, engine: RuleEngine, snapshot_bytes: int
    ) -> None:
        self.detector, self.spool, self.engine = detector, spool, engine
        self.snapshot_bytes = snapshot_bytes
        self._setups: dict[int, CameraSetup] = {}  # written by the main thread
        self._lock = threading.Lock()
        self._cameras: dict[int, _Camera] = {}
        self.frames = self.detected = self.batches = self.changes = self.errors = 0
        self.detect_s = 0.0  # seconds spent in the detector
        # each camera's people in its latest frame (read by the heartbeat's thread)
        self._latest: dict[int, Count] = {}

    def set_up(self, camera_id: int, setup: CameraSetup) -> None:
        """The camera's setup from now on (the main thread re-reads it now and then)."""
        with self._lock:
            self._setups[camera_id] = setup

    def forget(self, camera_id: int) -> None:
        """The worker gave the camera up: its pictures still queued are dropped."""
        with self._lock:
            self._setups.pop(camera_id, None)
            self._latest.pop(camera_id, None)

    def counts(self) -> dict[int, Count]:
        """Each camera's people in its latest analysed frame."""
        with self._lock:
            return dict(self._latest)

    def run(self, pictures: queue.Queue[Picture], stop_event: threading.Event) -> None:
        """Analyse until stop_event is set; never raises."""
        while not stop_event.is_set():
            batch = take_batch(pictures, wait_s=WAIT_S, most=BATCH)
            try:
                if batch:
                    self.process(batch)
                self._spool(self.engine.expire(utcnow()), None)
            except Exception:  # one bad frame or a full disk must not stop every camera
                self.errors += 1
                log.exception("analytics: a batch of %d pictures failed", len(batch))

    def close(self) -> None:
        """End every open event at the moment its camera was last seen (the worker stops)."""
        later = utcnow() + timedelta(seconds=self.engine.max_gap_s + 1)
        try:
            self._spool(self.engine.expire(later), None)
        except OSError:
            log.exception("analytics: the last event ends could not be spooled")

    def process(self, batch: list[Picture]) -> None:
        """Detect on the frames due, then observe every frame in its order."""
        due = [p for p in batch if p.detect]
        found: list[list[Detection]] = []
        if due:
            began = time.perf_counter()
            found = self.detector.detect([p.image for p in due])
            self.detect_s += time.perf_counter() - began
            self.batches += 1
            self.detected += len(due)
        results = {id(p): d for p, d in zip(due, found, strict=True)}
        for picture in batch:
            self._observe(picture, results.get(id(picture)))

    def _camera(self, picture: Picture, setup: CameraSetup) -> _Camera:
        cam = self._cameras.get(picture.camera_id)
        if cam is None or cam.session != picture.session or cam.zones != setup.zones:
            # a new connection (or new zones): tracks and dwell start again
            scene = Scene(camera_id=picture.camera_id, zones=setup.zones)
            cam = self._cameras[picture.camera_id] = _Camera(setup.zones, scene, picture.session)
        return cam

    def _observe(self, picture: Picture, detections: list[Detection] | None) -> None:
        with self._lock:
            setup = self._setups.get(picture.camera_id)
        if setup is None:
            self._cameras.pop(picture.camera_id, None)
            return
        cam = self._camera(picture, setup)
        self.engine.configure(picture.camera_id, setup.rules)
        if detections is not None:
            cam.last = detections
        height, width = picture.image.shape[:2]
        obs = cam.scene.observe(
            cam.last,
            at=picture.at,
            size=(width, height),
            sound=picture.sound,
            picture_reason=setup.picture_reason,
        )
        self.frames += 1
        waiting = [z.name for z in setup.zones if z.kind == "waiting"]
        with self._lock:
            self._latest[picture.camera_id] = Count(obs.count(), obs.count_in(waiting), obs.at)
        self._spool(self.engine.feed(obs), (picture.image, obs))

    def _spool(self, changes: list[EventChange], seen: tuple[Frame, Observation] | None) -> None:
        for change in changes:
            jpeg = None
            if change.change == "start" and seen is not None:
                jpeg = snapshot(seen[0], seen[1], max_bytes=self.snapshot_bytes)
            self.spool.put(change, snapshot_jpeg=jpeg)
            self.changes += 1
            log.info(
                "camera %d: %s %s (%s)",
                change.event.camera_id,
                change.event.kind,
                change.change,
                change.event.uuid,
            )
