"""One look at a camera: can it be reached, does it send a picture, what picture.

`probe_stream` opens the camera's (sub-)stream with PyAV through `stations.streams` (the
recorder's reader options: no analysis delay, small probe), reads about `read_s` seconds
from the first keyframe on, and returns what it measured and a few small grayscale frames
for `picture.judge`. Given the camera's keyframe interval (`gop_s`, measured by its last
probe) and at least three keyframes in a read, it decodes only the keyframes: the picture
checks then compare frames a keyframe apart, at a third less CPU per probe (see
docs/benchmarks.md); otherwise it decodes every frame and keeps `max_frames` spread over
the read. The sound's level comes from its first `AUDIO_S`.

It never raises for a camera's fault: the result's `reason` names it ("unreachable": no
route, name or answer in time; "refused": nothing listens on the port; "no_frames": it
answers but no picture comes, within `timeout_s`). `socket_check` is the cheap TCP connect
the prober runs between full probes.

Credentials never leave this module: the URL is only passed to FFmpeg, and any text of an
error is scrubbed of it (core/urls.py masking) before it is kept.
"""

from __future__ import annotations

import contextlib
import errno
import math
import re
import socket
import time
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import av
import av.error
import numpy as np
from av.audio.frame import AudioFrame
from av.container import InputContainer
from av.video.frame import VideoFrame

from nigrani.core import urls
from nigrani.health.picture import small_gray
from nigrani.stations.streams import Transport, open_stream

TransportChoice = Literal["auto", "tcp", "udp"]
DEFAULT_PORTS: Final = {"rtsp": 554, "rtsps": 322, "http": 80, "https": 443}
MIN_RETRY_S: Final = 1.0
AUDIO_S: Final = 1.0  # seconds of sound a probe decodes for its level
_USERINFO: Final = re.compile(r"//[^/@\s]*@")
# FFmpeg's answers that mean the server speaks RTSP but will not stream to us over TCP
# (the development simulator serves RTP over UDP only): try UDP.
_TRY_UDP: Final = (av.error.HTTPError, av.error.HTTPClientError, av.error.InvalidDataError)


@dataclass
class ProbeResult:
    """What one probe saw. `reason` is "" when the stream is fine, else an offline reason."""

    reason: str = ""
    ttff_ms: float | None = None
    codec: str = ""
    width: int = 0
    height: int = 0
    fps: float | None = None
    bitrate_kbps: float | None = None
    audio: bool = False
    audio_db: float | None = None
    gop_s: float | None = None  # seconds between keyframes (None: under two came)
    keyframes: bool = False  # only the keyframes were decoded
    frames: list[np.ndarray] = field(default_factory=list)
    transport: str = ""
    detail: str = ""  # why it failed, scrubbed of any credential
    elapsed_ms: float = 0.0

    def measurements(self) -> dict[str, Any]:
        """The numbers to store (JSON-able); never a URL or a credential."""
        values: dict[str, Any] = {
            "reason": self.reason,
            "ttff_ms": _round(self.ttff_ms),
            "codec": self.codec,
            "width": self.width,
            "height": self.height,
            "fps": _round(self.fps, 2),
            "bitrate_kbps": _round(self.bitrate_kbps),
            "audio": self.audio,
            "audio_db": _round(self.audio_db),
            "gop_s": _round(self.gop_s, 2),
            "keyframes": self.keyframes,
            "frames": len(self.frames),
            "elapsed_ms": _round(self.elapsed_ms),
        }
        if self.transport:
            values["transport"] = self.transport
        if self.detail:
            values["detail"] = self.detail
        return values


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, digits)


def scrub(text: str, url: str) -> str:
    """`text` without the URL's credentials (the whole URL becomes its masked form)."""
    if url:
        text = text.replace(url, urls.masked(url))
    return _USERINFO.sub("//", text)[:300]


def _address(url: str) -> tuple[str, int] | None:
    parts = urls.split(url)
    if parts is None or not parts.hostname:
        return None
    return parts.hostname, parts.port or DEFAULT_PORTS.get(parts.scheme, 554)


