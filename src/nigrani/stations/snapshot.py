"""A still picture of a camera, decoded from its newest recorded file (for drawing zones)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
from av.video.frame import VideoFrame

from nigrani.core.errors import NotFound
from nigrani.core.i18n import _


def first_frame(path: Path) -> VideoFrame:
    """The first picture the file decodes to."""
    with av.open(str(path)) as container:
        if not container.streams.video:
            raise NotFound(_("The recording has no video."))
        for frame in container.decode(container.streams.video[0]):
            return frame
    raise NotFound(_("The recording has no picture to show."))


def jpeg(frame: VideoFrame, quality: int = 5) -> bytes:
    """The picture as a JPEG (FFmpeg's encoder: no imaging library needed)."""
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width, encoder.height = frame.width, frame.height
    encoder.pix_fmt = "yuvj420p"
    encoder.time_base = Fraction(1, 25)
    encoder.options = {"qmin": str(quality), "qmax": str(quality)}
    picture = frame.reformat(format="yuvj420p")
    picture.pts = 0
    packets = [*encoder.encode(picture), *encoder.encode(None)]
    return b"".join(bytes(p) for p in packets)


def snapshot_jpeg(path: Path) -> bytes:
    """A JPEG of the first picture in a recorded file."""
    try:
        return jpeg(first_frame(path))
    except av.FFmpegError as exc:
        raise NotFound(_("The recording could not be decoded.")) from exc
