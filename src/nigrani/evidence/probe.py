"""What a received file really is: opened with FFmpeg (PyAV), never trusted by name or type.

A file counts as video only if FFmpeg finds a video stream in a container that is not a
still-image format and decodes a frame from it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import av.error

from nigrani.core.errors import NigraniError
from nigrani.core.i18n import _

# FFmpeg demuxers that read still pictures (a photo is not footage).
IMAGE_FORMATS = ("image2", "jpeg_pipe", "png_pipe", "webp_pipe", "gif", "bmp_pipe", "tiff_pipe")
# Magic numbers of things that are certainly not video, refused from the first bytes.
NOT_VIDEO = (b"MZ", b"\x7fELF", b"%PDF", b"PK\x03\x04", b"#!", b"<?xml", b"<!DOCTYPE", b"<html")


class NotVideo(NigraniError):
    status = 415
    code = "not_video"


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """What FFmpeg found in a file."""

    container: str
    codec: str
    width: int
    height: int
    duration_s: float | None
    audio_codec: str | None
    created_at: datetime | None

    @property
    def ends_at(self) -> datetime | None:
        """The recording's end, when the file says when it started."""
        if self.created_at is None or self.duration_s is None:
            return None
        return self.created_at + timedelta(seconds=self.duration_s)


def refuse_early(head: bytes) -> None:
    """Refuse from the first bytes what is certainly not video (programs, documents, text)."""
    if head.startswith(NOT_VIDEO) or _looks_like_text(head[:512]):
        raise NotVideo(_("This file is not a video. Send the recording from your camera or DVR."))


def _looks_like_text(sample: bytes) -> bool:
    if len(sample) < 64:
        return False
    printable = sum(32 <= b < 127 or b in (9, 10, 13) for b in sample)
    return printable / len(sample) > 0.97


def _created(container: av.container.InputContainer) -> datetime | None:
    raw = container.metadata.get("creation_time")
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _first_frame(container: av.container.InputContainer) -> tuple[str, int, int]:
    stream = container.streams.video[0]
    for frame in container.decode(stream):
        return stream.codec_context.name, frame.width, frame.height
    raise NotVideo(_("This video has no pictures that can be played."))


def probe_video(path: Path) -> VideoInfo:
    """Open a file as video or raise NotVideo; reads only the headers and one frame."""
    refusal = _(
        "This file is not a video that can be played. Send the recording as exported by "
        "your camera or DVR (MP4, AVI, MKV, DAV…)."
    )
    try:
        with av.open(str(path), mode="r") as container:
            if container.format.name in IMAGE_FORMATS or not container.streams.video:
                raise NotVideo(refusal)
            codec, width, height = _first_frame(container)
            duration = container.duration / av.time_base if container.duration else None
            audio = (
                container.streams.audio[0].codec_context.name if container.streams.audio else None
            )
            return VideoInfo(
                container.format.name, codec, width, height, duration, audio, _created(container)
            )
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise NotVideo(refusal) from exc
