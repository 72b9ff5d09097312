"""Recorded segment files: cut at keyframes, named by their UTC start, probed on repair.

A segment holds the camera's own packets (no re-encoding) in MPEG-TS, timestamps rebased
so the file starts at 0 on its first video keyframe, whose wall-clock time is the row's
start_at and the file name's epoch_ms. Consecutive segments of one session share their
boundary: one's end_at is the next one's start_at.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import av
from av.packet import Packet
from av.stream import Stream

from nigrani.stations.recorder.muxing import CopyMuxer

log = logging.getLogger(__name__)

SUFFIX: Final = ".ts"
# Packets of the other streams a little older than the cut still go to the old file.
STRAGGLE_S: Final = 0.5
# A camera without keyframes for this many segment lengths is cut anyway (bounded files).
FORCE_CUT_FACTOR: Final = 3.0


@dataclass(frozen=True, slots=True)
class ClosedSegment:
    """A finished file, closed but not yet synced to disk nor indexed."""

    camera_id: int
    path: Path
    relative: str
    start_at: datetime
    end_at: datetime
    video_codec: str
    audio_codec: str | None
    width: int
    height: int


def segment_path(root: Path, camera_id: int, start_at: datetime) -> Path:
    """recordings/{camera}/{YYYY}/{MM}/{DD}/{HHMMSS}_{epoch_ms}.ts, by the UTC start."""
    at = start_at.astimezone(UTC)
    epoch_ms = round(at.timestamp() * 1000)
    return root / str(camera_id) / f"{at:%Y/%m/%d}" / f"{at:%H%M%S}_{epoch_ms}{SUFFIX}"


def start_of(path: Path) -> datetime | None:
    """The UTC start a segment's name gives, or None for a foreign file."""
    stem = path.name.removesuffix(SUFFIX)
    _, _, millis = stem.partition("_")
    if not path.name.endswith(SUFFIX) or not millis.isdigit():
        return None
    return datetime.fromtimestamp(int(millis) / 1000, UTC)


def sync_file(path: Path) -> int:
    """fsync a closed file and its folder; returns its size in bytes."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        size = os.fstat(fd).st_size
    finally:
        os.close(fd)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
    return size


class SegmentFile(CopyMuxer):
    """One open MPEG-TS file whose clock starts at `base` (session seconds)."""

    def __init__(self, path: Path, inputs: list[Stream], *, base: float) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        super().__init__(av.open(str(path), mode="w", format="mpegts"), inputs, base=base)


class SegmentWriter:
    """Cuts one session's packets into files of `seconds` at video keyframes."""

    def __init__(
        self,
        *,
        root: Path,
        camera_id: int,
        inputs: list[Stream],
        anchor: datetime,
        seconds: float,
        on_closed: Callable[[ClosedSegment], None],
    ) -> None:
        self.root, self.camera_id, self.inputs = root, camera_id, inputs
        self.anchor, self.seconds, self.on_closed = anchor, seconds, on_closed
        self.video = inputs[0]
        self.current: SegmentFile | None = None
        self.previous: SegmentFile | None = None
        self.opened = 0

    def at(self, t: float) -> datetime:
        """The wall-clock time of a session time."""
        return self.anchor + timedelta(seconds=t)

    def write(self, packet: Packet[Stream], index: int, t: float, cts: float) -> datetime | None:
        """Write one packet of input stream `index`; returns the start time when it opened
        the session's first file."""
        started: datetime | None = None
        current = self.current
        if index == self.video.index and self._cuts(packet, t, current):
            started = self._cut(t)
            current = self.current
        if current is None:
            return None  # nothing is written before the session's first keyframe
        if t >= current.base:
            current.write(packet, index, t, cts)
            if self.previous is not None and t >= current.base + STRAGGLE_S:
                self._finish(self.previous, end=current.base)
                self.previous = None
        elif self.previous is not None:
            self.previous.write(packet, index, t, cts)
        return started

    def close(self, end: float) -> None:
        """Close the open files; the last one ends at `end` (session seconds)."""
        if self.previous is not None and self.current is not None:
            self._finish(self.previous, end=self.current.base)
        if self.current is not None:
            self._finish(self.current, end=max(end, self.current.base))
        self.current = self.previous = None

    def _cuts(self, packet: Packet[Stream], t: float, current: SegmentFile | None) -> bool:
        if current is None:
            return bool(packet.is_keyframe)
        length = t - current.base
        if packet.is_keyframe:
            return length >= self.seconds
        return length >= self.seconds * FORCE_CUT_FACTOR

    def _cut(self, t: float) -> datetime | None:
        if self.previous is not None and self.current is not None:
            self._finish(self.previous, end=self.current.base)
        self.previous = self.current
        start_at = self.at(t)
        self.current = SegmentFile(
            segment_path(self.root, self.camera_id, start_at), self.inputs, base=t
        )
        self.opened += 1
        return start_at if self.opened == 1 else None

    def _finish(self, segment: SegmentFile, *, end: float) -> None:
        segment.close()
        video = self.video.codec_context
        audio = self.inputs[1].codec_context if len(self.inputs) > 1 else None
        self.on_closed(
            ClosedSegment(
                camera_id=self.camera_id,
                path=segment.path,
                relative=segment.path.relative_to(self.root).as_posix(),
                start_at=self.at(segment.base),
                end_at=self.at(end),
                video_codec=video.name,
                audio_codec=audio.name if audio is not None else None,
                width=getattr(video, "width", 0) or 0,
                height=getattr(video, "height", 0) or 0,
            )
        )


def probe(path: Path, root: Path, camera_id: int) -> ClosedSegment | None:
    """A left-over file as a segment (its duration from its packets), or None if unreadable."""
    start_at = start_of(path)
    if start_at is None:
        return None
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return None
            video = container.streams.video[0]
            audio = container.streams.audio[0] if container.streams.audio else None
            seconds = _span(container.demux(*[s for s in (video, audio) if s is not None]))
            if seconds is None:
                return None
            return ClosedSegment(
                camera_id=camera_id,
                path=path,
                relative=path.relative_to(root).as_posix(),
                start_at=start_at,
                end_at=start_at + timedelta(seconds=seconds),
                video_codec=video.codec_context.name,
                audio_codec=audio.codec_context.name if audio is not None else None,
                width=video.codec_context.width or 0,
                height=video.codec_context.height or 0,
            )
    except (av.FFmpegError, OSError, ValueError) as exc:
        log.warning("unreadable segment %s: %s", path, exc)
        return None


def _span(packets: Iterator[Packet[Stream]]) -> float | None:
    """Seconds from the first packet's time to the last packet's end."""
    first: float | None = None
    last = 0.0
    for packet in packets:
        if packet.pts is None or packet.time_base is None:
            continue
        at = float(packet.pts * packet.time_base)
        first = at if first is None else min(first, at)
        last = max(last, at + float((packet.duration or 0) * packet.time_base))
    return None if first is None else max(0.0, last - first)