def connect_reason(url: str, *, timeout_s: float) -> str:
    """ "" if a TCP connection to the URL's host and port opens within timeout_s, else
    "refused" (the host answered that nothing listens) or "unreachable"."""
    address = _address(url)
    if address is None:
        return "unreachable"
    try:
        with socket.create_connection(address, timeout=timeout_s):
            return ""
    except ConnectionRefusedError:
        return "refused"
    except OSError as exc:  # gaierror, timeout, no route, host down
        return "refused" if exc.errno == errno.ECONNREFUSED else "unreachable"


def socket_check(url: str, *, timeout_s: float = 1.0) -> bool:
    """The cheap check: does the camera's port accept a TCP connection?"""
    return connect_reason(url, timeout_s=timeout_s) == ""


def audio_power(frame: AudioFrame) -> float | None:
    """The frame's mean square sample (full scale 1.0; None for an empty frame)."""
    samples = frame.to_ndarray()
    if samples.size == 0:
        return None
    data = samples
    if samples.dtype.kind in "iu":
        signed = 1 if samples.dtype.kind == "i" else 0
        data = samples.astype(np.float64) / float(2 ** (8 * samples.dtype.itemsize - signed))
    return float(np.mean(np.square(data, dtype=np.float64)))


def audio_level_db(frame: AudioFrame) -> float | None:
    """The frame's RMS level in dBFS (None for an empty frame)."""
    power = audio_power(frame)
    return None if power is None else 10.0 * math.log10(max(power, 1e-12))


def keyframes_enough(gop_s: float | None, read_s: float) -> bool:
    """Do three or more keyframes come in a read of `read_s`, a keyframe every `gop_s`?"""
    return gop_s is not None and 0 < gop_s <= read_s / 2 + 1e-6


def _open(url: str, transport: TransportChoice, timeout_s: float) -> tuple[InputContainer, str]:
    """Open over the given transport; "auto" tries TCP, then UDP with the time left (a
    server that held the TCP attempt until the timeout gets no second one)."""
    if transport != "auto":
        chosen: Transport = transport
        return open_stream(url, timeout_s=timeout_s, transport=chosen), transport
    began = time.monotonic()
    try:
        return open_stream(url, timeout_s=timeout_s, transport="tcp"), "tcp"
    except _TRY_UDP:
        left = timeout_s - (time.monotonic() - began)
        if left < MIN_RETRY_S:
            raise
        return open_stream(url, timeout_s=left, transport="udp"), "udp"


