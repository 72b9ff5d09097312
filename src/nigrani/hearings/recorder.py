"""Consented recording of a video hearing by a server-side WebRTC peer (aiortc): no browser.

When the citizen has said yes on screen and the deployment records hearings, each page in
the call opens a second, send-only peer connection to the server and posts its offer here.
The server answers and writes what arrives into one file per side: H.264 video at most
`RECORD_FPS` frames a second and AAC sound, in a fragmented MP4 (a crash leaves a playable
beginning, not a file without an index). Frames are stamped by arrival, so both tracks of a
side share one clock whatever their RTP clocks say; a file starts at the app's clock when
the page offered and ends that plus the length written. When the call ends (the officer
finishes it, skips it or records the outcome) each file is received into the evidence store,
hashed on arrival, and linked to the ticket.

aiortc runs on one thread with its own event loop, and each side encodes and writes on a
thread of its own, so neither the web server's loop nor aiortc's waits on an encoder; the
routes reach the loop with `run_coroutine_threadsafe`.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import logging
import secrets
import threading
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import av
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError
from av.audio.frame import AudioFrame
from av.video.frame import VideoFrame

from nigrani.core.config import Settings
from nigrani.core.errors import ValidationFailed

log = logging.getLogger(__name__)
RECORD_FPS = 15
SIDES = ("citizen", "officer")
STAGING = ".hearing-recordings"
ANSWER_TIMEOUT_S = 15.0
MS = fractions.Fraction(1, 1000)
T = TypeVar("T")


@dataclass
class Finished:
    """One side's file, closed, waiting to be received into the evidence store."""

    ticket_id: int
    side: str
    path: Path
    started_at: datetime
    ended_at: datetime
    video_frames: int
    audio_frames: int

    @property
    def duration_s(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()


@dataclass
class _Sink:
    """One side of one call: its peer connection and the file its tracks are written to."""

    ticket_id: int
    side: str
    path: Path
    pc: RTCPeerConnection
    started_at: datetime
    container: Any = None
    video: Any = None
    audio: Any = None
    tracks: list[MediaStreamTrack] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    t0: float = 0.0  # monotonic seconds when the file began, and of its last frame
    t_last: float = 0.0
    # Encoding and writing happen on this sink's own thread, in arrival order (PyAV lets go
    # of the GIL inside the encoder, so sides encode in parallel and the loop stays free).
    worker: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="hearing-side")
    )
    started: bool = False  # the first picture is in (or there is no picture to wait for)
    last_video_ms: int = -1
    next_kept: float = 0.0
    audio_samples: int | None = None
    video_frames: int = 0
    audio_frames: int = 0
    closed: bool = False
    finishing: asyncio.Future[None] | None = None  # its file being closed (once)

    def open(self) -> None:
        """The file and its streams; called once the tracks are known, before any frame."""
        options = {"movflags": "frag_keyframe+empty_moov+default_base_moof"}
        self.container = av.open(str(self.path), mode="w", format="mp4", options=options)
        kinds = {t.kind for t in self.tracks}
        if "video" in kinds:
            self.video = self.container.add_stream("libx264", rate=RECORD_FPS)
            self.video.pix_fmt = "yuv420p"
            self.video.time_base = MS
            self.video.codec_context.time_base = MS
            self.video.codec_context.gop_size = RECORD_FPS * 2
            self.video.codec_context.options = {"preset": "veryfast", "crf": "28"}
        else:
            self.started = True  # sound only: nothing to wait for
        if "audio" in kinds:
            self.audio = self.container.add_stream("aac", rate=48000)
        self.t0 = time.monotonic()

    def keep_video(self, now: float) -> bool:
        """Whether a picture arriving at `now` is written (at most RECORD_FPS a second)."""
        if now < self.next_kept:
            return False
        self.next_kept = max(now, self.next_kept) + 1 / RECORD_FPS * 0.9
        return True

    def write_video(self, frame: VideoFrame, now: float) -> None:
        if self.closed:
            return
        if not self.started:
            self.video.width, self.video.height = frame.width, frame.height
            self.started = True
        elif (frame.width, frame.height) != (self.video.width, self.video.height):
            frame = frame.reformat(width=self.video.width, height=self.video.height)
        stamp = max(int((now - self.t0) * 1000), self.last_video_ms + 1)
        self.last_video_ms = stamp
        frame.pts, frame.time_base = stamp, MS
        self._mux(self.video.encode(frame))
        self.video_frames += 1

    def write_audio(self, frame: AudioFrame, now: float) -> None:
        if self.closed or not self.started:
            return  # the sound before the first picture: the file starts with both
        rate = frame.sample_rate or 48000
        if self.audio_samples is None:
            self.audio_samples = int((now - self.t0) * rate)
        frame.pts, frame.time_base = self.audio_samples, fractions.Fraction(1, rate)
        self.audio_samples += frame.samples
        self._mux(self.audio.encode(frame))
        self.audio_frames += 1

    def _mux(self, packets: Any) -> None:
        self.t_last = time.monotonic()
        for packet in packets:
            self.container.mux(packet)

    def close(self) -> None:
        if self.closed or self.container is None:
            self.closed = True
            return
        self.closed = True
        for stream in (self.video, self.audio):
            if stream is not None and (stream is not self.video or self.started):
                with contextlib.suppress(av.error.FFmpegError, ValueError):
                    self._mux(stream.encode(None))
        self.container.close()


