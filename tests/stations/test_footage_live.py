"""Clips and cleanup on footage the recorder really recorded from the RTSP simulator:
a clip for an exact range checked with FFmpeg (PyAV) for duration, streams, hashes and
untouched packets; cleanup keeping what a legal hold covers (SQLite, or PostgreSQL with
NIGRANI_TEST_DATABASE_URL)."""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import av
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import make_engine, make_sessionmaker, transaction, utcnow
from nigrani.core.migrate import upgrade
from nigrani.evidence import store
from nigrani.stations import clips, holds, retention
from nigrani.stations.models import RecordingSegment, StationCamera
from nigrani.stations.recorder.process import Recorder
from nigrani.stations.simulator import Simulator
from tests.conftest import fresh_database_url, make_settings
from tests.stations.recorder_fixtures import Running, wait_for
from tests.stations.station_fixtures import make_camera

SEGMENT_S = 2.0
SEGMENTS = 5
ACTOR = audit.Actor(None, "io-s1")
START_CODE = re.compile(b"\x00\x00\x01")


@dataclass
class Recorded:
    settings: Settings
    factory: sessionmaker[Session]
    camera_id: int

    def segments(self) -> list[RecordingSegment]:
        stmt = select(RecordingSegment).where(RecordingSegment.camera_id == self.camera_id)
        with self.factory() as session:
            return list(session.scalars(stmt.order_by(RecordingSegment.start_at)))

    def enough(self) -> bool:
        return len(self.segments()) >= SEGMENTS


@pytest.fixture(scope="module")
def recorded(
    rtsp_cameras: Simulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Recorded]:
    """One simulator camera recorded for SEGMENTS segments of 2 s into a database of its own."""
    tmp = tmp_path_factory.mktemp("footage-live")
    for url in fresh_database_url(tmp):
        settings = make_settings(url, tmp / "var", recording_segment_seconds=SEGMENT_S)
        upgrade(settings)
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        source = rtsp_cameras.cameras[0]
        with transaction(factory) as session:
            camera = make_camera(
                session, settings, name=source.name, main_url=source.main_url,
                sub_url=source.sub_url,
            )  # fmt: skip
        result = Recorded(settings, factory, camera.id)
        running = Running(Recorder(factory, settings, timeout_s=3, name="rec-clips"))
        try:
            wait_for(result.enough, 40, f"{SEGMENTS} segments")
        finally:
            running.stop()
        yield result
        engine.dispose()


def _gop_s(path: Path) -> float:
    """The longest time between two keyframes of a segment (at least one frame)."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        keys = [float(p.pts * p.time_base) for p in container.demux(video)
                if p.pts is not None and p.is_keyframe]  # fmt: skip
        rate = float(video.average_rate or 10)
    gaps = [b - a for a, b in itertools.pairwise(keys)]
    return max([*gaps, SEGMENT_S if len(keys) < 2 else 0.0, 1 / rate])


def _nals(data: bytes, *, annexb: bool) -> list[bytes]:
    """H.264 NAL units of a packet: split at start codes (MPEG-TS) or by lengths (MP4)."""
    if annexb:
        return [n.rstrip(b"\x00") for n in START_CODE.split(data) if n.strip(b"\x00")]
    units, at = [], 0
    while at + 4 <= len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        units.append(data[at + 4 : at + 4 + size])
        at += 4 + size
    return units


def _video_payload(path: Path, *, annexb: bool, limit: int | None = None) -> list[bytes]:
    """The picture NAL units (types 1 and 5) of a file's video packets, in order."""
    out: list[bytes] = []
    with av.open(str(path)) as container:
        for packet in container.demux(container.streams.video[0]):
            if packet.size:
                out += [n for n in _nals(bytes(packet), annexb=annexb) if n[0] & 0x1F in (1, 5)]
    return out[:limit]


def test_clip_of_an_exact_range_from_recorded_footage(recorded: Recorded) -> None:
    segments = recorded.segments()
    start = segments[1].start_at + timedelta(seconds=0.5)
    end = start + timedelta(seconds=4)
    with transaction(recorded.factory) as session:
        camera = session.get_one(StationCamera, recorded.camera_id)
        item = clips.export_clip(
            session, settings=recorded.settings, actor=ACTOR, camera=camera, start=start,
            end=end, reason="complaint of misbehaviour at the front desk",
        )  # fmt: skip
    path = store.blob_path(recorded.settings, item.sha256)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == item.sha256 == store.hash_file(path)
    gop = _gop_s(recorded.settings.recordings_path / segments[1].path)
    with av.open(str(path)) as clip:
        assert {s.type for s in clip.streams} == {"video", "audio"}
        assert clip.streams.video[0].codec_context.name == "h264"
        assert clip.streams.audio[0].codec_context.name == "aac"
        duration = (clip.duration or 0) / av.time_base
        audio_s = sum(1 for _ in clip.demux(clip.streams.audio[0]))
    assert 4.0 - 0.3 <= duration <= 4.0 + gop + 0.3, (duration, gop)
    assert audio_s > 0
    assert item.probed_start is not None
    assert timedelta(0) <= start - item.probed_start <= timedelta(seconds=gop + 0.05)
    # Copied, not re-encoded: the clip's pictures are the recorded ones, byte for byte.
    first = recorded.settings.recordings_path / segments[1].path
    clip_nals = _video_payload(path, annexb=False)
    source = [n for s in segments[1:] for n in
              _video_payload(recorded.settings.recordings_path / s.path, annexb=True)]  # fmt: skip
    assert first.is_file() and len(clip_nals) > 10
    offset = source.index(clip_nals[0])
    assert source[offset : offset + len(clip_nals)] == clip_nals


def test_cleanup_keeps_recorded_footage_on_legal_hold(recorded: Recorded) -> None:
    segments = recorded.segments()
    held = segments[2]
    with transaction(recorded.factory) as session:
        camera = session.get_one(StationCamera, recorded.camera_id)
        holds.place_hold(
            session, actor=ACTOR, camera=camera, start=held.start_at + timedelta(seconds=0.2),
            end=held.end_at - timedelta(seconds=0.2), reason="FIR 45/2026, court order",
        )  # fmt: skip
        camera.retention_days = 1
    result = retention.cleanup(
        recorded.factory, settings=recorded.settings, now=utcnow() + timedelta(days=3),
        disk_usage=lambda _p: (10**12, 0, 10**12),
    )  # fmt: skip
    left = {s.path for s in recorded.segments()}
    assert held.path in left and result.held_kept >= 1
    assert result.expired == len(segments) - len(left) > 0
    root = recorded.settings.recordings_path
    for segment in segments:
        assert (root / segment.path).is_file() == (segment.path in left), segment.path
