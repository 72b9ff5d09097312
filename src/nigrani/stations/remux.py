"""Copy a time range out of recorded MPEG-TS segments into one MP4, without re-encoding.

Packets keep their bytes; only their timestamps change, rebased so the clip starts at 0
at the last video keyframe at or before the asked start (a clip can only start on a
keyframe without decoding). A hole between segments stays a hole in time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path

import av
import av.error
from av.container import InputContainer, OutputContainer
from av.packet import Packet
from av.stream import Stream

from nigrani.core.errors import ValidationFailed
from nigrani.core.i18n import _

# Decode times closer than this are one instant (frames are ≥ 10 ms apart).
SAME_S = 0.001


@dataclass(frozen=True, slots=True)
class Source:
    """One segment file and the wall-clock time its first packet was recorded."""

    path: Path
    start_at: datetime


@dataclass(frozen=True, slots=True)
class Remuxed:
    """What was written: the clip's real start and end, and its packets per kind."""

    start_at: datetime
    end_at: datetime
    video_packets: int
    audio_packets: int
    has_audio: bool

    @property
    def duration_s(self) -> float:
        """Length of the clip in seconds."""
        return (self.end_at - self.start_at).total_seconds()


@dataclass(slots=True)
class _Track:
    out: Stream
    last_dts: float | None = None  # seconds
    packets: int = 0
    end_s: float = 0.0  # latest packet end, seconds after the clip's start


def _timed(
    container: InputContainer, source: Source, clip_zero: datetime
) -> Iterator[tuple[Packet[Stream], float]]:
    """Packets of a segment (video and first audio) with their time after clip_zero (s).

    A segment's start_at is the wall time of its first video packet (the recorder cuts
    at keyframes), so times count from that packet; audio read before it waits for it.
    """
    streams = [*container.streams.video[:1], *container.streams.audio[:1]]
    offset = (source.start_at - clip_zero).total_seconds()
    base: float | None = None
    waiting: list[Packet[Stream]] = []
    for packet in container.demux(*streams):
        if packet.pts is None or packet.time_base is None:
            continue  # the flush packet at the end of each stream
        if base is None and packet.stream.type != "video":
            waiting.append(packet)
            continue
        if base is None:
            base = float(packet.pts * packet.time_base)
            for early in waiting:
                yield early, offset + float((early.pts or 0) * early.time_base) - base
        yield packet, offset + float(packet.pts * packet.time_base) - base


def keyframe_start(sources: Sequence[Source], start: datetime) -> datetime:
    """The wall time of the last video keyframe at or before `start` (else the first one)."""
    found: datetime | None = None
    for source in sources:
        with av.open(str(source.path)) as container:
            if not container.streams.video:
                continue
            video = container.streams.video[0]
            for packet, at in _timed(container, source, start):
                if packet.stream is video and packet.is_keyframe:
                    if at > 0 and found is not None:
                        return found
                    found = start + timedelta(seconds=at)
                    if at >= 0:
                        return found
    if found is None:
        raise ValidationFailed(_("The recording has no picture in this time range."))
    return found


def _open_output(path: Path, template: InputContainer) -> tuple[OutputContainer, dict[str, _Track]]:
    out = av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"})
    tracks = {"video": _Track(out.add_stream_from_template(template.streams.video[0]))}
    if template.streams.audio:
        tracks["audio"] = _Track(out.add_stream_from_template(template.streams.audio[0]))
    return out, tracks


def _write(out: OutputContainer, track: _Track, packet: Packet[Stream], at: float) -> None:
    """Mux one packet at `at` seconds into the clip.

    MP4 needs rising decode times per stream: a packet that does not come after the last
    one written (segments that overlap at their joins) repeats what is there and is dropped.
    """
    tb: Fraction = packet.time_base
    shift = round(at / tb) - int(packet.pts or 0)
    pts = int(packet.pts or 0) + shift
    dts = int(packet.dts) + shift if packet.dts is not None else pts
    dts_s = float(dts * tb)
    if track.last_dts is not None and dts_s <= track.last_dts + SAME_S:
        return
    packet.pts, packet.dts = max(pts, dts), dts
    track.last_dts = dts_s
    track.packets += 1
    track.end_s = max(track.end_s, at + float((packet.duration or 0) * tb))
    packet.stream = track.out
    out.mux(packet)


def _copy_range(
    out: OutputContainer,
    tracks: dict[str, _Track],
    sources: Sequence[Source],
    span: tuple[datetime, datetime],
) -> None:
    zero, end = span
    limit = (end - zero).total_seconds()
    for source in sources:
        with av.open(str(source.path)) as container:
            for packet, at in _timed(container, source, zero):
                if 0 <= at < limit:
                    _write(out, tracks[packet.stream.type], packet, at)


def remux(sources: Sequence[Source], *, start: datetime, end: datetime, target: Path) -> Remuxed:
    """Write [keyframe ≤ start, end) of these segments (in time order) to an MP4 file."""
    if not sources:
        raise ValidationFailed(_("There is no recorded footage in this time range."))
    try:
        zero = keyframe_start(sources, start)
        with av.open(str(sources[0].path)) as first:
            out, tracks = _open_output(target, first)
        with out:
            _copy_range(out, tracks, sources, (zero, end))
    except av.error.FFmpegError as exc:
        raise ValidationFailed(
            _("The recorded footage could not be read: {error}").format(error=exc)
        ) from exc
    video, audio = tracks["video"], tracks.get("audio")
    if video.packets == 0:
        raise ValidationFailed(_("The recording has no picture in this time range."))
    length = max(video.end_s, audio.end_s if audio else 0.0)
    return Remuxed(
        zero,
        zero + timedelta(seconds=length),
        video.packets,
        audio.packets if audio else 0,
        audio is not None and audio.packets > 0,
    )