async def _pump(sink: _Sink, track: MediaStreamTrack) -> None:
    """Write a track's frames until it ends; an encoder's error ends this side's file."""
    loop = asyncio.get_running_loop()
    while not sink.closed:
        try:
            frame = await track.recv()
        except MediaStreamError:
            return
        now = time.monotonic()
        try:
            if isinstance(frame, VideoFrame) and sink.video is not None:
                if sink.keep_video(now):
                    await loop.run_in_executor(sink.worker, sink.write_video, frame, now)
            elif isinstance(frame, AudioFrame) and sink.audio is not None:
                await loop.run_in_executor(sink.worker, sink.write_audio, frame, now)
        except (av.error.FFmpegError, ValueError):
            log.exception("hearing recording: ticket %s %s side stopped", sink.ticket_id, sink.side)
            return


async def _finish(sink: _Sink) -> None:
    """Close the side's file after what its thread still has to write; end the thread."""
    if sink.finishing is None:  # the first to ask closes it; the others wait for that
        sink.finishing = asyncio.get_running_loop().run_in_executor(sink.worker, sink.close)
        sink.worker.shutdown(wait=False)
    await asyncio.shield(sink.finishing)


def _ice(servers: list[dict[str, Any]]) -> list[RTCIceServer]:
    return [
        RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
        for s in servers
    ]


def _limit_addresses(addresses: list[str]) -> None:
    """Make aioice offer only these host addresses (one process, one setting)."""
    if not addresses:
        return
    from aioice import ice

    def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [a for a in addresses if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]

    ice.get_host_addresses = host_addresses


