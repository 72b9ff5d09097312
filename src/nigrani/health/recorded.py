"""A station camera that a recorder already reads is judged from the recorder's own work,
never with a second connection to the camera (a station's DVR or a cheap camera often
serves only one or two clients).

What the recorder leaves, and what the prober reads of it:
- its live view's rolling HLS playlist (live_path/{camera}/{sub|main}/index.m3u8 with
  fMP4 segments of copied packets): when it is fresh, the newest segments are decoded
  here (from the file system, so this works where the prober shares the recorder's
  var folder) and give the frames, codec, size, frame rate, bitrate and sound level of a
  probe, for the same picture checks;
- otherwise the camera's row: `last_segment_at` (the end of its newest recorded segment)
  and `last_error` (why its open gap began): a recent segment means the stream is fine
  (no picture to judge, so the state follows the stream alone); an error names the reason.

The recorder itself is unchanged: nothing here writes to its files or rows.
"""

from __future__ import annotations

import io
import math
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

import av
import numpy as np
from av.audio.frame import AudioFrame
from av.video.frame import VideoFrame

from nigrani.health.picture import small_gray
from nigrani.health.probe import ProbeResult, audio_level_db
from nigrani.stations.recorder.live import PLAYLIST, live_dir

FRESH_SEGMENTS: Final = 3  # a playlist older than this many segments is stale
FRESH_MIN_S: Final = 10.0
TRANSPORT: Final = "recorder"


@dataclass(frozen=True, slots=True)
class RecorderView:
    """What the prober knows of a recorded camera (no ORM object crosses threads)."""

    camera_id: int
    stream: str  # "sub" when the camera has a sub-stream, else "main"
    last_segment_at: datetime | None
    last_error: str


def error_reason(text: str) -> str:
    """The offline reason a recorder's error text stands for."""
    lower = text.lower()
    if "refused" in lower:
        return "refused"
    unreachable = ("timed out", "timeout", "resolve", "unreachable", "no route", "name or")
    return "unreachable" if any(word in lower for word in unreachable) else "no_frames"


def _playlist(folder: Path, fresh_s: float) -> tuple[Path, list[Path]] | None:
    """The init segment and the media segments of a fresh playlist, oldest first."""
    path = folder / PLAYLIST
    try:
        if time.time() - path.stat().st_mtime > fresh_s:
            return None
        lines = path.read_text().splitlines()
    except OSError:
        return None
    init = next((ln.split('URI="', 1)[1].split('"', 1)[0] for ln in lines if "URI=" in ln), "")
    segments = [folder / ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]
    if not init or not segments:
        return None
    return folder / init, segments


def live_result(
    folder: Path, *, segment_s: float, read_s: float, max_frames: int
) -> ProbeResult | None:
    """A probe result from the newest live segments in `folder`, or None if none is fresh."""
    found = _playlist(folder, max(FRESH_MIN_S, FRESH_SEGMENTS * segment_s))
    if found is None:
        return None
    init, segments = found
    wanted = max(1, math.ceil(read_s / max(segment_s, 0.1)))
    try:
        data = init.read_bytes() + b"".join(p.read_bytes() for p in segments[-wanted:])
    except OSError:
        return None  # the muxer deleted a segment between the playlist and the read
    result = ProbeResult(transport=TRANSPORT)
    grays: list[np.ndarray] = []
    pts: list[float] = []
    levels: list[float] = []
    try:
        with av.open(io.BytesIO(data), mode="r", format="mp4") as container:
            if not container.streams.video:
                return None
            video = container.streams.video[0]
            result.codec = video.codec_context.name
            result.audio = bool(container.streams.audio)
            for frame in container.decode(*container.streams):
                if isinstance(frame, VideoFrame):
                    result.width, result.height = frame.width, frame.height
                    if frame.pts is not None and frame.time_base is not None:
                        pts.append(float(frame.pts * frame.time_base))
                    grays.append(small_gray(frame))
                elif isinstance(frame, AudioFrame) and (db := audio_level_db(frame)) is not None:
                    levels.append(db)
    except (av.FFmpegError, OSError, ValueError):
        return None
    if not grays:
        return None
    step = max(1, len(grays) // max(1, max_frames))
    result.frames = grays[::step][:max_frames]
    span = pts[-1] - pts[0] if len(pts) > 1 else 0.0
    if span > 0:
        result.fps = (len(pts) - 1) / span
        result.bitrate_kbps = (len(data) - init.stat().st_size) * 8 / span / 1000
    if levels:
        power = float(np.mean([10 ** (db / 10) for db in levels]))
        result.audio_db = 10 * math.log10(max(power, 1e-12))
    return result


def recorder_result(
    view: RecorderView,
    *,
    live_path: Path,
    live_segment_s: float,
    recording_segment_s: float,
    now: datetime,
    read_s: float,
    max_frames: int,
) -> ProbeResult:
    """Judge a recorded camera from the recorder's live files, else from its row."""
    folder = live_dir(live_path, view.camera_id, view.stream)
    live = live_result(folder, segment_s=live_segment_s, read_s=read_s, max_frames=max_frames)
    if live is not None:
        return live
    result = ProbeResult(transport=TRANSPORT)
    recent = view.last_segment_at is not None and (
        (now - view.last_segment_at).total_seconds() <= 2 * recording_segment_s + 60
    )
    if view.last_error and not recent:
        result.reason = error_reason(view.last_error)
    elif not recent:
        result.reason = "no_frames"
    return result
