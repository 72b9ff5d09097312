"""One camera's readers: connect, copy packets, and on any failure note the gap and retry.

CameraRecorder reads the main stream into recorded segments and the main live playlist;
SubStreamRelay reads the sub-stream into its own live playlist only. Both run in their
own thread, reconnect with exponential backoff (BACKOFF_FIRST_S doubling up to
BACKOFF_MAX_S, back to the first after a session that ran STABLE_S), and stop within a
read timeout of the stop event.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Final, Literal

import av
import av.error
from av.container import InputContainer
from av.packet import Packet
from av.stream import Stream

from nigrani.core.db import utcnow
from nigrani.stations.recorder.journal import STOPPED_REASON, GapClosed, GapOpened, Journal
from nigrani.stations.recorder.live import LiveWriter, live_dir
from nigrani.stations.recorder.segments import ClosedSegment, SegmentWriter
from nigrani.stations.recorder.timeline import Timeline
from nigrani.stations.service import mask_url
from nigrani.stations.streams import Transport, open_stream

log = logging.getLogger(__name__)

BACKOFF_FIRST_S: Final = 0.5
BACKOFF_MAX_S: Final = 30.0
STABLE_S: Final = 60.0
TransportChoice = Literal["auto", "tcp", "udp"]


class StreamEnded(Exception):
    """The camera stopped sending: end of stream, or a stall longer than the timeout."""


@dataclass(frozen=True, slots=True)
class StreamJob:
    """What a reader needs to know about its camera: ids and settings, no ORM object."""

    camera_id: int
    url: str
    has_audio: bool
    live_path: Path
    live_segment_s: float
    timeout_s: float = 5.0
    transport: TransportChoice = "auto"


@dataclass
class ReaderStats:
    """Counters the status table shows; written by the reader thread only."""

    state: str = "starting"
    packets: int = 0
    sessions: int = 0
    segments: int = 0
    error: str = ""
    since: float = field(default_factory=time.monotonic)


class StreamReader:
    """Connect → copy packets to the sinks → on failure wait and reconnect, until stopped."""

    stream_name = "main"

    def __init__(self, job: StreamJob, *, stop_event: threading.Event) -> None:
        self.job, self.stop_event = job, stop_event
        self.stats = ReaderStats()
        self.quiet = False  # stopped because another recorder has the camera: report nothing
        self._transport: Transport | None = None if job.transport == "auto" else job.transport
        self.thread = threading.Thread(
            target=self.run, name=f"camera-{job.camera_id}-{self.stream_name}", daemon=True
        )

    def run(self) -> None:
        """The reader's loop; never raises."""
        delay = BACKOFF_FIRST_S
        while not self.stop_event.is_set():
            began = time.monotonic()
            try:
                self._session()
                reason = "end of stream"
            except (av.FFmpegError, OSError, StreamEnded, ValueError) as exc:
                reason = self._masked(exc)
            if self.stop_event.is_set():
                break
            if time.monotonic() - began >= STABLE_S:
                delay = BACKOFF_FIRST_S
            self.stats.state, self.stats.error = "reconnecting", reason
            self.failed(reason)
            log.warning(
                "camera %d %s: %s; retry in %.1f s",
                self.job.camera_id,
                self.stream_name,
                reason,
                delay,
            )
            self.stop_event.wait(delay)
            delay = min(delay * 2, BACKOFF_MAX_S)
        self.stats.state = "stopped"
        self.stopped()

    def _masked(self, exc: BaseException) -> str:
        text = str(exc) or type(exc).__name__
        return text.replace(self.job.url, mask_url(self.job.url))[:400]

    def _open(self) -> InputContainer:
        timeout = self.job.timeout_s
        if self._transport is not None:
            return open_stream(self.job.url, timeout_s=timeout, transport=self._transport)
        try:
            container = open_stream(self.job.url, timeout_s=timeout, transport="tcp")
            self._transport = "tcp"
        except (av.error.HTTPError, av.error.HTTPClientError, av.error.InvalidDataError):
            # A server that refuses RTP over TCP (the development simulator) is read over UDP.
            container = open_stream(self.job.url, timeout_s=timeout, transport="udp")
            self._transport = "udp"
        return container

    def _streams(self, container: InputContainer) -> list[Stream]:
        if not container.streams.video:
            raise StreamEnded("the stream has no video")
        streams: list[Stream] = [container.streams.video[0]]
        if self.job.has_audio and container.streams.audio:
            streams.append(container.streams.audio[0])
        return streams

    def _session(self) -> None:
        container = self._open()
        try:
            streams = self._streams(container)
            self.stats.state, self.stats.sessions = "connected", self.stats.sessions + 1
            self._pump(container, streams)
        finally:
            container.close()

    def _pump(self, container: InputContainer, streams: list[Stream]) -> None:
        timeline: Timeline | None = None
        last = time.monotonic()
        stall = self.job.timeout_s
        try:
            for packet in container.demux(*streams):
                if self.stop_event.is_set():
                    return
                if not packet.size:
                    continue  # the demuxer's flush packet at end of stream
                now = time.monotonic()
                index = packet.stream.index
                if timeline is None:
                    timeline = Timeline(streams, started=now)
                    self.begin(streams)
                elif now - last > stall:
                    raise StreamEnded(f"no packets for {now - last:.1f} s")
                last = now
                t, cts = timeline.place(packet, index, arrived=now)
                self.packet(packet, index, t, cts)
                self.stats.packets += 1
        finally:
            self.end(timeline)

    # The sinks: what a reader does with a session's packets.
    def begin(self, streams: list[Stream]) -> None:
        raise NotImplementedError

    def packet(self, packet: Packet[Stream], index: int, t: float, cts: float) -> None:
        raise NotImplementedError

    def end(self, timeline: Timeline | None) -> None:
        raise NotImplementedError

    def failed(self, reason: str) -> None:
        """The session failed (the reader retries)."""

    def stopped(self) -> None:
        """The reader stopped for good."""