class Recorder:
    """The server's recording peers, on a thread and event loop of their own."""

    def __init__(self, settings: Settings) -> None:
        self.staging = settings.media_path / STAGING
        self._sinks: dict[tuple[int, str], _Sink] = {}
        self._kept: dict[int, list[Finished]] = {}  # files of pages that reconnected
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread()
        self._lock = threading.Lock()
        _limit_addresses(
            [a.strip() for a in settings.hearings_recorder_addresses.split(",") if a.strip()]
        )

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float = ANSWER_TIMEOUT_S) -> T:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(
                    target=self._loop.run_forever, name="hearing-recorder", daemon=True
                )
                self._thread.start()
            loop = self._loop
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)

    def answer(
        self,
        ticket_id: int,
        side: str,
        offer: dict[str, Any],
        ice: list[dict[str, Any]],
        *,
        now: datetime,
    ) -> dict[str, str]:
        """Answer a page's recording offer (`{"type": "offer", "sdp": …}`) at `now`."""
        if side not in SIDES:
            raise ValueError(side)
        sdp, kind = offer.get("sdp"), offer.get("type")
        if kind != "offer" or not isinstance(sdp, str) or not 0 < len(sdp) < 60_000:
            raise ValidationFailed("an SDP offer was expected", field="sdp")
        return self._run(self._answer(ticket_id, side, sdp, ice, now))

    async def _answer(
        self, ticket_id: int, side: str, sdp: str, ice: list[dict[str, Any]], now: datetime
    ) -> dict[str, str]:
        old = self._sinks.pop((ticket_id, side), None)
        if old is not None:  # the page reconnected: its first file stays, a second begins
            await self._close(old, keep=True)
        self.staging.mkdir(parents=True, exist_ok=True)
        path = self.staging / f"{ticket_id}-{side}-{secrets.token_hex(4)}.mp4"
        pc = RTCPeerConnection(RTCConfiguration(iceServers=_ice(ice)))
        sink = _Sink(ticket_id=ticket_id, side=side, path=path, pc=pc, started_at=now)

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            sink.tracks.append(track)

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc.connectionState in ("failed", "closed"):
                await self._end_tracks(sink)

        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            if not sink.tracks:
                raise ValidationFailed("the offer sends no sound nor picture", field="sdp")
            sink.open()
            sink.tasks = [asyncio.ensure_future(_pump(sink, t)) for t in sink.tracks]
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:
            await pc.close()
            for task in sink.tasks:
                task.cancel()
            await _finish(sink)
            path.unlink(missing_ok=True)
            if isinstance(exc, ValidationFailed):
                raise
            # aiortc's parser refuses a page's SDP with whatever it meets: the page's fault
            raise ValidationFailed("the offer could not be read", field="sdp") from exc
        self._sinks[(ticket_id, side)] = sink
        return {"type": pc.localDescription.type, "sdp": pc.localDescription.sdp}

    async def _end_tracks(self, sink: _Sink) -> None:
        for task in sink.tasks:
            task.cancel()
        await _finish(sink)

    async def _close(self, sink: _Sink, *, keep: bool) -> Finished | None:
        await sink.pc.close()
        for task in sink.tasks:
            task.cancel()
        await asyncio.gather(*sink.tasks, return_exceptions=True)
        await _finish(sink)
        done = Finished(
            ticket_id=sink.ticket_id,
            side=sink.side,
            path=sink.path,
            started_at=sink.started_at,
            ended_at=sink.started_at + timedelta(seconds=max(sink.t_last - sink.t0, 0.001)),
            video_frames=sink.video_frames,
            audio_frames=sink.audio_frames,
        )
        if sink.video_frames + sink.audio_frames == 0:
            sink.path.unlink(missing_ok=True)
            return None
        if keep:
            self._kept.setdefault(sink.ticket_id, []).append(done)
        return done

    def close(self) -> None:
        """End every recording still open (their files stay in staging) and the thread."""
        with self._lock:
            loop, self._loop = self._loop, None
        if loop is None:
            return
        sinks, self._sinks = list(self._sinks.values()), {}

        async def end() -> None:
            for sink in sinks:
                await self._close(sink, keep=False)
            rest = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in rest:  # aiortc's own, and the state callbacks the closes started
                task.cancel()
            await asyncio.gather(*rest, return_exceptions=True)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(end(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(10)
        if not self._thread.is_alive():
            loop.close()

    def recording(self, ticket_id: int) -> bool:
        """Whether either side of this ticket's call is being written now."""
        return any(t == ticket_id and not s.closed for (t, _side), s in self._sinks.items())

    def stop(self, ticket_id: int) -> list[Finished]:
        """End this ticket's recordings; the closed files, oldest first (none: not recorded)."""
        if self._loop is None:
            return []
        return self._run(self._stop(ticket_id), timeout=30.0)

    async def _stop(self, ticket_id: int) -> list[Finished]:
        out = self._kept.pop(ticket_id, [])
        for key in [k for k in self._sinks if k[0] == ticket_id]:
            done = await self._close(self._sinks.pop(key), keep=False)
            if done is not None:
                out.append(done)
        return sorted(out, key=lambda f: f.started_at)


_MAKING = threading.Lock()


def app_recorder(state: Any) -> Recorder:
    """The app's recorder, made on first use (`state` is the app's `state`)."""
    with _MAKING:
        if getattr(state, "hearing_recorder", None) is None:
            state.hearing_recorder = Recorder(state.settings)
    recorder: Recorder = state.hearing_recorder
    return recorder


def existing_recorder(state: Any) -> Recorder | None:
    """The app's recorder if anything was recorded since it started, else None."""
    recorder: Recorder | None = getattr(state, "hearing_recorder", None)
    return recorder
