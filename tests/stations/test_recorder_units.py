"""The recorder's parts without a camera: the session clock, leases, and the repair of
files a dead recorder left behind."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Sequence
from datetime import timedelta
from fractions import Fraction
from pathlib import Path

import av
import pytest
from av.packet import Packet
from av.stream import Stream
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from nigrani.core.config import Settings
from nigrani.core.db import transaction, utcnow
from nigrani.stations.models import RecordingGap, RecordingSegment, StationCamera
from nigrani.stations.recorder import leases
from nigrani.stations.recorder.journal import (
    LOST_REASON,
    GapClosed,
    GapOpened,
    Journal,
    close_gaps,
    index_segment,
    open_gap,
    take_over,
)
from nigrani.stations.recorder.segments import probe, segment_path, start_of
from nigrani.stations.recorder.timeline import Timeline
from tests.stations.footage import Template, encode_template
from tests.stations.station_fixtures import camera_with


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return encode_template(tmp_path_factory.mktemp("recorder-footage"), 1)


def _packet(stream: Stream, ts: int | None) -> Packet[Stream]:
    packet = av.Packet(b"\0" * 8)
    packet.pts = packet.dts = ts
    packet.time_base = stream.time_base or Fraction(1, 90000)
    return packet


def _times(template: Template, kind: str, stamps: Sequence[int | None]) -> list[float]:
    with av.open(str(template.files[0])) as container:
        stream = container.streams.video[0] if kind == "video" else container.streams.audio[0]
        timeline = Timeline([stream], started=100.0)
        return [
            timeline.place(_packet(stream, ts), stream.index, arrived=100.5 + n / 100)[0]
            for n, ts in enumerate(stamps)
        ]


def test_timeline_starts_at_arrival_and_follows_timestamps(template: Template) -> None:
    times = _times(template, "video", [90_000, 99_000, 108_000])  # 90 kHz, 10 fps
    assert times == pytest.approx([0.5, 0.6, 0.7])


def test_timeline_gives_untimed_audio_frames_one_frame_each(template: Template) -> None:
    frame = 1024  # samples of one AAC frame: the stream's own time base is 1/sample rate
    times = _times(template, "audio", [0, frame, None, None, 4 * frame, 5 * frame])
    steps = [b - a for a, b in itertools.pairwise(times)]
    assert steps == pytest.approx([steps[0]] * 5)
    assert steps[0] > 0


@pytest.mark.parametrize("jump", [-5_000_000, 2**33, 20 * 90_000])
def test_timeline_continues_across_a_wrap_or_jump(template: Template, jump: int) -> None:
    start = 2**33 - 18_000 if jump == 2**33 else 900_000
    stamps = [start, start + 9_000, start + jump, start + jump + 9_000]
    times = _times(template, "video", stamps)
    assert times == pytest.approx([0.5, 0.6, 0.7, 0.8])


def test_leases_exclude_live_holders_and_take_expired_ones(
    db: Session, settings: Settings, sessions: sessionmaker[Session]
) -> None:
    past, future = utcnow() - timedelta(seconds=5), utcnow() + timedelta(minutes=5)
    free = camera_with(db, settings, "Free")
    dead = camera_with(db, settings, "Dead", leased_by="dead", lease_until=past)
    camera_with(db, settings, "Live", leased_by="other", lease_until=future)
    camera_with(db, settings, "Off", enabled=False)
    db.commit()
    with transaction(sessions) as session:
        taken = leases.take(session, me="me", limit=10, scope="/", lease_s=30, exclude=[])
    assert sorted(taken) == sorted([free.id, dead.id])
    with transaction(sessions) as session:
        again = leases.take(session, me="other2", limit=10, scope="/", lease_s=30, exclude=[])
    assert again == []
    with transaction(sessions) as session:
        session.execute(
            update(StationCamera).where(StationCamera.id == dead.id).values(enabled=False)
        )
        held = leases.renew(session, me="me", camera_ids=taken, lease_s=30)
    assert held == {free.id}
    with transaction(sessions) as session:
        leases.release(session, me="me", camera_ids=held)
        rows = session.execute(select(StationCamera.id, StationCamera.leased_by)).all()
    assert dict(rows)[free.id] is None and dict(rows)[dead.id] is None


def test_station_scope_is_a_jurisdiction_path(db: Session, settings: Settings) -> None:
    camera_with(db, settings, "Scoped")
    assert leases.scope_path(db, code=None) == "/"
    assert leases.scope_path(db, code="S1").endswith("/")
    with pytest.raises(Exception, match="No jurisdiction node"):
        leases.scope_path(db, code="NOPE")


def test_take_over_indexes_left_overs_deletes_unreadable_and_opens_one_gap(
    db: Session, settings: Settings, sessions: sessionmaker[Session], template: Template,
    tmp_path: Path,
) -> None:  # fmt: skip
    camera = camera_with(db, settings, "Repaired")
    db.commit()
    root = tmp_path / "recordings"
    t0 = utcnow().replace(microsecond=0) - timedelta(minutes=1)
    known, orphan, broken = (
        segment_path(root, camera.id, t0 + timedelta(seconds=s)) for s in (0, 2, 4)
    )
    for path in (known, orphan):
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(template.files[0], path)
    broken.write_bytes(b"not a transport stream")
    indexed = probe(known, root, camera.id)
    assert indexed is not None and start_of(known) == t0
    with transaction(sessions) as session:
        index_segment(session, indexed, size=known.stat().st_size)
    assert take_over(sessions, camera_id=camera.id, recordings=root) == 2
    assert not broken.exists()
    with transaction(sessions) as session:
        rows = list(session.scalars(select(RecordingSegment).order_by(RecordingSegment.start_at)))
        gaps = list(session.scalars(select(RecordingGap)))
    assert [r.path for r in rows] == [p.relative_to(root).as_posix() for p in (known, orphan)]
    assert rows[1].duration_s == pytest.approx(2.0, abs=0.2)
    assert (rows[1].video_codec, rows[1].audio_codec, rows[1].bytes) == (
        "h264", "aac", orphan.stat().st_size,
    )  # fmt: skip
    assert [(g.start_at, g.end_at, g.reason) for g in gaps] == [(rows[1].end_at, None, LOST_REASON)]
    assert take_over(sessions, camera_id=camera.id, recordings=root) == 0
    with transaction(sessions) as session:
        assert len(list(session.scalars(select(RecordingGap)))) == 1


def test_gap_events_are_idempotent_and_clear_the_error(
    db: Session, settings: Settings, sessions: sessionmaker[Session]
) -> None:
    camera = camera_with(db, settings, "Flaky")
    db.commit()
    t0 = utcnow()
    with transaction(sessions) as session:
        open_gap(session, GapOpened(camera.id, t0, "Connection refused"))
        open_gap(session, GapOpened(camera.id, t0 + timedelta(seconds=4), "timed out"))
    with transaction(sessions) as session:
        flaky = session.get(StationCamera, camera.id)
        assert flaky is not None and flaky.last_error == "timed out"
        close_gaps(session, GapClosed(camera.id, t0 + timedelta(seconds=9)))
    with transaction(sessions) as session:
        [gap] = session.scalars(select(RecordingGap).where(RecordingGap.camera_id == camera.id))
        assert (gap.start_at, gap.end_at, gap.reason) == (
            t0,
            t0 + timedelta(seconds=9),
            "Connection refused",
        )
        refreshed = session.get(StationCamera, camera.id)
        assert refreshed is not None and refreshed.last_error == ""


def test_journal_drops_an_event_that_cannot_apply_and_goes_on(
    db: Session, settings: Settings, sessions: sessionmaker[Session], template: Template,
    tmp_path: Path,
) -> None:  # fmt: skip
    camera = camera_with(db, settings, "Journal")
    db.commit()
    root = tmp_path / "recordings"
    path = segment_path(root, camera.id + 1000, utcnow())
    path.parent.mkdir(parents=True)
    shutil.copy(template.files[0], path)
    orphan = probe(path, root, camera.id + 1000)  # a camera that does not exist
    assert orphan is not None
    journal = Journal(sessions, recordings=root)
    journal.thread.start()
    journal.put(orphan)
    journal.put(GapOpened(camera.id, utcnow(), "Connection refused"))
    journal.stop()
    assert journal.applied == 1 and not journal.thread.is_alive()
    with transaction(sessions) as session:
        assert session.scalars(select(RecordingSegment)).all() == []
        [gap] = session.scalars(select(RecordingGap)).all()
        assert gap.camera_id == camera.id
