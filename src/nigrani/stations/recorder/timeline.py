"""One clock for the packets of a camera session, in seconds after its first packet.

A camera's timestamps cannot be trusted as they come: RTP timestamps start anywhere,
jump when the first RTCP sender report synchronises the streams, wrap, and FFmpeg gives
the second and later AAC frames of one RTP packet no timestamp at all. Each stream is
placed on the session clock where its first packet arrived (by the wall clock), then
follows its own timestamps; a step backwards or a jump of more than MAX_JUMP_S is taken
as a discontinuity and the stream continues one frame after its last packet; a packet
without a timestamp comes one frame after the previous one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from av.packet import Packet
from av.stream import Stream

MAX_JUMP_S: Final = 10.0
MAX_STEP_S: Final = 1.0  # longer "frame durations" are gaps, not a frame rate


@dataclass(slots=True)
class _Track:
    time_base: float
    step: float  # seconds between two packets, learnt from the stream
    offset: float = 0.0  # session seconds minus stream seconds
    last_raw: int | None = None
    last_t: float | None = None
    synthesised: int = 0  # packets without timestamp since the last raw one


def _initial_step(stream: Stream) -> float:
    ctx = stream.codec_context
    if stream.type == "audio":
        rate = getattr(ctx, "sample_rate", 0) or 48000
        return (getattr(ctx, "frame_size", 0) or 1024) / rate
    rate = getattr(stream, "average_rate", None) or getattr(stream, "guessed_rate", None)
    return 1 / float(rate) if rate else 0.04


class Timeline:
    """Places the packets of one session's streams on one monotonic clock (seconds)."""

    def __init__(self, streams: list[Stream], *, started: float) -> None:
        self.started = started  # time.monotonic() of the session's first packet
        self._tracks: dict[int, _Track] = {
            s.index: _Track(time_base=float(s.time_base or 0) or 1 / 90000, step=_initial_step(s))
            for s in streams
        }

    def place(self, packet: Packet[Stream], index: int, *, arrived: float) -> tuple[float, float]:
        """The decode time of a packet of stream `index` on the session clock, and its
        pts - dts, in seconds."""
        track = self._tracks[index]
        raw = packet.dts if packet.dts is not None else packet.pts
        if raw is None:
            t = self._follow(track, arrived)
            track.synthesised += 1
        else:
            t = self._timed(track, raw, arrived)
        track.last_t = t
        if packet.pts is None or packet.dts is None:
            return t, 0.0
        return t, max(0.0, (packet.pts - packet.dts) * track.time_base)

    def end(self) -> float:
        """Where the session's last packet ends (the latest of the streams)."""
        ends = [tr.last_t + tr.step for tr in self._tracks.values() if tr.last_t is not None]
        return max(ends, default=0.0)

    def _follow(self, track: _Track, arrived: float) -> float:
        if track.last_t is None:
            return max(0.0, arrived - self.started)
        return track.last_t + track.step

    def _timed(self, track: _Track, raw: int, arrived: float) -> float:
        seconds = raw * track.time_base
        if track.last_raw is None or track.last_t is None:
            track.offset = max(0.0, arrived - self.started) - seconds
        else:
            delta = (raw - track.last_raw) * track.time_base
            if delta <= 0 or delta > MAX_JUMP_S:
                track.offset = track.last_t + track.step - seconds
            elif delta / (track.synthesised + 1) <= MAX_STEP_S:
                track.step = delta / (track.synthesised + 1)
        track.last_raw = raw
        track.synthesised = 0
        t = seconds + track.offset
        if track.last_t is not None and t <= track.last_t:
            # The packets without timestamps ran ahead of this one: keep the clock monotonic.
            t = track.last_t + 1e-4
            track.offset = t - seconds
        return t
