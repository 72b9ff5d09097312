"""Real recorded footage for tests: H.264 + AAC MPEG-TS segments encoded once with PyAV,
then copied into each test's recordings folder with RecordingSegment rows."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from sqlalchemy.orm import Session

from nigrani.core.config import Settings
from nigrani.stations.models import RecordingSegment, StationCamera

FPS = 10
GOP = 10  # a keyframe every second
SEGMENT_S = 2
SAMPLE_RATE = 16000
WIDTH, HEIGHT = 160, 120


@dataclass(frozen=True, slots=True)
class Template:
    """Encoded segment files, in order; each SEGMENT_S long, timestamps running on."""

    files: list[Path]


def _frame(n: int) -> av.VideoFrame:
    picture = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
    picture[:, (n * 4) % WIDTH :, 0] = 200  # a moving edge, so frames differ
    picture[:, :, 1] = (n * 7) % 255
    return av.VideoFrame.from_ndarray(picture, format="rgb24")


def _tone(n: int, samples: int) -> av.AudioFrame:
    t = (np.arange(samples) + n * samples) / SAMPLE_RATE
    wave = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32).reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(wave, format="fltp", layout="mono")
    frame.sample_rate, frame.pts = SAMPLE_RATE, n * samples
    return frame


def _encode_segment(path: Path, index: int) -> None:
    with av.open(str(path), mode="w", format="mpegts") as out:
        video = out.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        video.options = {"g": str(GOP), "bf": "0", "preset": "ultrafast"}
        audio = out.add_stream("aac", rate=SAMPLE_RATE)
        audio.layout = "mono"
        frames = FPS * SEGMENT_S
        for n in range(index * frames, (index + 1) * frames):
            frame = _frame(n)
            frame.pts, frame.time_base = n, Fraction(1, FPS)
            out.mux(video.encode(frame))
        chunk = 1024
        first = index * SEGMENT_S * SAMPLE_RATE // chunk
        for k in range(first, first + SEGMENT_S * SAMPLE_RATE // chunk):
            out.mux(audio.encode(_tone(k, chunk)))
        out.mux(video.encode(None))
        out.mux(audio.encode(None))


def encode_template(folder: Path, count: int) -> Template:
    """Encode `count` consecutive segments into a folder."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for index in range(count):
        path = folder / f"seg{index:03d}.ts"
        _encode_segment(path, index)
        files.append(path)
    return Template(files)


def segment_path(camera_id: int, start: datetime) -> str:
    """Where the recorder keeps a segment, relative to the recordings folder."""
    epoch_ms = int(start.timestamp() * 1000)
    return f"{camera_id}/{start:%Y/%m/%d}/{start:%H%M%S}_{epoch_ms}.ts"


def add_segments(
    db: Session,
    settings: Settings,
    camera: StationCamera,
    template: Template,
    start: datetime,
    count: int | None = None,
    skip: tuple[int, ...] = (),
) -> list[RecordingSegment]:
    """Copy template segments for a camera from `start` on (indexes in `skip` left out, a gap)."""
    rows = []
    for index, source in enumerate(template.files[: count or len(template.files)]):
        if index in skip:
            continue
        at = start + timedelta(seconds=index * SEGMENT_S)
        relative = segment_path(camera.id, at)
        target = settings.recordings_path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        row = RecordingSegment(
            camera_id=camera.id, start_at=at, end_at=at + timedelta(seconds=SEGMENT_S),
            duration_s=float(SEGMENT_S), path=relative, bytes=target.stat().st_size,
            video_codec="h264", audio_codec="aac", width=WIDTH, height=HEIGHT,
        )  # fmt: skip
        db.add(row)
        rows.append(row)
    db.flush()
    return rows