class _Reader:
    """Reads one open container into a ProbeResult."""

    def __init__(
        self,
        result: ProbeResult,
        *,
        began: float,
        read_s: float,
        max_frames: int,
        gop_s: float | None = None,
    ):
        self.result, self.began = result, began
        self.read_s, self.max_frames = read_s, max(1, max_frames)
        self.gop_s = gop_s if keyframes_enough(gop_s, read_s) else None
        result.keyframes = self.gop_s is not None
        if self.gop_s is not None:  # the keyframes of the read, and a little slack
            self.max_frames = min(self.max_frames, int(read_s / self.gop_s + 1e-6) + 1)
            self.read_s = read_s + self.gop_s / 2
        self.first: float | None = None  # monotonic time of the first decoded frame
        self.pts: list[float] = []  # of every video packet
        self.key_pts: list[float] = []  # of the keyframes
        self.bytes = 0
        self.powers: list[float] = []  # of the first AUDIO_S of sound after the picture
        self.audio_s = 0.0
        self.next_sample = 0.0

    def read(self, container: InputContainer, timeout_s: float) -> None:
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        result = self.result
        result.codec = video.codec_context.name
        result.audio = audio is not None
        if result.keyframes:
            video.codec_context.skip_frame = "NONKEY"
        streams = [video] if audio is None else [video, audio]
        keyframe = False
        for packet in container.demux(*streams):
            now = time.monotonic()
            if self.first is None and now - self.began > timeout_s:
                break  # packets, but never a picture
            if self.first is not None and now - self.first >= self.read_s:
                break
            if not packet.size:
                continue
            self.bytes += packet.size
            if packet.stream is audio:
                if self.first is not None and self.audio_s < AUDIO_S:
                    self._sound(packet)
                continue
            keyframe = keyframe or packet.is_keyframe
            if not keyframe:
                continue  # decoding before the first keyframe gives a grey smear
            self._packet_time(packet)
            for frame in packet.decode():
                if isinstance(frame, VideoFrame):
                    self._frame(frame, time.monotonic())
            if result.keyframes and len(result.frames) >= self.max_frames:
                break

    def _sound(self, packet: av.Packet[Any]) -> None:
        for frame in packet.decode():
            if isinstance(frame, AudioFrame) and (power := audio_power(frame)) is not None:
                self.powers.append(power)
                self.audio_s += frame.samples / max(1, frame.sample_rate)

    def _packet_time(self, packet: av.Packet[Any]) -> None:
        if packet.pts is None or packet.time_base is None:
            return
        at = float(packet.pts * packet.time_base)
        self.pts.append(at)
        if packet.is_keyframe:
            self.key_pts.append(at)

    def _frame(self, frame: VideoFrame, now: float) -> None:
        result = self.result
        if self.first is None:
            self.first = now
            result.ttff_ms = (now - self.began) * 1000
            result.width, result.height = frame.width, frame.height
        if result.keyframes:  # every keyframe, up to the read's count
            if len(result.frames) < self.max_frames:
                result.frames.append(small_gray(frame))
            return
        # Frames spread evenly over the read, not the first few in a burst.
        step = self.read_s / self.max_frames
        if len(result.frames) < self.max_frames and now - self.first >= self.next_sample:
            result.frames.append(small_gray(frame))
            self.next_sample += step

    def finish(self) -> None:
        result = self.result
        if self.first is None:
            result.reason = result.reason or "no_frames"
            return
        span = max(self.pts) - min(self.pts) if len(self.pts) > 1 else 0.0
        if span > 0:
            result.fps = (len(self.pts) - 1) / span
        if len(self.key_pts) > 1:
            result.gop_s = float(np.median(np.diff(sorted(self.key_pts))))
        wall = time.monotonic() - self.first
        if wall > 0:
            result.bitrate_kbps = self.bytes * 8 / wall / 1000
        if self.powers:  # the level of the sound read: its mean power, in dB
            result.audio_db = 10 * math.log10(max(float(np.mean(self.powers)), 1e-12))


def probe_stream(
    url: str,
    *,
    timeout_s: float = 5.0,
    read_s: float = 2.0,
    max_frames: int = 8,
    transport: TransportChoice = "auto",
    gop_s: float | None = None,
) -> ProbeResult:
    """Open the stream, read about read_s seconds of it, and say what came (only its
    keyframes when `gop_s`, the camera's keyframe interval, gives three or more). Never
    raises for the camera's fault (see the module's text for the reasons)."""
    began = time.monotonic()
    result = ProbeResult()
    try:
        reason = connect_reason(url, timeout_s=min(timeout_s, 2.0))
        if reason:
            result.reason = reason
            return result
        reader = _Reader(result, began=began, read_s=read_s, max_frames=max_frames, gop_s=gop_s)
        container: InputContainer | None = None
        try:
            container, result.transport = _open(url, transport, timeout_s)
            if not container.streams.video:
                result.reason, result.detail = "no_frames", "the stream has no video"
                return result
            reader.read(container, timeout_s)
        except (av.FFmpegError, OSError, ValueError, StopIteration) as exc:
            if reader.first is None:
                result.reason = "no_frames"
                result.detail = scrub(str(exc) or type(exc).__name__, url)
        finally:
            if container is not None:
                with contextlib.suppress(av.FFmpegError, OSError):
                    container.close()
        reader.finish()
        return result
    finally:
        result.elapsed_ms = (time.monotonic() - began) * 1000