class _LiveSink:
    """A live writer that, if it fails, is dropped for the rest of the session."""

    def __init__(self, job: StreamJob, stream: str, streams: list[Stream]) -> None:
        folder = live_dir(job.live_path, job.camera_id, stream)
        self.writer: LiveWriter | None = LiveWriter(
            folder, streams, segment_seconds=job.live_segment_s
        )
        self.camera_id = job.camera_id

    def write(self, packet: Packet[Stream], index: int, t: float, cts: float) -> None:
        if self.writer is None:
            return
        try:
            self.writer.write(packet, index, t, cts)
        except (av.FFmpegError, OSError, ValueError) as exc:
            log.warning("camera %d: live view stopped for this session: %s", self.camera_id, exc)
            self.close()

    def close(self) -> None:
        writer, self.writer = self.writer, None
        if writer is not None:
            try:
                writer.close()
            except (av.FFmpegError, OSError, ValueError) as exc:
                log.warning("camera %d: closing the live view: %s", self.camera_id, exc)


class SubStreamRelay(StreamReader):
    """The sub-stream, copied to its live playlist only (it is not recorded)."""

    stream_name = "sub"

    def __init__(self, job: StreamJob, *, stop_event: threading.Event) -> None:
        super().__init__(job, stop_event=stop_event)
        self._live: _LiveSink | None = None

    def begin(self, streams: list[Stream]) -> None:
        self._live = _LiveSink(self.job, "sub", streams)

    def packet(self, packet: Packet[Stream], index: int, t: float, cts: float) -> None:
        if self._live is not None:
            self._live.write(packet, index, t, cts)

    def end(self, timeline: Timeline | None) -> None:  # noqa: ARG002 - the StreamReader interface
        if self._live is not None:
            self._live.close()
            self._live = None


class CameraRecorder(StreamReader):
    """The main stream: recorded segments (indexed by the journal) and the main live view."""

    def __init__(
        self,
        job: StreamJob,
        *,
        stop_event: threading.Event,
        journal: Journal,
        recordings: Path,
        segment_s: float,
    ) -> None:
        super().__init__(job, stop_event=stop_event)
        self.journal, self.recordings, self.segment_s = journal, recordings, segment_s
        self._segments: SegmentWriter | None = None
        self._live: _LiveSink | None = None
        self._last_end: datetime | None = None  # where the last closed segment ended

    def begin(self, streams: list[Stream]) -> None:
        self._segments = SegmentWriter(
            root=self.recordings,
            camera_id=self.job.camera_id,
            inputs=streams,
            anchor=utcnow(),  # the wall time of the Timeline's zero: this first packet
            seconds=self.segment_s,
            on_closed=self._closed,
        )
        self._live = _LiveSink(self.job, "main", streams)

    def packet(self, packet: Packet[Stream], index: int, t: float, cts: float) -> None:
        assert self._segments is not None and self._live is not None
        started = self._segments.write(packet, index, t, cts)
        if started is not None:
            self.journal.put(GapClosed(self.job.camera_id, started))
            self.stats.state, self.stats.error = "recording", ""
            log.info("camera %d: recording from %s", self.job.camera_id, started.isoformat())
        self._live.write(packet, index, t, cts)

    def end(self, timeline: Timeline | None) -> None:
        segments, live = self._segments, self._live
        self._segments = self._live = None
        if live is not None:
            live.close()
        if segments is not None and timeline is not None:
            try:
                segments.close(timeline.end())
            except (av.FFmpegError, OSError, ValueError) as exc:
                # The file stays without a row; the next recorder's repair indexes or drops it.
                log.warning("camera %d: closing a segment failed: %s", self.job.camera_id, exc)

    def _closed(self, segment: ClosedSegment) -> None:
        self.journal.put(segment)
        self.stats.segments += 1
        self._last_end = segment.end_at

    def failed(self, reason: str) -> None:
        self.journal.put(GapOpened(self.job.camera_id, self._last_end or utcnow(), reason))

    def stopped(self) -> None:
        if not self.quiet:
            start = self._last_end or utcnow()
            self.journal.put(GapOpened(self.job.camera_id, start, STOPPED_REASON))
