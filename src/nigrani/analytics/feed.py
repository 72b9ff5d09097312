"""One camera's pictures for the analytics worker: its sub-stream (or main stream) decoded,
a few frames a second kept by their timestamps, each marked for the detector when it moved
(or when the detector has not looked for a while), with the room's sound alongside.

A CameraFeed is the recorder's StreamReader (the same connect, stall timeout, masking and
reconnect with exponential backoff; a failure is logged and counted, never raised) with
decoding sinks instead of recording ones. Its pictures go into a queue the worker's
analysis thread reads; when that thread falls behind, a feed drops pictures (counted)
instead of queueing without end.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import av
import cv2
import numpy as np
from av.packet import Packet
from av.stream import Stream

from nigrani.analytics.audio import SoundMeter, camera_meter
from nigrani.analytics.detector import Frame
from nigrani.analytics.observe import Sound
from nigrani.core.db import utcnow
from nigrani.stations.recorder.camera import StreamJob, StreamReader
from nigrani.stations.recorder.timeline import Timeline

GREY_SIZE = (64, 48)  # the motion gate's picture: small, so a gate costs next to nothing
PIXEL_CHANGE = 25  # a grey level this far from the last detected picture's has changed


@dataclass(frozen=True, slots=True)
class FeedJob:
    """How one camera is watched: ids and numbers only, no ORM object."""

    camera_id: int
    url: str
    has_audio: bool
    fps: float = 2.0
    keepalive_s: float = 3.0
    motion_share: float = 0.005  # share of the grey picture's pixels (0-1)
    timeout_s: float = 5.0


@dataclass(frozen=True, slots=True)
class Picture:
    """A kept frame, on its way to the analysis thread."""

    camera_id: int
    session: int  # the feed's connection number: a new one starts the camera's scene anew
    at: datetime  # UTC: the session's start on this clock plus the frame's stream time
    image: Frame  # BGR
    detect: bool  # moved, or the detector's keepalive is due; else the last detections stand
    sound: Sound | None  # the loudest window heard since the last picture


def moved(grey: Frame, before: Frame | None, share: float) -> bool:
    """Whether at least `share` of the small grey picture's pixels changed since `before`."""
    if before is None:
        return True
    changed = cv2.absdiff(grey, before) > PIXEL_CHANGE
    return bool(np.count_nonzero(changed) >= share * changed.size)


def next_due(t: float, due: float, fps: float) -> float | None:
    """Whether a frame at stream time `t` is kept at `fps` when the next is due at `due`:
    the time the one after is due if so, None if it is dropped (decoded, not analysed)."""
    if t < due:
        return None
    period = 1.0 / fps
    return max(due + period, t + period / 2)  # no burst after a stall


def small_grey(image: Frame) -> Frame:
    small: Any = cv2.resize(image, GREY_SIZE, interpolation=cv2.INTER_AREA)
    grey: Any = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (3, 3), 0)
    return np.asarray(grey, dtype=np.uint8)


def louder(a: Sound | None, b: Sound) -> Sound:
    """Of two windows, the one a raised voice would be judged on: speech first, then level."""
    if a is None:
        return b
    return max(a, b, key=lambda s: (s.speech, s.level_db))


class CameraFeed(StreamReader):
    """Reads one camera's stream into Pictures until its stop event is set."""

    stream_name = "analytics"

    def __init__(
        self,
        job: FeedJob,
        *,
        pictures: queue.Queue[Picture],
        stop_event: threading.Event,
        live: StreamJob,
    ) -> None:
        super().__init__(live, stop_event=stop_event)
        self.feed = job
        self.pictures = pictures
        self.kept = self.detected = self.dropped = self.failures = 0
        self.meter: SoundMeter | None = None
        self._reset(started=utcnow())

    def _reset(self, *, started: datetime) -> None:
        self._started = started
        self._due = 0.0  # stream time of the next frame to keep
        self._last_detect = -1e9
        self._grey: Frame | None = None
        self._sound: Sound | None = None
        self._codecs: dict[int, Any] = {}

    def begin(self, streams: list[Stream]) -> None:
        self._reset(started=utcnow())
        for stream in streams:
            codec = stream.codec_context
            if not codec.is_open:  # a sub-stream's small picture: FFmpeg's decoding threads
                codec.thread_type, codec.thread_count = "NONE", 1  # cost more than they save
            self._codecs[stream.index] = codec
        if self.meter is None and any(s.type == "audio" for s in streams):
            self.meter = camera_meter()

    def packet(self, packet: Packet[Stream], index: int, t: float, cts: float) -> None:
        del cts
        codec = self._codecs.get(index)
        if codec is None:
            return
        for frame in codec.decode(packet):
            if isinstance(frame, av.AudioFrame):
                self._hear(frame)
            elif isinstance(frame, av.VideoFrame):
                self._see(frame, t)

    def _hear(self, frame: av.AudioFrame) -> None:
        if self.meter is None:
            return
        for sound in self.meter.feed_frame(frame):
            self._sound = louder(self._sound, sound)

    def _see(self, frame: av.VideoFrame, t: float) -> None:
        due = next_due(t, self._due, self.feed.fps)
        if due is None:
            return  # dropped by its timestamp: decoded (the next frames need it), not analysed
        self._due = due
        image = np.asarray(frame.to_ndarray(format="bgr24"), dtype=np.uint8)
        grey = small_grey(image)
        keepalive = t - self._last_detect >= self.feed.keepalive_s
        detect = keepalive or moved(grey, self._grey, self.feed.motion_share)
        picture = Picture(
            camera_id=self.feed.camera_id,
            session=self.stats.sessions,
            at=self._started + timedelta(seconds=t),
            image=image,
            detect=detect,
            sound=self._sound,
        )
        try:
            self.pictures.put_nowait(picture)
        except queue.Full:
            self.dropped += 1
            return
        self._sound = None
        self.kept += 1
        if detect:
            self.detected += 1
            self._last_detect, self._grey = t, grey

    def end(self, timeline: Timeline | None) -> None:
        del timeline
        self._codecs = {}

    def failed(self, reason: str) -> None:
        del reason
        self.failures += 1
